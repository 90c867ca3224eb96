/* The join bundle check on arbitrary bytes, at a fixed time, and for a
 * bundle that passes, the bootstrap kubeconfig rendered from it: what the
 * check lets through must be what the writer assumes (an https:// URL
 * without quotes, a token of the kubeadm form). Seeded with a valid
 * bundle (fuzz/join-bundle-seed.json) and a dictionary of its members. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/kubelet/join-bundle.h"
#include "confnode/kubelet/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(secret_freep) Secret *text = NULL;
        JoinBundle b = {0};
        JoinBundleError err;
        KubeconfigParams p;

        /* 2027-01-15T08:00:00Z */
        if (join_bundle_parse(data, size, 1800000000, &b, &err) < 0)
                return 0;
        if (!join_bundle_url_valid(b.api_server) ||
            !join_bundle_token_valid(b.token->data, b.token->size) ||
            strlen(b.cluster_ca) != b.cluster_ca_size)
                abort();
        p = (KubeconfigParams){.server = b.api_server,
                               .ca_data = b.cluster_ca,
                               .ca_data_size = b.cluster_ca_size,
                               .token = b.token};
        if (kubeconfig_render(&p, &text) < 0 ||
            !memmem(text->data, text->size, b.token->data, b.token->size))
                abort();
        join_bundle_done(&b);
        return 0;
}
