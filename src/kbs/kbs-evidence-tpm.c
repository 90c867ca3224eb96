/* Trustee's "tpm" evidence (deps/verifier/src/tpm/mod.rs at 78962cd, and
 * guest components' TPM attester), and the quote parts that the Azure
 * shapes share with it:
 *   {"tpm_quote": {"signature": base64(TPMT_SIGNATURE),
 *                  "message":   base64(TPMS_ATTEST),
 *                  "pcrs":      [hex(SHA-256 PCR 0), …, hex(PCR 23)]},
 *    "ak_public": base64(DER SubjectPublicKeyInfo of the AK)}
 * base64 is the standard alphabet with padding. Trustee carries neither
 * the AK's TPMT_PUBLIC nor the measured-boot event log; confnode adds them
 * as "ak_tpmt_public" (base64 TPMT_PUBLIC, which must hold the key of
 * ak_public) and "tpm_eventlog" (base64 TCG2 log). Trustee ignores
 * members it does not know. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-public-key.h"
#include "kbs-evidence-internal.h"

#define SHA256_SIZE 32

static void kbs_tpm_openssl_freep(unsigned char **p) {
        OPENSSL_free(*p);
        *p = NULL;
}

int kbs_ev_pcrs_from_json(json_object *list, KbsEvEncoding enc, const char *path, TpmPcrValues *ret,
                          KbsProtoError *err) {
        TpmPcrValues v = {};
        size_t n;

        if (!json_object_is_type(list, json_type_array))
                return kbs_ev_fail(err, -EBADMSG, path, "is %s, expected an array",
                                   json_type_to_name(json_object_get_type(list)));
        n = json_object_array_length(list);
        /* Trustee reads PCR 8 for the init-data, so a shorter list would
         * make it fail; guest components and Azure always send 0-23. */
        if (n != KBS_EVIDENCE_TPM_PCRS)
                return kbs_ev_fail(err, -EBADMSG, path, "%zu PCR values, expected %u", n,
                                   KBS_EVIDENCE_TPM_PCRS);
        for (size_t i = 0; i < n; i++) {
                uint8_t value[SHA256_SIZE];
                char p[64];
                int r;

                snprintf(p, sizeof(p), "%s[%zu]", path, i);
                r = kbs_ev_bytes_fixed(json_object_array_get_idx(list, i), enc, p, value,
                                       sizeof(value), err);
                if (r < 0)
                        return r;
                r = tpm_pcr_values_set(&v, TPM_ALG_SHA256, (unsigned)i, value, sizeof(value));
                if (r < 0)
                        return r;
        }
        *ret = v;
        return 0;
}

