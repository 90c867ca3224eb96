/* Verifying a TPM quote with OpenSSL 3 EVP: the signature over the exact
 * TPMS_ATTEST bytes, then what the signed bytes say (nonce, PCR digest).
 * Nothing in the attest is believed before the signature checked out. */

#include "confnode/tpm/tpm-quote-verify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/hex.h"
#include "tpm-openssl-internal.h"

/* Two INTEGERs of up to TPM_MAX_ECC_BYTES + 1 bytes (3 bytes of header
 * each at most) in a SEQUENCE (4 bytes of header at most). */
#define TPM_QUOTE_VERIFY_ECDSA_DER_MAX (4 + 2 * (3 + TPM_MAX_ECC_BYTES + 1))

/* The hashes tpm_alg_hash_name() knows, fetched once for the process. */
static const EVP_MD *tpm_quote_verify_md(uint16_t alg) {
        switch (alg) {
        case TPM_ALG_SHA1:
                return evp_fetch_md(EVP_FETCH_SHA1);
        case TPM_ALG_SHA256:
                return evp_fetch_md(EVP_FETCH_SHA256);
        case TPM_ALG_SHA384:
                return evp_fetch_md(EVP_FETCH_SHA384);
        case TPM_ALG_SHA512:
                return evp_fetch_md(EVP_FETCH_SHA512);
        case 0x0012: /* TPM_ALG_SM3_256 */
                return evp_fetch_md(EVP_FETCH_SM3);
        default:
                return NULL;
        }
}

static const char *tpm_quote_verify_scheme_name(uint16_t sig_alg) {
        switch (sig_alg) {
        case TPM_ALG_RSASSA:
                return "RSASSA";
        case TPM_ALG_RSAPSS:
                return "RSAPSS";
        case TPM_ALG_ECDSA:
                return "ECDSA";
        default:
                return "?";
        }
}

int tpm_quote_verify_pcr_digest(const PcrSelection *sel, const TpmPcrValues *pcrs,
                                uint16_t hash_alg, uint8_t ret[static TPM_MAX_DIGEST],
                                size_t *ret_size, uint16_t *ret_missing_alg,
                                unsigned *ret_missing_pcr) {
        const EVP_MD *md = tpm_quote_verify_md(hash_alg);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned n;

        if (!md)
                return -EOPNOTSUPP;
        if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1)
                return -ENOMEM;
        for (size_t b = 0; b < sel->n_banks; b++) {
                const TpmPcrBankValues *bank = tpm_pcr_values_bank(pcrs, sel->banks[b].alg);

                for (unsigned i = 0; i < PCR_MAX; i++) {
                        if (!(sel->banks[b].mask & (1u << i)))
                                continue;
                        if (!bank || !(bank->present & (1u << i))) {
                                if (ret_missing_alg)
                                        *ret_missing_alg = sel->banks[b].alg;
                                if (ret_missing_pcr)
                                        *ret_missing_pcr = i;
                                return -ENODATA;
                        }
                        if (EVP_DigestUpdate(ctx, bank->value[i], tpm_alg_hash_size(bank->alg)) !=
                            1)
                                return -EIO;
                }
        }
        if (EVP_DigestFinal_ex(ctx, ret, &n) != 1)
                return -EIO;
        *ret_size = n;
        return 0;
}

/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, written here as
 * i2d_ECDSA_SIG() would write it, without two BIGNUMs and an ECDSA_SIG
 * per quote. */
static void tpm_quote_verify_ecdsa_der(const TpmSignature *sig,
                                       uint8_t ret[static TPM_QUOTE_VERIFY_ECDSA_DER_MAX],
                                       size_t *ret_size) {
        size_t len = tpm_der_uint(NULL, sig->ecdsa_r, sig->ecdsa_r_size) +
                     tpm_der_uint(NULL, sig->ecdsa_s, sig->ecdsa_s_size);
        size_t o = tpm_der_header(ret, 0x30, len);

        o += tpm_der_uint(ret + o, sig->ecdsa_r, sig->ecdsa_r_size);
        o += tpm_der_uint(ret + o, sig->ecdsa_s, sig->ecdsa_s_size);
        *ret_size = o;
}

int tpm_quote_verify_signature(const TpmSignature *sig, EVP_PKEY *key, const uint8_t *data,
                               size_t size) {
        const EVP_MD *md = tpm_quote_verify_md(sig->hash_alg);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t der[TPM_QUOTE_VERIFY_ECDSA_DER_MAX];
        const unsigned char *s;
        EVP_PKEY_CTX *pctx = NULL;
        size_t s_size;
        int ok;

        if (!md)
                return -EOPNOTSUPP;
        if (!ctx)
                return -ENOMEM;
        switch (sig->sig_alg) {
        case TPM_ALG_RSASSA:
        case TPM_ALG_RSAPSS:
                if (!EVP_PKEY_is_a(key, "RSA"))
                        return -EOPNOTSUPP;
                s = sig->rsa;
                s_size = sig->rsa_size;
                break;
        case TPM_ALG_ECDSA:
                if (!EVP_PKEY_is_a(key, "EC"))
                        return -EOPNOTSUPP;
                tpm_quote_verify_ecdsa_der(sig, der, &s_size);
                s = der;
                break;
        default:
                return -EOPNOTSUPP;
        }

        ok = EVP_DigestVerifyInit_ex(ctx, &pctx, EVP_MD_get0_name(md), NULL, NULL, key, NULL) == 1;
        /* TPM 2.0 Part 1 lets a TPM choose the PSS salt length (the digest
         * size, or the largest that fits), so the verifier takes any. */
        if (ok && sig->sig_alg == TPM_ALG_RSAPSS)
                ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
        if (ok)
                ok = EVP_DigestVerify(ctx, s, s_size, data, size) == 1;
        /* A bad signature leaves errors on OpenSSL's queue; they say
         * nothing the result does not. */
        ERR_clear_error();
        return ok ? 0 : -EKEYREJECTED;
}

