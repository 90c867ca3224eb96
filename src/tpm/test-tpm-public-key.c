#include "confnode/tpm/tpm-public-key.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "confnode/tpm/tpm-quote-verify.h"

/* The fingerprint the encoder gives: SHA-256 of i2d_PUBKEY(), first 8
 * bytes in hex. */
static void fingerprint_by_encoder(EVP_PKEY *key, char ret[static 17]) {
        unsigned char *der = NULL, md[32];
        int n = i2d_PUBKEY(key, &der);

        assert_true(n > 0);
        assert_int_equal(EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL), 1);
        OPENSSL_free(der);
        for (int i = 0; i < 8; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
}

/* Our SubjectPublicKeyInfo is i2d_PUBKEY()'s, byte for byte, and so is the
 * fingerprint made from it. */
static void assert_spki_is_encoders(EVP_PKEY *key) {
        unsigned char *der = NULL;
        uint8_t buf[1200];
        char fp[17], want[17];
        size_t size = 0;
        int n = i2d_PUBKEY(key, &der);

        assert_true(n > 0);
        assert_int_equal(tpm_public_key_spki(key, buf, sizeof(buf), &size), 0);
        assert_int_equal(size, (size_t)n);
        assert_memory_equal(buf, der, size);
        /* One byte short of room is refused, not overrun. */
        assert_int_equal(tpm_public_key_spki(key, buf, size - 1, &size), -ENOBUFS);
        OPENSSL_free(der);

        assert_int_equal(tpm_public_key_fingerprint(key, fp), 0);
        fingerprint_by_encoder(key, want);
        assert_string_equal(fp, want);
}

static void test_spki_ec(void **state) {
        static const char *const curves[] = {"P-256", "P-384", "P-521"};
        (void)state;

        for (size_t i = 0; i < 3; i++) {
                for (int k = 0; k < 8; k++) {
                        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);

                        assert_non_null(key);
                        assert_spki_is_encoders(key);
                        EVP_PKEY_free(key);
                }
        }
}

static void test_spki_rsa(void **state) {
        static const size_t bits[] = {1024, 2048, 2048, 3072};
        (void)state;

        for (size_t i = 0; i < 4; i++) {
                EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits[i]);

                assert_non_null(key);
                assert_spki_is_encoders(key);
                EVP_PKEY_free(key);
        }
}

static void test_spki_rsa_small_exponent(void **state) {
        /* e = 3 and a modulus without its top bit set: the INTEGER
         * padding rules both ways. */
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        unsigned e = 3;
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e),
                OSSL_PARAM_construct_end(),
        };
        EVP_PKEY *key = NULL;
        (void)state;

        assert_non_null(ctx);
        assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_params(ctx, params), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2047), 1);
        assert_int_equal(EVP_PKEY_generate(ctx, &key), 1);
        assert_spki_is_encoders(key);
        EVP_PKEY_free(key);
        EVP_PKEY_CTX_free(ctx);
}

static EVP_PKEY *load_der(const uint8_t *der, size_t size) {
        const unsigned char *p = der;
        EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)size);

        assert_non_null(key);
        return key;
}

static void test_spki_compressed_and_explicit(void **state) {
        EVP_PKEY *gen = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *key;
        unsigned char *der = NULL;
        uint8_t buf[1200];
        char fp[17], want[17];
        size_t size;
        int n;
        (void)state;

        /* A key read from a compressed point keeps that form in its DER. */
        assert_non_null(gen);
        assert_int_equal(EVP_PKEY_set_utf8_string_param(gen,
                                                        OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                        "compressed"),
                         1);
        n = i2d_PUBKEY(gen, &der);
        assert_int_equal(n, 59); /* 26 bytes of header, 33 of point */
        key = load_der(der, (size_t)n);
        OPENSSL_free(der);
        der = NULL;
        assert_spki_is_encoders(key);
        EVP_PKEY_free(key);

        /* Explicit curve parameters are not ours to write: the fingerprint
         * falls back to the encoder. */
        assert_int_equal(EVP_PKEY_set_utf8_string_param(gen,
                                                        OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                        "uncompressed"),
                         1);
        assert_int_equal(EVP_PKEY_set_utf8_string_param(gen, OSSL_PKEY_PARAM_EC_ENCODING,
                                                        OSSL_PKEY_EC_ENCODING_EXPLICIT),
                         1);
        n = i2d_PUBKEY(gen, &der);
        assert_true(n > 91);
        key = load_der(der, (size_t)n);
        OPENSSL_free(der);
        assert_int_equal(tpm_public_key_spki(key, buf, sizeof(buf), &size), -EOPNOTSUPP);
        assert_int_equal(tpm_public_key_fingerprint(key, fp), 0);
        fingerprint_by_encoder(key, want);
        assert_string_equal(fp, want);
        EVP_PKEY_free(key);
        EVP_PKEY_free(gen);
}