int kbs_ev_pcrs_to_json(const TpmPcrValues *pcrs, KbsEvEncoding enc, json_object **ret) {
        const TpmPcrBankValues *bank = tpm_pcr_values_bank(pcrs, TPM_ALG_SHA256);
        _cleanup_(json_object_putp) json_object *list = NULL;

        if (!bank || bank->present != (1u << KBS_EVIDENCE_TPM_PCRS) - 1)
                return log_debug_errno(EINVAL, "The SHA-256 PCRs 0-23 are not all known");
        list = json_object_new_array_ext(KBS_EVIDENCE_TPM_PCRS);
        if (!list)
                return -ENOMEM;
        for (unsigned i = 0; i < KBS_EVIDENCE_TPM_PCRS; i++)
                if (json_object_array_add(list,
                                          kbs_ev_bytes_new(bank->value[i], SHA256_SIZE, enc)) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(list);
        return 0;
}

int kbs_ev_tpmt_signature_from_rsa(const uint8_t *sig, size_t size, KbsBlob *ret) {
        uint8_t *d;

        if (size == 0 || size > TPM_MAX_RSA_BYTES)
                return -EINVAL;
        d = malloc(6 + size);
        if (!d)
                return -ENOMEM;
        /* TPMT_SIGNATURE, big-endian: sigAlg, TPMS_SIGNATURE_RSA.hash, then
         * the TPM2B_PUBLIC_KEY_RSA (size, bytes). */
        d[0] = TPM_ALG_RSASSA >> 8;
        d[1] = TPM_ALG_RSASSA & 0xff;
        d[2] = TPM_ALG_SHA256 >> 8;
        d[3] = TPM_ALG_SHA256 & 0xff;
        d[4] = (uint8_t)(size >> 8);
        d[5] = (uint8_t)size;
        memcpy(d + 6, sig, size);
        kbs_blob_clear(ret);
        ret->data = d;
        ret->size = 6 + size;
        return 0;
}

int kbs_ev_tpmt_signature_to_rsa(const KbsBlob *tpmt, uint8_t ret[static TPM_MAX_RSA_BYTES],
                                 size_t *ret_size) {
        TpmSignature sig;
        int r;

        r = tpm_attest_signature_parse(tpmt->data, tpmt->size, &sig, NULL);
        if (r < 0)
                return log_debug_errno(EINVAL, "The TPM signature does not decode");
        /* Azure's shape and Trustee's check of it know RSASSA with SHA-256
         * only, the scheme of the Azure vTPM's AK. */
        if (sig.sig_alg != TPM_ALG_RSASSA || sig.hash_alg != TPM_ALG_SHA256)
                return log_debug_errno(EINVAL,
                                       "TPM signature scheme 0x%04x/0x%04x is not RSASSA-SHA256",
                                       sig.sig_alg, sig.hash_alg);
        memcpy(ret, sig.rsa, sig.rsa_size);
        *ret_size = sig.rsa_size;
        return 0;
}

/* Reading. */

static int kbs_tpm_check_signature(const KbsBlob *b, const char *path, KbsProtoError *err) {
        ParseError perr = {};
        TpmSignature sig;
        char buf[200];

        if (tpm_attest_signature_parse(b->data, b->size, &sig, &perr) < 0)
                return kbs_ev_fail(err, -EBADMSG, path, "not a TPMT_SIGNATURE: %s",
                                   parse_error_string(&perr, buf, sizeof(buf)));
        return 0;
}

static int kbs_tpm_check_attest(const KbsBlob *b, const char *path, KbsProtoError *err) {
        ParseError perr = {};
        TpmAttest a;
        char buf[200];

        if (tpm_attest_parse(b->data, b->size, &a, &perr) < 0)
                return kbs_ev_fail(err, -EBADMSG, path, "not a TPMS_ATTEST: %s",
                                   parse_error_string(&perr, buf, sizeof(buf)));
        return 0;
}

/* Trustee parses ak_public with PKey::public_key_from_der(). */
static int kbs_tpm_spki(const KbsBlob *b, const char *path, EVP_PKEY **ret, KbsProtoError *err) {
        const unsigned char *p = b->data;
        EVP_PKEY *key;

        key = d2i_PUBKEY(NULL, &p, (long)b->size);
        if (!key || p != b->data + b->size) {
                EVP_PKEY_free(key);
                return kbs_ev_fail(err, -EBADMSG, path, "not a DER SubjectPublicKeyInfo");
        }
        *ret = key;
        return 0;
}

/* The DER SubjectPublicKeyInfo of a P-256 key (id-ecPublicKey,
 * prime256v1, an uncompressed point) up to the point. DER has one
 * encoding per key, so an ak_public that is these bytes and the TPMT's
 * point is that key. */
static const uint8_t kbs_tpm_p256_spki_prefix[] = {
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
};

static bool kbs_tpm_spki_is_p256(const KbsBlob *spki, const TpmPublic *pub) {
        const size_t pre = sizeof(kbs_tpm_p256_spki_prefix);
        uint8_t x[32] = {0}, y[32] = {0};

        if (pub->type != TPM_ALG_ECC || pub->ecc_curve != TPM_ECC_NIST_P256 ||
            pub->ecc_x_size == 0 || pub->ecc_x_size > 32 || pub->ecc_y_size == 0 ||
            pub->ecc_y_size > 32 || spki->size != pre + 64 ||
            memcmp(spki->data, kbs_tpm_p256_spki_prefix, pre) != 0)
                return false;
        memcpy(x + 32 - pub->ecc_x_size, pub->ecc_x, pub->ecc_x_size);
        memcpy(y + 32 - pub->ecc_y_size, pub->ecc_y, pub->ecc_y_size);
        return memcmp(spki->data + pre, x, 32) == 0 && memcmp(spki->data + pre + 32, y, 32) == 0;
}

/* ak_tpmt_public and ak_public must be one key, or two verifiers could
 * read one message differently (Trustee verifies with ak_public alone).
 * The common case, a P-256 AK, is settled by comparing bytes once OpenSSL
 * has taken the TPMT's point (which checks it is on the curve); anything
 * else by decoding ak_public and comparing keys. */
static int kbs_tpm_check_ak(const KbsBlob *tpmt, const KbsBlob *spki, const char *tpmt_path,
                            const char *spki_path, EVP_PKEY **ret_key, KbsProtoError *err) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL, *spki_key = NULL;
        ParseError perr = {};
        TpmPublic pub;
        char buf[200];
        int r;

        if (tpm_attest_public_parse(tpmt->data, tpmt->size, &pub, &perr) < 0) {
                /* ak_public's own error comes first, as it did. */
                r = kbs_tpm_spki(spki, spki_path, &spki_key, err);
                if (r < 0)
                        return r;
                return kbs_ev_fail(err, -EBADMSG, tpmt_path, "not a TPMT_PUBLIC: %s",
                                   parse_error_string(&perr, buf, sizeof(buf)));
        }
        if (!kbs_tpm_spki_is_p256(spki, &pub)) {
                r = kbs_tpm_spki(spki, spki_path, &spki_key, err);
                if (r < 0)
                        return r;
        }
        r = tpm_public_key_from_tpmt(&pub, &key);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return kbs_ev_fail(err, -EBADMSG, tpmt_path, "a key OpenSSL cannot take: %s",
                                   strerror(-r));
        if (spki_key && EVP_PKEY_eq(key, spki_key) != 1)
                return kbs_ev_fail(err, -EBADMSG, tpmt_path, "another key than ak_public");
        *ret_key = TAKE_PTR(key);
        return 0;
}

