#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/p384.h"

#define DIFF_KEYS 150
#define DIFF_MESSAGES 8

static const uint8_t p384_n_bytes[48] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2,
        0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};

/* Made once with the openssl command: `ecparam -genkey`, `dgst -sha384
 * -sign` over "confnode p384 known answer", the point from `ec -pubout`
 * and (r, s) from `asn1parse` of the signature. */
static const char kat_message[] = "confnode p384 known answer";
static const uint8_t kat_point[97] = {
        0x04, 0x2f, 0x86, 0x6f, 0xcd, 0x8e, 0xc5, 0x9a, 0xcf, 0x3b, 0xcb, 0xae,
        0x8b, 0x09, 0x3b, 0x1f, 0xff, 0x80, 0xc0, 0xae, 0x74, 0xee, 0xb3, 0x0c,
        0xed, 0xe2, 0x05, 0xbf, 0xb0, 0x10, 0xd4, 0xe2, 0x32, 0x9d, 0xd5, 0x8e,
        0x87, 0xaf, 0xa8, 0xe3, 0xac, 0xf6, 0xc5, 0x06, 0x59, 0x52, 0xe9, 0x02,
        0xf4, 0x66, 0x54, 0x89, 0xab, 0x53, 0x1b, 0xee, 0xa9, 0xfd, 0x58, 0x78,
        0x0d, 0x8f, 0x40, 0x5e, 0xa1, 0x21, 0x5d, 0x6c, 0x75, 0x6c, 0xdb, 0x32,
        0xd8, 0x91, 0x57, 0xaf, 0x81, 0x40, 0x37, 0x9a, 0x9f, 0x8c, 0xfa, 0x78,
        0x41, 0x9d, 0x11, 0x3c, 0x78, 0x83, 0xc9, 0xbf, 0x10, 0xf7, 0x5b, 0xd0,
        0x51,
};
static const uint8_t kat_digest[48] = {
        0x07, 0x16, 0x19, 0xa8, 0xdd, 0x9e, 0x26, 0x78, 0x25, 0x15, 0xed, 0x4a,
        0x05, 0x83, 0xa3, 0x9a, 0xf8, 0x0a, 0x31, 0xe9, 0x05, 0x32, 0x11, 0x7b,
        0xe9, 0xfc, 0x87, 0x40, 0xac, 0xb1, 0xd4, 0x0d, 0xf3, 0xc3, 0x4f, 0x27,
        0xac, 0x7e, 0x55, 0x9d, 0x6d, 0x92, 0x64, 0xc9, 0x56, 0x58, 0x4d, 0x2a,
};
static const uint8_t kat_r[48] = {
        0xcd, 0x6f, 0x06, 0x3a, 0xd4, 0x2b, 0x33, 0x75, 0xad, 0xe6, 0x58, 0x09,
        0x29, 0x83, 0xa2, 0x5a, 0x85, 0xd1, 0x49, 0x25, 0x3a, 0x9f, 0xd6, 0xb5,
        0xf9, 0x1d, 0xe7, 0x42, 0xc9, 0x1e, 0xf2, 0xd0, 0x97, 0x26, 0xe0, 0xac,
        0x3e, 0xfc, 0x98, 0xeb, 0xa5, 0x22, 0x6a, 0xbe, 0xfb, 0x72, 0x88, 0x3e,
};
static const uint8_t kat_s[48] = {
        0x49, 0xb1, 0xa3, 0x1b, 0x72, 0x61, 0x25, 0xd9, 0x73, 0xe1, 0x1b, 0xe1,
        0x14, 0x6e, 0x77, 0xcf, 0xc9, 0x87, 0x9f, 0xd4, 0xa5, 0xa4, 0x61, 0x69,
        0x3e, 0x4d, 0x06, 0x88, 0xa1, 0x3f, 0x28, 0x42, 0x91, 0x56, 0xe3, 0x20,
        0x8e, 0x8b, 0x3d, 0xbe, 0x64, 0x93, 0x4d, 0x40, 0x05, 0x7d, 0x68, 0xc6,
};

