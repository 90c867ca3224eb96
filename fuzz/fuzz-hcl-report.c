/* The Azure HCL report decoder on arbitrary bytes: az_hcl_parse() (frame,
 * SNP or TDX hardware report, runtime data JSON, the HCLAkPub JWK), its
 * JSON, and the runtime-data binding. Seeded from the HCL reports of
 * shared/peer-data/azure. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "confnode/basic/json-util.h"
#include "confnode/evidence/az-hcl-json.h"
#include "confnode/evidence/az-hcl.h"
#include "confnode/evidence/az-verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        ParseError err;

        (void)az_hcl_json_inspect(data, size, &j, &err);
        if (az_hcl_parse(data, size, &rep, &err) >= 0) {
                EVP_PKEY *ak = NULL;
                AzVerdict v = {};

                if (az_verify_binding(rep, NULL, &ak, &v) >= 0)
                        EVP_PKEY_free(ak);
        }
        return 0;
}
