/* kubelet-handoff-tool BUNDLE BOOTSTRAP_KUBECONFIG KUBECONFIG CA_FILE ENV_FILE
 *
 * Runs kubelet_handoff() on a join bundle read from a file, for
 * tests/integration/kubeconfig-kubectl.sh. Built only with the tests. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/secret.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/kubelet/handoff.h"
#include "confnode/kubelet/join-bundle.h"

int main(int argc, char **argv) {
        _cleanup_(secret_freep) Secret *bundle = NULL;
        uint8_t *data = NULL;
        size_t size = 0;
        KubeletConfig c;
        KubeletResult res;
        char when[21];
        int r;

        if (argc != 6) {
                fprintf(stderr,
                        "usage: %s BUNDLE BOOTSTRAP_KUBECONFIG KUBECONFIG CA_FILE ENV_FILE\n",
                        argv[0]);
                return 2;
        }
        r = read_full_file(argv[1], JOIN_BUNDLE_MAX_SIZE + 1, &data, &size);
        if (r < 0) {
                fprintf(stderr, "Cannot read '%s': %s\n", argv[1], strerror(-r));
                return 1;
        }
        r = secret_new_copy(data, size, &bundle);
        memory_wipe(data, size);
        free(data);
        if (r < 0)
                return 1;
        c = (KubeletConfig){.bootstrap_kubeconfig = argv[2],
                            .kubeconfig = argv[3],
                            .ca_file = argv[4],
                            .env_file = argv[5]};
        r = kubelet_handoff(&c, bundle, &res);
        if (r < 0) {
                fprintf(stderr, "%s: %s (%s)\n", res.reason ? res.reason : "?", res.what,
                        strerror(-r));
                return 1;
        }
        if (cert_time_format_rfc3339(res.expires, when) < 0)
                snprintf(when, sizeof(when), "?");
        printf("handoff done: token sha256 %s, expires %s%s\n", res.token_fingerprint, when,
               res.expires_soon ? " (soon)" : "");
        return 0;
}