static void point_of(EVP_PKEY *key, uint8_t point[97]) {
        size_t n = 0;

        assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         point, 97, &n),
                         1);
        assert_int_equal(n, 97);
        assert_int_equal(point[0], 0x04);
}

/* OpenSSL's answer for a raw digest: 0 valid, -EKEYREJECTED not (any r
 * and s, also out of range), -EINVAL for a point it does not take. */
static int oracle(const uint8_t point[97], const uint8_t digest[48], const uint8_t r[48],
                  const uint8_t s[48]) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
        BIGNUM *br = BN_bin2bn(r, 48, NULL), *bs = BN_bin2bn(s, 48, NULL);
        unsigned char *der = NULL;
        int n, ok;

        assert_non_null(sig);
        assert_non_null(br);
        assert_non_null(bs);
        assert_int_equal(ECDSA_SIG_set0(sig, br, bs), 1);
        if (evp_fetch_ec_public_key(EVP_FETCH_P384, point, 97, &key) < 0)
                return -EINVAL;
        ctx = EVP_PKEY_CTX_new(key, NULL);
        assert_non_null(ctx);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        n = i2d_ECDSA_SIG(sig, &der);
        assert_true(n > 0);
        ok = EVP_PKEY_verify(ctx, der, (size_t) n, digest, 48);
        OPENSSL_free(der);
        return ok == 1 ? 0 : -EKEYREJECTED;
}

/* Both of our paths, which must agree with each other. */
static int ours(const P384Key *k, const uint8_t point[97], const uint8_t digest[48],
                const uint8_t r[48], const uint8_t s[48]) {
        int a = p384_verify(point, digest, r, s);

        if (k)
                assert_int_equal(p384_key_verify(k, digest, r, s), a);
        return a;
}

static void check_agrees(const P384Key *k, const uint8_t point[97], const uint8_t digest[48],
                         const uint8_t r[48], const uint8_t s[48]) {
        assert_int_equal(ours(k, point, digest, r, s), oracle(point, digest, r, s));
}

static void sign_digest(EVP_PKEY *key, const uint8_t digest[48], uint8_t r[48], uint8_t s[48]) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
        uint8_t der[128];
        const uint8_t *p = der;
        size_t der_size = sizeof(der);
        const BIGNUM *br, *bs;

        assert_non_null(ctx);
        assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
        assert_int_equal(EVP_PKEY_sign(ctx, der, &der_size, digest, 48), 1);
        sig = d2i_ECDSA_SIG(NULL, &p, (long) der_size);
        assert_non_null(sig);
        ECDSA_SIG_get0(sig, &br, &bs);
        assert_int_equal(BN_bn2binpad(br, r, 48), 48);
        assert_int_equal(BN_bn2binpad(bs, s, 48), 48);
}

static void test_known_answer(void **state) {
        _cleanup_(p384_key_freep) P384Key *k = NULL;
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t digest[48], r[48];
        unsigned n = 0;
        (void) state;

        /* The digest is SHA-384 of the message. */
        assert_non_null(ctx);
        assert_int_equal(EVP_DigestInit_ex(ctx, evp_fetch_md(EVP_FETCH_SHA384), NULL), 1);
        assert_int_equal(EVP_DigestUpdate(ctx, kat_message, strlen(kat_message)), 1);
        assert_int_equal(EVP_DigestFinal_ex(ctx, digest, &n), 1);
        assert_memory_equal(digest, kat_digest, 48);

        assert_int_equal(p384_key_new(kat_point, &k), 0);
        assert_int_equal(p384_key_verify(k, kat_digest, kat_r, kat_s), 0);
        assert_int_equal(p384_verify(kat_point, kat_digest, kat_r, kat_s), 0);
        memcpy(r, kat_r, 48);
        r[47] ^= 1;
        assert_int_equal(p384_key_verify(k, kat_digest, r, kat_s), -EKEYREJECTED);
        assert_int_equal(p384_verify(kat_point, kat_digest, r, kat_s), -EKEYREJECTED);
}

