#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/ecdsa-p384.h"

/* The order q of P-384, big-endian. */
static const uint8_t p384_order[48] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2,
        0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};

/* OpenSSL signs; the test takes (r, s) out of the DER as fixed 48-byte
 * big-endian numbers, as a report's little-endian fields become. */
static void sign(EVP_PKEY *key, const uint8_t *msg, size_t n, uint8_t r[48], uint8_t s[48]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t der[128];
        const uint8_t *p = der;
        size_t der_size = sizeof(der);
        ECDSA_SIG *sig;
        const BIGNUM *br, *bs;

        assert_non_null(ctx);
        assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, "SHA384", NULL, NULL, key, NULL), 1);
        assert_int_equal(EVP_DigestSign(ctx, der, &der_size, msg, n), 1);
        sig = d2i_ECDSA_SIG(NULL, &p, (long)der_size);
        assert_non_null(sig);
        ECDSA_SIG_get0(sig, &br, &bs);
        assert_int_equal(BN_bn2binpad(br, r, 48), 48);
        assert_int_equal(BN_bn2binpad(bs, s, 48), 48);
        ECDSA_SIG_free(sig);
}

static void test_agrees_with_openssl(void **state) {
        (void)state;

        for (int round = 0; round < 8; round++) {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-384");
                uint8_t msg[672], r[48], s[48], r72[72] = {0};

                assert_non_null(key);
                assert_int_equal(RAND_bytes(msg, sizeof(msg)), 1);
                sign(key, msg, sizeof(msg), r, s);
                assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r, 48, s, 48), 0);
                /* Leading zeros, as in a report's 72-byte fields. */
                memcpy(r72 + 24, r, 48);
                assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r72, 72, s, 48), 0);

                /* Any flipped bit of the message or of the signature. */
                msg[round * 37] ^= 0x10;
                assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r, 48, s, 48),
                                 -EKEYREJECTED);
                msg[round * 37] ^= 0x10;
                r[round] ^= 0x01;
                assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r, 48, s, 48),
                                 -EKEYREJECTED);
                r[round] ^= 0x01;
                s[47 - round] ^= 0x80;
                assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r, 48, s, 48),
                                 -EKEYREJECTED);
                s[47 - round] ^= 0x80;
                /* Another key. */
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *other = EVP_EC_gen("P-384");
                assert_non_null(other);
                assert_int_equal(ecdsa_p384_verify_sha384(other, msg, sizeof(msg), r, 48, s, 48),
                                 -EKEYREJECTED);
        }
}

static void test_out_of_range(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-384");
        uint8_t msg[16] = "confnode", r[48], s[48], zero[48] = {0};
        (void)state;

        assert_non_null(key);
        sign(key, msg, sizeof(msg), r, s);
        assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), zero, 48, s, 48),
                         -EKEYREJECTED);
        assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r, 48, zero, 48),
                         -EKEYREJECTED);
        assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), p384_order, 48, s, 48),
                         -EKEYREJECTED);
        assert_int_equal(ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r, 48, p384_order, 48),
                         -EKEYREJECTED);
}

static void test_other_keys(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *p256 = EVP_EC_gen("P-256");
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *rsa = EVP_RSA_gen(2048);
        uint8_t r[48] = {1}, s[48] = {1};
        (void)state;

        assert_non_null(p256);
        assert_non_null(rsa);
        assert_int_equal(ecdsa_p384_verify_sha384(p256, "x", 1, r, 48, s, 48), -EOPNOTSUPP);
        assert_int_equal(ecdsa_p384_verify_sha384(rsa, "x", 1, r, 48, s, 48), -EOPNOTSUPP);
        assert_int_equal(ecdsa_p384_verify_sha384(NULL, "x", 1, r, 48, s, 48), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_agrees_with_openssl),
                cmocka_unit_test(test_out_of_range),
                cmocka_unit_test(test_other_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
