#include "confnode/basic/evp-fetch.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>

static void test_digests_match_openssl(void **state) {
        static const struct {
                EvpFetchMd id;
                const char *name;
        } cases[] = {
                { EVP_FETCH_SHA1, "SHA1" },         { EVP_FETCH_SHA256, "SHA256" },
                { EVP_FETCH_SHA384, "SHA384" },     { EVP_FETCH_SHA512, "SHA512" },
                { EVP_FETCH_SHA3_256, "SHA3-256" }, { EVP_FETCH_SHA3_384, "SHA3-384" },
                { EVP_FETCH_SHA3_512, "SHA3-512" },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const EVP_MD *md = evp_fetch_md(cases[i].id);
                uint8_t got[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
                unsigned got_n = 0;
                size_t want_n = 0;

                assert_non_null(md);
                assert_true(EVP_MD_is_a(md, cases[i].name));
                /* The same object every time: fetched once. */
                assert_ptr_equal(evp_fetch_md(cases[i].id), md);
                assert_int_equal(EVP_Digest("abc", 3, got, &got_n, md, NULL), 1);
                assert_int_equal(EVP_Q_digest(NULL, cases[i].name, NULL, "abc", 3, want,
                                              &want_n),
                                 1);
                assert_int_equal(got_n, EVP_MD_get_size(md));
                assert_int_equal(want_n, got_n);
                assert_memory_equal(got, want, got_n);
        }
}

static void test_sha256_digest(void **state) {
        /* FIPS 180-2 appendix B.1. */
        static const uint8_t abc[32] = {
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
        };
        uint8_t got[32];
        (void)state;

        assert_int_equal(evp_fetch_sha256_digest("abc", 3, got), 0);
        assert_memory_equal(got, abc, sizeof(abc));
        assert_ptr_equal(evp_fetch_sha256(), evp_fetch_md(EVP_FETCH_SHA256));
}

static void test_ciphers_and_kdfs(void **state) {
        (void)state;

        assert_true(EVP_CIPHER_is_a(evp_fetch_cipher(EVP_FETCH_AES_256_GCM), "AES-256-GCM"));
        assert_true(EVP_CIPHER_is_a(evp_fetch_cipher(EVP_FETCH_AES_256_WRAP), "AES-256-WRAP"));
        assert_true(EVP_KDF_is_a(evp_fetch_kdf(EVP_FETCH_HKDF), "HKDF"));
        assert_true(EVP_KDF_is_a(evp_fetch_kdf(EVP_FETCH_SSKDF), "SSKDF"));
}

static void test_out_of_range(void **state) {
        (void)state;

        assert_null(evp_fetch_md(_EVP_FETCH_MD_MAX));
        assert_null(evp_fetch_md(_EVP_FETCH_MD_INVALID));
        assert_null(evp_fetch_cipher(_EVP_FETCH_CIPHER_MAX));
        assert_null(evp_fetch_kdf(_EVP_FETCH_KDF_INVALID));
}

static void test_ec_keys(void **state) {
        static const struct {
                EvpFetchCurve curve;
                const char *name;
                size_t point_size;
        } cases[] = {
                { EVP_FETCH_P256, "P-256", 65 },
                { EVP_FETCH_P384, "P-384", 97 },
                { EVP_FETCH_P521, "P-521", 133 },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                EVP_PKEY *gen = NULL, *other = NULL, *pub = NULL, *bad = NULL;
                uint8_t point[133], sig[160];
                size_t point_size = 0, sig_size = sizeof(sig);
                EVP_MD_CTX *md = EVP_MD_CTX_new();
                char group[32];

                /* Two fresh key pairs on the curve, and not the same one. */
                assert_int_equal(evp_fetch_ec_generate(cases[i].curve, &gen), 0);
                assert_int_equal(evp_fetch_ec_generate(cases[i].curve, &other), 0);
                assert_int_equal(EVP_PKEY_eq(gen, other), 0);
                assert_int_equal(EVP_PKEY_get_group_name(gen, group, sizeof(group), NULL), 1);
                assert_true(EVP_PKEY_is_a(gen, "EC"));
                assert_int_equal(EVP_PKEY_get_octet_string_param(
                                         gen, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                         sizeof(point), &point_size),
                                 1);
                assert_int_equal(point_size, cases[i].point_size);

                /* Its public point imports as the same key, which verifies
                 * what the private key signed. */
                assert_int_equal(evp_fetch_ec_public_key(cases[i].curve, point, point_size, &pub),
                                 0);
                assert_int_equal(EVP_PKEY_eq(pub, gen), 1);
                assert_non_null(md);
                assert_int_equal(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, gen, NULL),
                                 1);
                assert_int_equal(EVP_DigestSign(md, sig, &sig_size, (const uint8_t *)"abc", 3),
                                 1);
                assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pub,
                                                         NULL),
                                 1);
                assert_int_equal(EVP_DigestVerify(md, sig, sig_size, (const uint8_t *)"abc", 3),
                                 1);

                /* A point off the curve, a truncated one and the point at
                 * infinity are refused. */
                point[point_size - 1] ^= 1;
                assert_int_equal(evp_fetch_ec_public_key(cases[i].curve, point, point_size, &bad),
                                 -EBADMSG);
                point[point_size - 1] ^= 1;
                assert_int_equal(
                        evp_fetch_ec_public_key(cases[i].curve, point, point_size - 1, &bad),
                        -EBADMSG);
                assert_int_equal(evp_fetch_ec_public_key(cases[i].curve, (const uint8_t *)"", 1,
                                                         &bad),
                                 -EBADMSG);
                assert_null(bad);

                EVP_MD_CTX_free(md);
                EVP_PKEY_free(gen);
                EVP_PKEY_free(other);
                EVP_PKEY_free(pub);
        }
        assert_int_equal(evp_fetch_ec_generate(_EVP_FETCH_CURVE_MAX, &(EVP_PKEY *){NULL}),
                         -EOPNOTSUPP);
}

