#pragma once

/* Verifies a TPM quote: the signature over the TPMS_ATTEST bytes with the
 * attestation key, the nonce in extra_data, and the PCR digest against
 * supplied PCR values. Each rejection has a stable reason code and a
 * sentence:
 *   tpm.malformed            the attest or signature does not decode
 *   tpm.not_a_quote          a valid TPMS_ATTEST of another type
 *   tpm.unsupported          a hash or signature scheme we cannot check
 *   tpm.signature            the AK did not sign these bytes
 *   tpm.nonce_mismatch       extra_data is not the expected nonce
 *   tpm.pcr_missing          a selected PCR has no supplied value
 *   tpm.pcr_digest_mismatch  the supplied values do not hash to pcr_digest */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-pcr-values.h"

typedef struct TpmQuoteVerdict {
        const char *reason; /* NULL when verified */
        char detail[512];
        bool signature_checked; /* the signature was tried (verified unless reason says so) */
        bool nonce_checked;
        bool pcrs_checked;
        TpmAttest attest; /* valid once the attest decoded */
        bool attest_valid;
} TpmQuoteVerdict;

/* Computes H(concat of the selected PCR values, banks in selection order,
 * PCRs in index order). -ENODATA (with the missing bank and PCR) if a
 * value is not supplied, -EOPNOTSUPP for an unknown hash. */
int tpm_quote_verify_pcr_digest(const PcrSelection *sel, const TpmPcrValues *pcrs,
                                uint16_t hash_alg, uint8_t ret[static TPM_MAX_DIGEST],
                                size_t *ret_size, uint16_t *ret_missing_alg,
                                unsigned *ret_missing_pcr);

/* Verifies the signature of data with the key (RSASSA, RSA-PSS or ECDSA,
 * hashed with sig->hash_alg). 0 if valid, -EKEYREJECTED if not,
 * -EOPNOTSUPP if the scheme does not fit the key. */
int tpm_quote_verify_signature(const TpmSignature *sig, EVP_PKEY *key, const uint8_t *data,
                               size_t size);

/* nonce == NULL: the nonce is not checked; pcrs == NULL: the PCR digest is
 * not checked (both recorded in the verdict). Returns 0 when verified;
 * otherwise a negative errno matching the reason (-EBADMSG malformed,
 * -EMEDIUMTYPE not a quote, -EOPNOTSUPP unsupported, -EKEYREJECTED
 * signature, -ESTALE nonce, -ENODATA PCR missing, -EPERM PCR digest), with
 * the verdict filled in. -ENOMEM leaves reason NULL. */
int tpm_quote_verify(const uint8_t *attest, size_t attest_size, const TpmSignature *sig,
                     EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_size,
                     const TpmPcrValues *pcrs, TpmQuoteVerdict *ret);