/* Random keys and messages, signed by OpenSSL: the signature verifies
 * (also through EVP_DigestVerify on the message), and any flipped bit of r,
 * s, the digest or the key gets the answer OpenSSL gives. */
static void test_differential(void **state) {
        (void) state;

        for (int i = 0; i < DIFF_KEYS; i++) {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-384");
                _cleanup_(p384_key_freep) P384Key *k = NULL;
                uint8_t point[97];

                assert_non_null(key);
                point_of(key, point);
                assert_int_equal(p384_key_new(point, &k), 0);

                for (int j = 0; j < DIFF_MESSAGES; j++) {
                        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
                        uint8_t msg[64], digest[48], r[48], s[48], bad[97];
                        unsigned dn = 0;
                        int bit;

                        assert_non_null(ctx);
                        assert_int_equal(RAND_bytes(msg, sizeof(msg)), 1);
                        assert_int_equal(EVP_Digest(msg, sizeof(msg), digest, &dn,
                                                    evp_fetch_md(EVP_FETCH_SHA384), NULL),
                                         1);
                        sign_digest(key, digest, r, s);
                        assert_int_equal(ours(k, point, digest, r, s), 0);
                        assert_int_equal(oracle(point, digest, r, s), 0);

                        /* The message-level check OpenSSL makes. */
                        {
                                _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
                                unsigned char *der = NULL;
                                int n;

                                assert_non_null(sig);
                                assert_int_equal(ECDSA_SIG_set0(sig, BN_bin2bn(r, 48, NULL),
                                                                BN_bin2bn(s, 48, NULL)),
                                                 1);
                                n = i2d_ECDSA_SIG(sig, &der);
                                assert_true(n > 0);
                                assert_int_equal(EVP_DigestVerifyInit_ex(ctx, NULL, "SHA384",
                                                                         NULL, NULL, key, NULL),
                                                 1);
                                assert_int_equal(
                                        EVP_DigestVerify(ctx, der, (size_t) n, msg, sizeof(msg)),
                                        1);
                                OPENSSL_free(der);
                        }

                        bit = (int) (((unsigned) msg[0] << 8 | msg[1]) % 384);
                        r[bit / 8] ^= (uint8_t) (1 << (bit % 8));
                        check_agrees(k, point, digest, r, s);
                        r[bit / 8] ^= (uint8_t) (1 << (bit % 8));
                        s[bit / 8] ^= (uint8_t) (1 << (bit % 8));
                        check_agrees(k, point, digest, r, s);
                        s[bit / 8] ^= (uint8_t) (1 << (bit % 8));
                        digest[bit / 8] ^= (uint8_t) (1 << (bit % 8));
                        check_agrees(k, point, digest, r, s);
                        digest[bit / 8] ^= (uint8_t) (1 << (bit % 8));

                        /* A flipped bit of the key: off the curve (both
                         * refuse the point) or, rarely, another key. */
                        memcpy(bad, point, sizeof(bad));
                        bad[1 + (msg[2] % 96)] ^= (uint8_t) (1 << (msg[3] % 8));
                        {
                                _cleanup_(p384_key_freep) P384Key *kb = NULL;
                                int e = p384_key_new(bad, &kb);

                                assert_int_equal(p384_verify(bad, digest, r, s),
                                                 oracle(bad, digest, r, s));
                                if (e < 0)
                                        assert_int_equal(p384_verify(bad, digest, r, s), -EINVAL);
                                else
                                        assert_int_equal(p384_key_verify(kb, digest, r, s),
                                                         -EKEYREJECTED);
                        }
                }
        }
}

