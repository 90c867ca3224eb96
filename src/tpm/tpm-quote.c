/* TPM2_Quote and the PCR values that go with it. */

#include "confnode/tpm/tpm-quote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-errors.h"
#include "confnode/tpm/tpm-pcr.h"
#include "confnode/tpm/tpm-public-key.h"
#include "confnode/tpm/tpm-quote-verify.h"
#include "tpm-esys-internal.h"

/* A PCR extended between the quote and the read makes the pair disagree;
 * boot-time extends are few, so a handful of tries settles it. */
#define TPM_QUOTE_TRIES 4

void tpm_quote_free(TpmQuote *q) {
        if (!q)
                return;
        free(q->attest);
        free(q->signature);
        free(q->ak_public);
        free(q->ak_pem);
        free(q);
}

static int tpm_quote_once(ESYS_CONTEXT *esys, const TpmObject *ak, const PcrSelection *sel,
                          const uint8_t *nonce, size_t nonce_size, TpmQuote *q) {
        _cleanup_(Esys_Freep) TPM2B_ATTEST *quoted = NULL;
        _cleanup_(Esys_Freep) TPMT_SIGNATURE *signature = NULL;
        const TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_NULL};
        TPM2B_DATA qualifying = {.size = (UINT16)nonce_size};
        TPML_PCR_SELECTION pcrs = {.count = (uint32_t)sel->n_banks};
        _cleanup_free_ uint8_t *sig = NULL, *attest = NULL;
        size_t offset = 0;
        TSS2_RC rc;

        memcpy(qualifying.buffer, nonce, nonce_size);
        for (size_t b = 0; b < sel->n_banks; b++) {
                pcrs.pcrSelections[b].hash = sel->banks[b].alg;
                pcrs.pcrSelections[b].sizeofSelect = 3;
                for (unsigned i = 0; i < 3; i++)
                        pcrs.pcrSelections[b].pcrSelect[i] =
                                (uint8_t)(sel->banks[b].mask >> (8 * i));
        }

        /* TPM_ALG_NULL: the AK's own scheme (RSASSA or ECDSA, SHA-256). */
        rc = Esys_Quote(esys, ak->tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
                        &scheme, &pcrs, &quoted, &signature);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_Quote");

        attest = malloc(quoted->size ? quoted->size : 1);
        sig = malloc(sizeof(TPMT_SIGNATURE));
        if (!attest || !sig)
                return -ENOMEM;
        memcpy(attest, quoted->attestationData, quoted->size);
        rc = Tss2_MU_TPMT_SIGNATURE_Marshal(signature, sig, sizeof(TPMT_SIGNATURE), &offset);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Tss2_MU_TPMT_SIGNATURE_Marshal");

        free(q->attest);
        free(q->signature);
        q->attest = TAKE_PTR(attest);
        q->attest_size = quoted->size;
        q->signature = TAKE_PTR(sig);
        q->signature_size = offset;
        return 0;
}

/* Whether the PCR values read hash to the quote's pcr_digest: then the
 * pair is consistent and a verifier can check one against the other. */
static int tpm_quote_consistent(const TpmQuote *q, bool *ret) {
        uint8_t digest[TPM_MAX_DIGEST];
        TpmSignature sig;
        TpmAttest a;
        size_t n;
        int r;

        r = tpm_attest_parse(q->attest, q->attest_size, &a, NULL);
        if (r < 0)
                return log_debug_errno(r, "The TPM returned a quote we cannot decode");
        r = tpm_attest_signature_parse(q->signature, q->signature_size, &sig, NULL);
        if (r < 0)
                return log_debug_errno(r, "The TPM returned a signature we cannot decode");
        r = tpm_quote_verify_pcr_digest(&a.pcr_select, &q->pcrs, sig.hash_alg, digest, &n, NULL,
                                        NULL);
        if (r < 0)
                return log_debug_errno(r, "Cannot compute the PCR digest of the quote: %m");
        *ret = n == a.pcr_digest_size && memcmp(digest, a.pcr_digest, n) == 0;
        return 0;
}

int tpm_quote_take(TpmContext *c, const TpmObject *ak, const uint8_t *ak_public,
                   size_t ak_public_size, const PcrSelection *sel, const uint8_t *nonce,
                   size_t nonce_size, TpmQuote **ret) {
        _cleanup_(tpm_quote_freep) TpmQuote *q = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        TpmPublic pub;
        int r;

        if (nonce_size > TPM_QUOTE_NONCE_MAX || (nonce_size > 0 && !nonce) || sel->n_banks == 0)
                return -EINVAL;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->selection = *sel;

        r = tpm_attest_public_parse(ak_public, ak_public_size, &pub, NULL);
        if (r < 0)
                return log_debug_errno(r, "Cannot decode the AK's TPMT_PUBLIC");
        r = tpm_public_key_from_tpmt(&pub, &key);
        if (r < 0)
                return r;
        r = tpm_public_key_to_pem(key, &q->ak_pem);
        if (r < 0)
                return r;
        r = tpm_public_key_fingerprint(key, q->ak_fingerprint);
        if (r < 0)
                return r;
        q->ak_public = malloc(ak_public_size);
        if (!q->ak_public)
                return -ENOMEM;
        memcpy(q->ak_public, ak_public, ak_public_size);
        q->ak_public_size = ak_public_size;

        for (unsigned attempt = 1;; attempt++) {
                bool ok = false;

                r = tpm_quote_once(tpm_context_esys(c), ak, sel, nonce, nonce_size, q);
                if (r < 0)
                        return r;
                r = tpm_pcr_read(c, sel, &q->pcrs);
                if (r < 0)
                        return r;
                r = tpm_quote_consistent(q, &ok);
                if (r < 0)
                        return r;
                if (ok)
                        break;
                if (attempt >= TPM_QUOTE_TRIES)
                        return log_debug_errno(
                                EAGAIN, "PCRs kept changing while quoting (%u tries)", attempt);
                log_debug("PCRs changed between the quote and reading them; quoting again");
        }
        *ret = TAKE_PTR(q);
        return 0;
}

int tpm_quote_collect(TpmContext *c, TpmAkAlgorithm alg, uint32_t ak_handle,
                      const PcrSelection *sel, const uint8_t *nonce, size_t nonce_size,
                      TpmQuote **ret) {
        _cleanup_(tpm_object_flush) TpmObject ak = TPM_OBJECT_NULL;
        _cleanup_free_ uint8_t *pub = NULL;
        size_t pub_size;
        int r;

        if (nonce_size > TPM_QUOTE_NONCE_MAX)
                return -EINVAL;
        r = tpm_ak_open(c, alg, ak_handle, &ak, &pub, &pub_size);
        if (r < 0)
                return r;
        return tpm_quote_take(c, &ak, pub, pub_size, sel, nonce, nonce_size, ret);
}
