#!/bin/bash
# The README's option table must be exactly what the code's one table says.
set -euo pipefail
readme=${1:?README.md} confnode=${2:?confnode binary}
want=$("$confnode" check-config --options)
have=$(sed -n '/<!-- options:begin -->/,/<!-- options:end -->/p' "$readme" | sed '1d;$d')
if [[ "$want" != "$have" ]]; then
        echo "README.md option table differs from 'confnode check-config --options':" >&2
        diff <(echo "$have") <(echo "$want") >&2 || true
        exit 1
fi
echo "README option table matches ($(echo "$want" | tail -n +3 | wc -l) options)"