int kbs_evidence_tpm_from_json(KbsTpmEvidence *t, json_object *j, const char *path,
                               KbsProtoError *err) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *spki = NULL;
        KbsTpmEvidence n = {};
        KbsBlob tpmt = {};
        json_object *quote, *pcrs;
        char p[64], q[64];
        int r;

        r = kbs_ev_expect_object(j, path, err);
        if (r < 0)
                return r;

        r = kbs_ev_member(j, path, "tpm_quote", json_type_object, true, &quote, err);
        if (r < 0)
                goto fail;
        kbs_ev_path(q, path, "tpm_quote");
        r = kbs_ev_bytes_member(quote, q, "signature", KBS_EV_BASE64, true, 1,
                                KBS_EVIDENCE_MAX_BLOB, &n.signature, err);
        if (r < 0)
                goto fail;
        r = kbs_tpm_check_signature(&n.signature, kbs_ev_path(p, q, "signature"), err);
        if (r < 0)
                goto fail;
        r = kbs_ev_bytes_member(quote, q, "message", KBS_EV_BASE64, true, 1, KBS_EVIDENCE_MAX_BLOB,
                                &n.attest, err);
        if (r < 0)
                goto fail;
        r = kbs_tpm_check_attest(&n.attest, kbs_ev_path(p, q, "message"), err);
        if (r < 0)
                goto fail;
        r = kbs_ev_member(quote, q, "pcrs", json_type_array, true, &pcrs, err);
        if (r < 0)
                goto fail;
        r = kbs_ev_pcrs_from_json(pcrs, KBS_EV_HEX, kbs_ev_path(p, q, "pcrs"), &n.pcrs, err);
        if (r < 0)
                goto fail;

        r = kbs_ev_bytes_member(j, path, "ak_public", KBS_EV_BASE64, true, 1, KBS_EVIDENCE_MAX_BLOB,
                                &n.ak_public, err);
        if (r < 0)
                goto fail;
        r = kbs_ev_bytes_member(j, path, "ak_tpmt_public", KBS_EV_BASE64, false, 1,
                                KBS_EVIDENCE_MAX_BLOB, &tpmt, err);
        if (r < 0) {
                /* ak_public's own error comes first. */
                if (kbs_tpm_spki(&n.ak_public, kbs_ev_path(p, path, "ak_public"), &spki, err) < 0)
                        r = -EBADMSG;
                goto fail;
        }
        if (!tpmt.data) {
                r = kbs_tpm_spki(&n.ak_public, kbs_ev_path(p, path, "ak_public"), &spki, err);
                if (r < 0)
                        goto fail;
        } else {
                char sp[64];

                r = kbs_tpm_check_ak(&tpmt, &n.ak_public, kbs_ev_path(p, path, "ak_tpmt_public"),
                                     kbs_ev_path(sp, path, "ak_public"), &n.ak_key, err);
                if (r < 0)
                        goto fail;
                kbs_blob_clear(&n.ak_public);
                n.ak_public = tpmt;
                tpmt = (KbsBlob){};
        }
        r = kbs_ev_bytes_member(j, path, "tpm_eventlog", KBS_EV_BASE64, false, 0,
                                KBS_EVIDENCE_MAX_EVENTLOG, &n.eventlog, err);
        if (r < 0)
                goto fail;

        kbs_tpm_evidence_clear(t);
        *t = n;
        return 0;
