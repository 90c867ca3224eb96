#!/usr/bin/env bash
# The test command from README.md (and what .ci/run calls): installs the
# dependencies, then builds and tests three ways:
#   build/        -Werror, hardening flags: unit, peer, integration and e2e tests
#                 (e2e boots QEMU guests; the guest image is cached, see tests/e2e)
#   build-asan/   AddressSanitizer + UndefinedBehaviorSanitizer: the same tests
#   build-fuzz/   clang libFuzzer: a short run of every fuzz target
# Every test starts and stops its own swtpm on loopback. Needs ../shared.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/deps.sh"
confnode_install_deps

peer="$top/../shared/peer-data"
[ -d "$peer" ] || { echo "error: $peer is missing (../shared must sit beside the repository)" >&2; exit 2; }
jobs=$(nproc)

run() {
        local dir=$1 labels=$2; shift 2
        echo "==> configure $dir $*"
        cmake -S "$top" -B "$top/$dir" -DCONFNODE_WERROR=ON -DCONFNODE_PEER_DATA="$peer" "$@" >/dev/null
        echo "==> build $dir"
        cmake --build "$top/$dir" -j "$jobs" >/dev/null
        echo "==> test $dir ($labels)"
        (cd "$top/$dir" && ctest -L "$labels" --output-on-failure -j "$jobs")
}

run build 'unit|peer|integration|static|e2e'
run build-asan 'unit|peer|integration' -DCONFNODE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
run build-fuzz 'fuzz' -DCMAKE_C_COMPILER=clang -DCONFNODE_FUZZ=ON -DCONFNODE_TESTS=OFF
echo "==> all tests passed"
