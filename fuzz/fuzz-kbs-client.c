/* The agent's KBS round against a verifier that answers anything: the
 * input is cut into the statuses and bodies of /auth, /attest and one
 * resource, plus a Set-Cookie and a Retry-After header value. Whatever
 * comes back, the round must end in a classified failure or a release,
 * without reading past a body or leaking. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-util.h"
#include "confnode/kbs/kbs-client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PARTS 5
static const char fuzz_sep[] = "|||\n";
static const long fuzz_statuses[] = {200, 200, 200, 200, 401, 404, 429, 500, 503, 302, 204, 408};

typedef struct FuzzInput {
        long status[3];
        const uint8_t *part[FUZZ_PARTS];
        size_t size[FUZZ_PARTS];
} FuzzInput;

static char *fuzz_strndup(const uint8_t *p, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memcpy(s, p, n);
        s[n] = 0;
        return s;
}

static int fuzz_transport(void *userdata, const KbsHttpOptions *opts, const KbsHttpRequest *req,
                          KbsHttpResponse *ret, char what[static KBS_HTTP_MAX_WHAT]) {
        const FuzzInput *in = userdata;
        int step = strstr(req->url, "/auth") ? 0 : strstr(req->url, "/attest") ? 1 : 2;
        int body = step == 0 ? 0 : step == 1 ? 2 : 3;
        size_t n = in->size[body];
        char *cookie = NULL;
        uint64_t ms;

        (void)opts;
        (void)what;
        /* kbs-http bounds the body before anyone parses it. */
        if (n > req->max_response)
                return -EFBIG;
        *ret = (KbsHttpResponse){.status = in->status[step]};
        ret->body = (uint8_t *)fuzz_strndup(in->part[body], n);
        ret->body_size = n;
        if (in->size[1] > 0) {
                char *h = fuzz_strndup(in->part[1], in->size[1]);

                (void)kbs_http_parse_set_cookie(h, &cookie);
                free(h);
        } else
                cookie = strdup("s");
        ret->session_cookie = cookie;
        if (in->size[4] > 0) {
                char *h = fuzz_strndup(in->part[4], in->size[4]);

                if (kbs_http_parse_retry_after(h, 0, &ms) >= 0)
                        ret->retry_after_ms = ms;
                free(h);
        }
        if (ret->status == 302)
                ret->location = fuzz_strndup(in->part[3], in->size[3] < 64 ? in->size[3] : 64);
        return 0;
}

static int fuzz_evidence(void *userdata, const KbsChallenge *chal, json_object *tee_pubkey,
                         json_object **ret_primary, char **ret_additional, KbsFailure *f) {
        (void)userdata;
        (void)chal;
        (void)tee_pubkey;
        (void)f;
        *ret_primary = json_object_new_object();
        *ret_additional = strdup("");
        return *ret_primary && *ret_additional ? 0 : -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static EphemeralKey *key;
        static const char *const resources[] = {"confnode/kubelet/join", NULL};
        char url[] = "https://fuzz.example";
        char *urls[] = {url, NULL};
        KbsRoundResult res = {};
        KbsExchange ex = {};
        KbsFailure f;
        FuzzInput in = {};
        const uint8_t *p;
        size_t left;

        if (!key && ephemeral_key_new(EPHEMERAL_KEY_P256, &key) < 0)
                abort();
        if (size < 3)
                return 0;
        for (int i = 0; i < 3; i++)
                in.status[i] = fuzz_statuses[data[i] % (sizeof(fuzz_statuses) / sizeof(long))];
        p = data + 3;
        left = size - 3;
        for (int i = 0; i < FUZZ_PARTS; i++) {
                const uint8_t *sep = memmem(p, left, fuzz_sep, sizeof(fuzz_sep) - 1);
                size_t n = sep ? (size_t)(sep - p) : left;

                in.part[i] = p;
                in.size[i] = n;
                if (!sep) {
                        p += left;
                        left = 0;
                        continue;
                }
                p += n + sizeof(fuzz_sep) - 1;
                left -= n + sizeof(fuzz_sep) - 1;
        }

        KbsClient c = {.urls = urls,
                       .http = {.ca_file = "/dev/null"},
                       .transport = fuzz_transport,
                       .transport_data = &in};
        KbsRoundParams params = {
                .tee = KBS_TEE_TPM, .key = key, .evidence = fuzz_evidence, .resources = resources};
        if (kbs_client_round(&c, 0, &params, &res, &ex, &f) >= 0 && res.n_released != 1)
                abort();
        kbs_round_result_done(&res);
        kbs_exchange_done(&ex);
        return 0;
}
