/* The TPM structure decoders on arbitrary bytes: TPMS_ATTEST (and its JSON
 * form), TPMT_SIGNATURE, TPMT_PUBLIC (and the key it makes), and the key
 * file sniffing of confnode-verifier --ak. Seeded from
 * shared/peer-data/tpm-quote. */

#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/json-util.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-public-key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL, *loaded = NULL;
        TpmAttest a;
        TpmSignature s;
        TpmPublic p;
        ParseError err;

        (void)tpm_attest_parse(data, size, &a, &err);
        (void)tpm_attest_inspect(data, size, &j, &err);
        (void)tpm_attest_signature_parse(data, size, &s, &err);
        if (tpm_attest_public_parse(data, size, &p, &err) >= 0)
                (void)tpm_public_key_from_tpmt(&p, &key);
        (void)tpm_public_key_load(data, size, &loaded, NULL, NULL, NULL, &err);
        return 0;
}
