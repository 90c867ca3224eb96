/* Every KBS message parser on the same bytes, then what the verifier does
 * next with an Attestation: the tee-pubkey as a key, its thumbprint and
 * the report_data binding (canonical JSON of what the peer sent). */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "confnode/basic/json-util.h"
#include "confnode/crypto/jwk.h"
#include "confnode/kbs/kbs-binding.h"
#include "confnode/kbs/kbs-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
                if (att->nonce)
                        (void)kbs_binding_report_data(KBS_HASH_SHA384, att->nonce, att->tee_pubkey,
                                                      att->additional_evidence, rd);
        }
        return 0;
}