fail:
        kbs_blob_clear(&tpmt);
        kbs_tpm_evidence_clear(&n);
        return r;
}

/* Writing. */

int kbs_evidence_tpm_to_json(const KbsTpmEvidence *t, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL, *quote = NULL, *pcrs = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(kbs_tpm_openssl_freep) unsigned char *der = NULL;
        TpmSignature sig;
        TpmAttest attest;
        TpmKeyFormat format;
        int r, n;

        if (!t->ak_public.data || !t->attest.data || !t->signature.data)
                return log_debug_errno(EINVAL, "TPM evidence without AK, quote or signature");
        if (tpm_attest_signature_parse(t->signature.data, t->signature.size, &sig, NULL) < 0 ||
            tpm_attest_parse(t->attest.data, t->attest.size, &attest, NULL) < 0)
                return log_debug_errno(EINVAL, "The TPM quote or signature does not decode");
        r = tpm_public_key_load(t->ak_public.data, t->ak_public.size, &key, &format, NULL, NULL,
                                NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_debug_errno(EINVAL, "The AK public key does not decode");
        /* A DER SubjectPublicKeyInfo goes out as it came (re-encoding
         * could change bytes OpenSSL read leniently); other forms become
         * one. */
        if (format == TPM_KEY_FORMAT_DER) {
                der = OPENSSL_memdup(t->ak_public.data, t->ak_public.size);
                n = (int)t->ak_public.size;
        } else
                n = i2d_PUBKEY(key, &der);
        if (n <= 0 || !der)
                return -ENOMEM;
        r = kbs_ev_pcrs_to_json(&t->pcrs, KBS_EV_HEX, &pcrs);
        if (r < 0)
                return r;

        quote = json_object_new_object();
        o = json_object_new_object();
        if (!quote || !o)
                return -ENOMEM;
        if (kbs_ev_add_bytes(quote, "signature", t->signature.data, t->signature.size,
                             KBS_EV_BASE64) < 0 ||
            kbs_ev_add_bytes(quote, "message", t->attest.data, t->attest.size, KBS_EV_BASE64) < 0 ||
            json_add(quote, "pcrs", TAKE_PTR(pcrs)) < 0 ||
            json_add(o, "tpm_quote", TAKE_PTR(quote)) < 0 ||
            kbs_ev_add_bytes(o, "ak_public", der, (size_t)n, KBS_EV_BASE64) < 0)
                return -ENOMEM;
        if (format == TPM_KEY_FORMAT_TPMT &&
            kbs_ev_add_bytes(o, "ak_tpmt_public", t->ak_public.data, t->ak_public.size,
                             KBS_EV_BASE64) < 0)
                return -ENOMEM;
        if (format == TPM_KEY_FORMAT_TPM2B &&
            kbs_ev_add_bytes(o, "ak_tpmt_public", t->ak_public.data + 2, t->ak_public.size - 2,
                             KBS_EV_BASE64) < 0)
                return -ENOMEM;
        if (t->eventlog.data && kbs_ev_add_bytes(o, "tpm_eventlog", t->eventlog.data,
                                                 t->eventlog.size, KBS_EV_BASE64) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