static void test_spki_other_types(void **state) {
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        uint8_t buf[256];
        char fp[17], want[17];
        size_t size;
        (void)state;

        assert_non_null(key);
        assert_int_equal(tpm_public_key_spki(key, buf, sizeof(buf), &size), -EOPNOTSUPP);
        assert_int_equal(tpm_public_key_fingerprint(key, fp), 0);
        fingerprint_by_encoder(key, want);
        assert_string_equal(fp, want);
        EVP_PKEY_free(key);
}

/* An EC SubjectPublicKeyInfo loads (by the quick import) as the key it
 * was written from, and as the TPMT_PUBLIC with the same point does. */
static void test_load_ec_der(void **state) {
        static const struct {
                const char *curve;
                uint16_t tpm_curve;
                size_t field;
        } cases[] = {
                {"P-256", TPM_ECC_NIST_P256, 32},
                {"P-384", TPM_ECC_NIST_P384, 48},
                {"P-521", TPM_ECC_NIST_P521, 66},
        };
        (void)state;

        for (size_t i = 0; i < 3; i++) {
                EVP_PKEY *gen = EVP_PKEY_Q_keygen(NULL, NULL, "EC", cases[i].curve), *key = NULL,
                         *from_tpmt = NULL;
                uint8_t point[1 + 2 * 66];
                unsigned char *der = NULL;
                TpmKeyFormat format;
                TpmPublic pub = {.type = TPM_ALG_ECC, .ecc_curve = cases[i].tpm_curve};
                size_t point_size = 0;
                int n;

                assert_non_null(gen);
                n = i2d_PUBKEY(gen, &der);
                assert_true(n > 0);
                assert_int_equal(tpm_public_key_load(der, (size_t)n, &key, &format, NULL, NULL,
                                                     NULL),
                                 0);
                assert_int_equal(format, TPM_KEY_FORMAT_DER);
                assert_int_equal(EVP_PKEY_eq(key, gen), 1);
                assert_int_equal(EVP_PKEY_get_bits(key), EVP_PKEY_get_bits(gen));
                assert_spki_is_encoders(key);

                assert_int_equal(EVP_PKEY_get_octet_string_param(
                                         gen, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                         sizeof(point), &point_size),
                                 1);
                assert_int_equal(point_size, 1 + 2 * cases[i].field);
                memcpy(pub.ecc_x, point + 1, cases[i].field);
                memcpy(pub.ecc_y, point + 1 + cases[i].field, cases[i].field);
                pub.ecc_x_size = pub.ecc_y_size = cases[i].field;
                assert_int_equal(tpm_public_key_from_tpmt(&pub, &from_tpmt), 0);
                assert_int_equal(EVP_PKEY_eq(from_tpmt, gen), 1);

                /* A trailing byte, and a point off the curve, are refused
                 * as before, with the decoder's error. */
                {
                        uint8_t longer[256];
                        ParseError err = {};
                        EVP_PKEY *bad = NULL;

                        memcpy(longer, der, (size_t)n);
                        longer[n] = 0;
                        assert_int_equal(tpm_public_key_load(longer, (size_t)n + 1, &bad, NULL,
                                                             NULL, NULL, &err),
                                         -EBADMSG);
                        assert_null(bad);
                        memcpy(longer, der, (size_t)n);
                        longer[n - 1] ^= 1;
                        assert_int_equal(tpm_public_key_load(longer, (size_t)n, &bad, NULL, NULL,
                                                             NULL, &err),
                                         -EBADMSG);
                        assert_null(bad);
                        assert_true(err.set);
                        pub.ecc_y[cases[i].field - 1] ^= 1;
                        assert_int_equal(tpm_public_key_from_tpmt(&pub, &bad), -EBADMSG);
                        assert_null(bad);
                }
                OPENSSL_free(der);
                EVP_PKEY_free(key);
                EVP_PKEY_free(from_tpmt);
                EVP_PKEY_free(gen);
        }
}

/* ECDSA quote signatures with r and s as a TPM sends them (at the field's
 * width, leading zeros kept) and stripped of leading zeros: both verify,
 * whatever their top bits (the DER of the signature is written by hand).
 * One changed bit of s or of the message does not. */