static void test_scalar_range(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-384");
        _cleanup_(p384_key_freep) P384Key *k = NULL;
        uint8_t point[97], digest[48], r[48], s[48], v[48];
        uint8_t bad[5][48];
        (void) state;

        assert_non_null(key);
        point_of(key, point);
        assert_int_equal(p384_key_new(point, &k), 0);
        assert_int_equal(RAND_bytes(digest, sizeof(digest)), 1);
        sign_digest(key, digest, r, s);
        assert_int_equal(ours(k, point, digest, r, s), 0);

        /* 0, n, n - 1, n + 1, 2^384 - 1. */
        memset(bad[0], 0, 48);
        memcpy(bad[1], p384_n_bytes, 48);
        memcpy(bad[2], p384_n_bytes, 48);
        bad[2][47] -= 1;
        memcpy(bad[3], p384_n_bytes, 48);
        bad[3][47] += 1;
        memset(bad[4], 0xff, 48);
        for (size_t i = 0; i < 5; i++) {
                memcpy(v, bad[i], 48);
                assert_int_equal(ours(k, point, digest, v, s), -EKEYREJECTED);
                assert_int_equal(ours(k, point, digest, r, v), -EKEYREJECTED);
                check_agrees(k, point, digest, v, s);
                check_agrees(k, point, digest, r, v);
        }
        /* r + n and s + n (both still below 2^384) are other numbers. */
        {
                BIGNUM *br = BN_bin2bn(r, 48, NULL), *bn = BN_bin2bn(p384_n_bytes, 48, NULL);

                assert_non_null(br);
                assert_non_null(bn);
                assert_int_equal(BN_add(br, br, bn), 1);
                if (BN_num_bytes(br) <= 48) {
                        assert_int_equal(BN_bn2binpad(br, v, 48), 48);
                        assert_int_equal(ours(k, point, digest, v, s), -EKEYREJECTED);
                }
                BN_free(br);
                BN_free(bn);
        }
}

/* Digests of 0 and of n or above (reduced to e - n). */
static void test_digest_edges(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-384");
        _cleanup_(p384_key_freep) P384Key *k = NULL;
        uint8_t point[97], digest[48], r[48], s[48];
        (void) state;

        assert_non_null(key);
        point_of(key, point);
        assert_int_equal(p384_key_new(point, &k), 0);

        memset(digest, 0, sizeof(digest));
        sign_digest(key, digest, r, s);
        assert_int_equal(ours(k, point, digest, r, s), 0);
        check_agrees(k, point, digest, r, s);

        memcpy(digest, p384_n_bytes, sizeof(digest));
        sign_digest(key, digest, r, s);
        assert_int_equal(ours(k, point, digest, r, s), 0);
        check_agrees(k, point, digest, r, s);
        /* n signs as 0 does. */
        memset(digest, 0, sizeof(digest));
        assert_int_equal(ours(k, point, digest, r, s), 0);

        memset(digest, 0xff, sizeof(digest));
        sign_digest(key, digest, r, s);
        assert_int_equal(ours(k, point, digest, r, s), 0);
        check_agrees(k, point, digest, r, s);
}

static void test_bad_points(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-384");
        P384Key *k = NULL;
        uint8_t point[97], bad[97], digest[48] = {1}, r[48] = {1}, s[48] = {1};
        BIGNUM *y, *p;
        (void) state;

        assert_non_null(key);
        point_of(key, point);

        /* Off the curve: y + 1. */
        memcpy(bad, point, sizeof(bad));
        for (int i = 96; i > 48; i--)
                if (++bad[i] != 0)
                        break;
        assert_int_equal(p384_key_new(bad, &k), -EINVAL);
        assert_null(k);
        assert_int_equal(p384_verify(bad, digest, r, s), -EINVAL);
        assert_int_equal(oracle(bad, digest, r, s), -EINVAL);

        /* The point at infinity: all zeros, with either prefix. */
        memset(bad, 0, sizeof(bad));
        assert_int_equal(p384_key_new(bad, &k), -EINVAL);
        bad[0] = 0x04;
        assert_int_equal(p384_key_new(bad, &k), -EINVAL);
        assert_int_equal(p384_verify(bad, digest, r, s), -EINVAL);
        assert_int_equal(oracle(bad, digest, r, s), -EINVAL);

        /* Compressed and hybrid prefixes. */
        memcpy(bad, point, sizeof(bad));
        for (uint8_t prefix = 0x02; prefix <= 0x07; prefix++) {
                if (prefix == 0x04)
                        continue;
                bad[0] = prefix;
                assert_int_equal(p384_key_new(bad, &k), -EINVAL);
        }

        /* y + p: the same point mod p, but a coordinate not below p. A y
         * below 2^384 - p has one. */
        memcpy(bad, point, sizeof(bad));
        y = BN_bin2bn(point + 49, 48, NULL);
        p = BN_new();
        assert_non_null(y);
        assert_non_null(p);
        assert_int_equal(BN_set_word(p, 0), 1);
        assert_int_equal(BN_set_bit(p, 384), 1);
        assert_int_equal(BN_sub_word(p, 1), 1);
        assert_int_equal(BN_clear_bit(p, 128), 1);
        /* 2^384 - 1 - 2^128 - 2^96 + 2^32 = p. */
        assert_int_equal(BN_clear_bit(p, 96), 1);
        assert_int_equal(BN_add_word(p, 0x100000000ULL), 1);
        assert_int_equal(BN_add(y, y, p), 1);
        if (BN_num_bits(y) <= 384) {
                assert_int_equal(BN_bn2binpad(y, bad + 49, 48), 48);
                assert_int_equal(p384_key_new(bad, &k), -EINVAL);
                assert_int_equal(p384_verify(bad, digest, r, s), -EINVAL);
        }
        BN_free(y);
        BN_free(p);
        assert_null(k);
}

