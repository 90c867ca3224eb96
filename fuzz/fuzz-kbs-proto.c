/* Every KBS message parser on the same bytes, then what the verifier does
 * next with an Attestation: the tee-pubkey as a key, its thumbprint and
 * the report_data binding (canonical JSON of what the peer sent), held to
 * the plain canonical text it streams. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "confnode/basic/canonical-json.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/jwk.h"
#include "confnode/kbs/kbs-binding.h"
#include "confnode/kbs/kbs-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The digest streams the additional-evidence string into the hash; it
 * must equal the hash of the whole canonical text made the plain way, or
 * both must fail alike. */
static void fuzz_binding_same(const KbsAttestation *att) {
        _cleanup_(json_object_putp) json_object *rt = NULL;
        _cleanup_free_ char *text = NULL;
        uint8_t d[KBS_BINDING_MAX_DIGEST], want[EVP_MAX_MD_SIZE];
        unsigned int want_size = 0;
        size_t n = 0, text_size = 0;
        int r, rw;

        r = kbs_binding_digest(KBS_HASH_SHA384, att->nonce, att->tee_pubkey,
                               att->additional_evidence, d, &n);
        rw = kbs_binding_runtime_data(att->nonce, att->tee_pubkey, att->additional_evidence, &rt);
        if (rw >= 0)
                rw = canonical_json(rt, &text, &text_size);
        if (r == -ENOMEM || rw == -ENOMEM)
                return;
        if (r != rw)
                abort();
        if (r < 0)
                return;
        if (EVP_Digest(text, text_size, want, &want_size, EVP_sha384(), NULL) != 1)
                return;
        if (n != want_size || memcmp(d, want, n) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(kbs_request_freep) KbsRequest *req = NULL;
        _cleanup_(kbs_challenge_freep) KbsChallenge *chal = NULL;
        _cleanup_(kbs_attestation_freep) KbsAttestation *att = NULL;
        _cleanup_(kbs_error_info_freep) KbsErrorInfo *err = NULL;
        _cleanup_free_ char *token = NULL;
        KbsProtoError e;

        (void)kbs_request_parse(data, size, &req, &e);
        (void)kbs_challenge_parse(data, size, &chal, &e);
        (void)kbs_attestation_response_parse(data, size, &token, &e);
        (void)kbs_error_parse(data, size, &err, &e);
        if (kbs_attestation_parse(data, size, &att, &e) >= 0) {
                uint8_t rd[KBS_REPORT_DATA_SIZE], tp[JWK_THUMBPRINT_SIZE];
                EVP_PKEY *key = NULL;

                if (jwk_to_pkey(att->tee_pubkey, &key, NULL, NULL) >= 0)
                        EVP_PKEY_free(key);
                (void)jwk_thumbprint(att->tee_pubkey, tp);
                if (att->nonce) {
                        (void)kbs_binding_report_data(KBS_HASH_SHA384, att->nonce, att->tee_pubkey,
                                                      att->additional_evidence, rd);
                        fuzz_binding_same(att);
                }
        }
        return 0;
}