static int tpm_quote_verify_reject(TpmQuoteVerdict *v, int r, const char *reason, const char *fmt,
                                   ...) _printf_(4, 5);
static int tpm_quote_verify_reject(TpmQuoteVerdict *v, int r, const char *reason, const char *fmt,
                                   ...) {
        va_list ap;

        v->reason = reason;
        va_start(ap, fmt);
        vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
        va_end(ap);
        return r;
}

static void tpm_quote_verify_hex(const uint8_t *data, size_t n, char *buf, size_t size) {
        /* Enough of a nonce to tell two apart in a log line. */
        size_t shown = n > 16 ? 16 : n;

        if (size < 2 * shown + 4) {
                buf[0] = 0;
                return;
        }
        hex_encode_to(data, shown, buf);
        if (shown < n)
                strcat(buf, "...");
}

int tpm_quote_verify(const uint8_t *attest, size_t attest_size, const TpmSignature *sig,
                     EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_size,
                     const TpmPcrValues *pcrs, TpmQuoteVerdict *ret) {
        const char *hash = tpm_alg_hash_name(sig->hash_alg) ?: "?";
        TpmAttest *a = &ret->attest;
        ParseError perr = {};
        char buf[256], sel[256];
        int r;

        *ret = (TpmQuoteVerdict){};
        r = tpm_attest_parse(attest, attest_size, a, &perr);
        if (r < 0)
                return tpm_quote_verify_reject(ret, r, "tpm.malformed",
                                               "The quote is not a valid TPMS_ATTEST: %s",
                                               parse_error_string(&perr, buf, sizeof(buf)));
        ret->attest_valid = true;
        if (a->type != TPM_ST_ATTEST_QUOTE)
                return tpm_quote_verify_reject(ret, -EMEDIUMTYPE, "tpm.not_a_quote",
                                               "The TPMS_ATTEST is a %s, not a TPM_ST_ATTEST_QUOTE",
                                               tpm_attest_type_to_string(a->type));

        ret->signature_checked = true;
        r = tpm_quote_verify_signature(sig, ak, attest, attest_size);
        if (r == -ENOMEM)
                return r;
        if (r == -EOPNOTSUPP)
                return tpm_quote_verify_reject(
                        ret, -EKEYREJECTED, "tpm.signature",
                        "A %s-%s signature cannot have been made by this attestation key "
                        "(%s)",
                        tpm_quote_verify_scheme_name(sig->sig_alg), hash,
                        EVP_PKEY_get0_type_name(ak) ?: "unknown key type");
        if (r < 0)
                return tpm_quote_verify_reject(
                        ret, r, "tpm.signature",
                        "The %s-%s signature over the quote does not verify with the "
                        "attestation key",
                        tpm_quote_verify_scheme_name(sig->sig_alg), hash);

        if (nonce) {
                ret->nonce_checked = true;
                if (nonce_size != a->extra_data_size ||
                    memcmp(nonce, a->extra_data, nonce_size) != 0) {
                        char got[40], want[40];

                        tpm_quote_verify_hex(a->extra_data, a->extra_data_size, got, sizeof(got));
                        tpm_quote_verify_hex(nonce, nonce_size, want, sizeof(want));
                        return tpm_quote_verify_reject(
                                ret, -ESTALE, "tpm.nonce_mismatch",
                                "The quote's extra_data (%zu bytes, '%s') is not the "
                                "expected nonce (%zu bytes, '%s')",
                                a->extra_data_size, got, nonce_size, want);
                }
        }

        pcr_selection_format(&a->pcr_select, sel, sizeof(sel));
        if (pcrs) {
                uint8_t digest[TPM_MAX_DIGEST];
                size_t digest_size;
                uint16_t missing_alg = 0;
                unsigned missing_pcr = 0;

                ret->pcrs_checked = true;
                r = tpm_quote_verify_pcr_digest(&a->pcr_select, pcrs, sig->hash_alg, digest,
                                                &digest_size, &missing_alg, &missing_pcr);
                if (r == -ENODATA)
                        return tpm_quote_verify_reject(
                                ret, r, "tpm.pcr_missing",
                                "The quote selects %s PCR %u, but no value was supplied "
                                "for it",
                                tpm_alg_hash_name(missing_alg) ?: "?", missing_pcr);
                if (r == -EOPNOTSUPP)
                        return tpm_quote_verify_reject(
                                ret, r, "tpm.unsupported",
                                "The signing hash 0x%04x is not available to compute the "
                                "PCR digest",
                                sig->hash_alg);
                if (r < 0)
                        return r;
                if (digest_size != a->pcr_digest_size ||
                    memcmp(digest, a->pcr_digest, digest_size) != 0)
                        return tpm_quote_verify_reject(
                                ret, -EPERM, "tpm.pcr_digest_mismatch",
                                "The supplied PCR values (%s) do not hash (%s) to the "
                                "quote's pcr_digest",
                                sel, hash);
        }

        snprintf(ret->detail, sizeof(ret->detail), "The %s-%s signature verifies%s%s%s%s",
                 tpm_quote_verify_scheme_name(sig->sig_alg), hash,
                 ret->nonce_checked ? ", the nonce matches" : "",
                 ret->pcrs_checked ? " and the supplied PCR values (" : "",
                 ret->pcrs_checked ? sel : "",
                 ret->pcrs_checked ? ") match the quote's pcr_digest" : "");
        return 0;
}