/* Hand-made signatures with the private key known, for the cases random
 * ones never reach. e = r with Q = G gives u1 = u2, so the last addition
 * of the path without a key table adds a point to itself; e = -r gives
 * u1 G + u2 G = infinity. */
static void sign_with(const EC_GROUP *group, const BIGNUM *d, const BIGNUM *k, const uint8_t e[48],
                      uint8_t r[48], uint8_t s[48]) {
        BN_CTX *ctx = BN_CTX_new();
        EC_POINT *rp = EC_POINT_new(group);
        BIGNUM *x = BN_new(), *n = BN_new(), *be = BN_bin2bn(e, 48, NULL), *t = BN_new(),
               *kinv = BN_new();

        assert_true(ctx && rp && x && n && be && t && kinv);
        assert_int_equal(EC_GROUP_get_order(group, n, ctx), 1);
        assert_int_equal(EC_POINT_mul(group, rp, k, NULL, NULL, ctx), 1);
        assert_int_equal(EC_POINT_get_affine_coordinates(group, rp, x, NULL, ctx), 1);
        assert_int_equal(BN_nnmod(x, x, n, ctx), 1);
        assert_int_equal(BN_bn2binpad(x, r, 48), 48);
        /* s = k^-1 (e + r d) mod n */
        assert_int_equal(BN_mod_mul(t, x, d, n, ctx), 1);
        assert_int_equal(BN_mod_add(t, t, be, n, ctx), 1);
        assert_non_null(BN_mod_inverse(kinv, k, n, ctx));
        assert_int_equal(BN_mod_mul(t, t, kinv, n, ctx), 1);
        assert_int_equal(BN_bn2binpad(t, s, 48), 48);
        BN_free(x);
        BN_free(n);
        BN_free(be);
        BN_free(t);
        BN_free(kinv);
        EC_POINT_free(rp);
        BN_CTX_free(ctx);
}