static void test_quote_signature_ecdsa(void **state) {
        static const struct {
                const char *curve;
                size_t field;
        } curves[] = {{"P-256", 32}, {"P-384", 48}};
        const uint8_t msg[] = "a TPMS_ATTEST stand-in";
        (void)state;

        for (size_t c = 0; c < 2; c++) {
                EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[c].curve);
                size_t high_r = 0, low_r = 0;

                assert_non_null(key);
                for (int round = 0; round < 64; round++) {
                        EVP_MD_CTX *md = EVP_MD_CTX_new();
                        uint8_t der[160];
                        const unsigned char *p = der;
                        size_t der_size = sizeof(der), f = curves[c].field;
                        ECDSA_SIG *es;
                        TpmSignature sig = {.sig_alg = TPM_ALG_ECDSA, .hash_alg = TPM_ALG_SHA256};

                        assert_int_equal(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL,
                                                               key, NULL),
                                         1);
                        assert_int_equal(EVP_DigestSign(md, der, &der_size, msg, sizeof(msg)), 1);
                        EVP_MD_CTX_free(md);
                        es = d2i_ECDSA_SIG(NULL, &p, (long)der_size);
                        assert_non_null(es);
                        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig.ecdsa_r, (int)f),
                                         (int)f);
                        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), sig.ecdsa_s, (int)f),
                                         (int)f);
                        sig.ecdsa_r_size = sig.ecdsa_s_size = f;
                        if (sig.ecdsa_r[0] & 0x80)
                                high_r++;
                        else
                                low_r++;
                        assert_int_equal(tpm_quote_verify_signature(&sig, key, msg, sizeof(msg)),
                                         0);

                        /* Minimal, as tss2 may marshal them. */
                        sig.ecdsa_r_size = (size_t)BN_bn2bin(ECDSA_SIG_get0_r(es), sig.ecdsa_r);
                        sig.ecdsa_s_size = (size_t)BN_bn2bin(ECDSA_SIG_get0_s(es), sig.ecdsa_s);
                        assert_int_equal(tpm_quote_verify_signature(&sig, key, msg, sizeof(msg)),
                                         0);

                        /* With zero bytes in front of each. */
                        memmove(sig.ecdsa_r + 2, sig.ecdsa_r, sig.ecdsa_r_size);
                        memset(sig.ecdsa_r, 0, 2);
                        sig.ecdsa_r_size += 2;
                        assert_int_equal(tpm_quote_verify_signature(&sig, key, msg, sizeof(msg)),
                                         0);

                        sig.ecdsa_s[sig.ecdsa_s_size - 1] ^= 1;
                        assert_int_equal(tpm_quote_verify_signature(&sig, key, msg, sizeof(msg)),
                                         -EKEYREJECTED);
                        sig.ecdsa_s[sig.ecdsa_s_size - 1] ^= 1;
                        assert_int_equal(tpm_quote_verify_signature(&sig, key, msg,
                                                                    sizeof(msg) - 1),
                                         -EKEYREJECTED);
                        ECDSA_SIG_free(es);
                }
                /* Both kinds of r came up (a 2^-64 chance each to miss). */
                assert_true(high_r > 0 && low_r > 0);
                EVP_PKEY_free(key);
        }
}

static void test_quote_signature_ecdsa_zero(void **state) {
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        TpmSignature sig = {.sig_alg = TPM_ALG_ECDSA, .hash_alg = TPM_ALG_SHA256};
        (void)state;

        /* r = s = 0, empty or not: refused, never taken for valid. */
        assert_non_null(key);
        assert_int_equal(tpm_quote_verify_signature(&sig, key, (const uint8_t *)"x", 1),
                         -EKEYREJECTED);
        sig.ecdsa_r_size = sig.ecdsa_s_size = 32;
        assert_int_equal(tpm_quote_verify_signature(&sig, key, (const uint8_t *)"x", 1),
                         -EKEYREJECTED);
        EVP_PKEY_free(key);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spki_ec),
                cmocka_unit_test(test_spki_rsa),
                cmocka_unit_test(test_spki_rsa_small_exponent),
                cmocka_unit_test(test_spki_compressed_and_explicit),
                cmocka_unit_test(test_spki_other_types),
                cmocka_unit_test(test_load_ec_der),
                cmocka_unit_test(test_quote_signature_ecdsa),
                cmocka_unit_test(test_quote_signature_ecdsa_zero),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