static void *fetch_thread(void *arg) {
        const EVP_MD **ret = arg;

        *ret = evp_fetch_md(EVP_FETCH_SHA384);
        return NULL;
}

static void test_threads_share_one_fetch(void **state) {
        pthread_t t[4];
        const EVP_MD *got[4] = {};
        (void)state;

        for (size_t i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, fetch_thread, &got[i]), 0);
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(pthread_join(t[i], NULL), 0);
        for (size_t i = 0; i < 4; i++) {
                assert_non_null(got[i]);
                assert_ptr_equal(got[i], got[0]);
        }
}

/* Every thread makes keys from the same parameter keys at once, as the
 * verifier's threads do. */
static void *ec_thread(void *arg) {
        int *ok = arg;

        *ok = 1;
        for (int i = 0; i < 100; i++) {
                EVP_PKEY *gen = NULL, *pub = NULL;
                uint8_t point[65];
                size_t n = 0;

                if (evp_fetch_ec_generate(EVP_FETCH_P256, &gen) < 0 ||
                    EVP_PKEY_get_octet_string_param(gen, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                                    sizeof(point), &n) != 1 ||
                    evp_fetch_ec_public_key(EVP_FETCH_P256, point, n, &pub) < 0 ||
                    EVP_PKEY_eq(gen, pub) != 1)
                        *ok = 0;
                EVP_PKEY_free(gen);
                EVP_PKEY_free(pub);
        }
        return NULL;
}

static void test_ec_keys_threads(void **state) {
        pthread_t t[4];
        int ok[4] = {};
        (void)state;

        for (size_t i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, ec_thread, &ok[i]), 0);
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                assert_int_equal(ok[i], 1);
        }
}

int main(void) {
        /* The threads test first, so the once-only fetch happens in them. */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_threads_share_one_fetch),
                cmocka_unit_test(test_digests_match_openssl),
                cmocka_unit_test(test_sha256_digest),
                cmocka_unit_test(test_ciphers_and_kdfs),
                cmocka_unit_test(test_out_of_range),
                cmocka_unit_test(test_ec_keys),
                cmocka_unit_test(test_ec_keys_threads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