static void test_exceptional_additions(void **state) {
        EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_secp384r1);
        _cleanup_(p384_key_freep) P384Key *kg = NULL;
        BIGNUM *one = BN_new(), *k = BN_new(), *n = BN_new(), *br = NULL;
        uint8_t g[97], e[48], r[48], s[48];
        (void) state;

        assert_non_null(group);
        assert_true(one && k && n);
        assert_int_equal(EC_POINT_point2oct(group, EC_GROUP_get0_generator(group),
                                            POINT_CONVERSION_UNCOMPRESSED, g, sizeof(g), NULL),
                         97);
        assert_int_equal(EC_GROUP_get_order(group, n, NULL), 1);
        assert_int_equal(BN_one(one), 1);
        assert_int_equal(p384_key_new(g, &kg), 0);

        for (int i = 0; i < 16; i++) {
                /* Q = G (d = 1), e = r. */
                assert_int_equal(BN_rand_range(k, n), 1);
                if (BN_is_zero(k))
                        continue;
                /* r depends on k alone: take it first with e = 0. */
                memset(e, 0, sizeof(e));
                sign_with(group, one, k, e, r, s);
                memcpy(e, r, 48);
                sign_with(group, one, k, e, r, s);
                assert_int_equal(ours(kg, g, e, r, s), 0);
                check_agrees(kg, g, e, r, s);
                s[0] ^= 0x01;
                check_agrees(kg, g, e, r, s);

                /* e = n - r: u1 + u2 = 0, the sum is infinity. */
                br = BN_bin2bn(r, 48, NULL);
                assert_non_null(br);
                assert_int_equal(BN_sub(br, n, br), 1);
                assert_int_equal(BN_bn2binpad(br, e, 48), 48);
                BN_free(br);
                assert_int_equal(RAND_bytes(s, 47), 1);
                s[47] = 1;
                s[0] &= 0x7f;
                assert_int_equal(ours(kg, g, e, r, s), -EKEYREJECTED);
                check_agrees(kg, g, e, r, s);
        }
        BN_free(one);
        BN_free(k);
        BN_free(n);
        EC_GROUP_free(group);
}

/* x(R) in (n, p): r = x - n must verify. The smallest such x on the curve
 * is the key Q; e = 0 and s = r make
 * u1 = 0 and u2 = 1, so R = Q. */
static void test_r_plus_n(void **state) {
        EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_secp384r1);
        BN_CTX *ctx = BN_CTX_new();
        EC_POINT *q = EC_POINT_new(group);
        _cleanup_(p384_key_freep) P384Key *k = NULL;
        BIGNUM *x = BN_new(), *n = BN_new();
        uint8_t point[97], e[48] = {0}, r[48], s[48];
        (void) state;

        assert_true(group && ctx && q && x && n);
        assert_int_equal(EC_GROUP_get_order(group, n, ctx), 1);
        /* x = n would make r = 0. */
        assert_non_null(BN_copy(x, n));
        assert_int_equal(BN_add_word(x, 1), 1);
        while (EC_POINT_set_compressed_coordinates(group, q, x, 0, ctx) != 1)
                assert_int_equal(BN_add_word(x, 1), 1);
        assert_int_equal(EC_POINT_point2oct(group, q, POINT_CONVERSION_UNCOMPRESSED, point,
                                            sizeof(point), ctx),
                         97);
        assert_int_equal(BN_sub(x, x, n), 1);
        assert_int_equal(BN_bn2binpad(x, r, 48), 48);
        memcpy(s, r, 48);

        assert_int_equal(p384_key_new(point, &k), 0);
        assert_int_equal(ours(k, point, e, r, s), 0);
        check_agrees(k, point, e, r, s);
        /* Another s: u2 != 1, R is some other point. */
        s[47] ^= 0x02;
        assert_int_equal(ours(k, point, e, r, s), -EKEYREJECTED);
        check_agrees(k, point, e, r, s);

        BN_free(x);
        BN_free(n);
        EC_POINT_free(q);
        BN_CTX_free(ctx);
        EC_GROUP_free(group);
}

/* The generator's table is built on first use; threads racing for it all
 * get a whole one. */
static void *verify_thread(void *arg) {
        int *ret = arg;

        *ret = p384_verify(kat_point, kat_digest, kat_r, kat_s);
        return NULL;
}

static void test_threads(void **state) {
        pthread_t t[4];
        int ret[4];
        (void) state;

        for (size_t i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, verify_thread, &ret[i]), 0);
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                assert_int_equal(ret[i], 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                /* First, so that its threads build the generator's table. */
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_known_answer),
                cmocka_unit_test(test_differential),
                cmocka_unit_test(test_scalar_range),
                cmocka_unit_test(test_digest_edges),
                cmocka_unit_test(test_bad_points),
                cmocka_unit_test(test_exceptional_additions),
                cmocka_unit_test(test_r_plus_n),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
