#pragma once

/* Taking a quote: TPM2_Quote over a PCR selection with a caller-given nonce,
 * plus the PCR values it covers and the AK that signed it. */

#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"
#include "confnode/tpm/pcr-selection.h"
#include "confnode/tpm/tpm-ak.h"
#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-object.h"
#include "confnode/tpm/tpm-pcr-values.h"

#define TPM_QUOTE_NONCE_MAX 64

typedef struct TpmQuote {
        uint8_t *attest; /* marshalled TPMS_ATTEST */
        size_t attest_size;
        uint8_t *signature; /* marshalled TPMT_SIGNATURE */
        size_t signature_size;
        uint8_t *ak_public; /* marshalled TPMT_PUBLIC */
        size_t ak_public_size;
        char *ak_pem; /* SubjectPublicKeyInfo PEM */
        char ak_fingerprint[17];
        PcrSelection selection;
        TpmPcrValues pcrs; /* the values the quote's pcr_digest covers */
} TpmQuote;

void tpm_quote_free(TpmQuote *q);
DEFINE_CLEANUP(TpmQuote, tpm_quote_free)

/* Quotes sel with an AK already opened (ak_public is its TPMT_PUBLIC).
 * The PCR values are read next to the quote and checked against its
 * pcr_digest; if a PCR changed in between, the pair is taken again.
 * -EINVAL for a nonce over 64 bytes. */
int tpm_quote_take(TpmContext *c, const TpmObject *ak, const uint8_t *ak_public,
                   size_t ak_public_size, const PcrSelection *sel, const uint8_t *nonce,
                   size_t nonce_size, TpmQuote **ret);

/* Opens the AK (see tpm_ak_open()), quotes, and flushes what it loaded. */
int tpm_quote_collect(TpmContext *c, TpmAkAlgorithm alg, uint32_t ak_handle,
                      const PcrSelection *sel, const uint8_t *nonce, size_t nonce_size,
                      TpmQuote **ret);
