#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/jwk.h"
#include "confnode/basic/openssl-cleanup.h"
#include "jose-internal.h"

static json_object *parse(const char *text) {
        json_object *j = json_tokener_parse(text);

        assert_non_null(j);
        return j;
}

static void set(json_object *o, const char *name, const char *value) {
        assert_int_equal(json_object_object_add(o, name, json_object_new_string(value)), 0);
}

static void test_alg_names(void **state) {
        (void)state;

        assert_string_equal(jwk_alg_to_string(JWK_ALG_ECDH_ES_A256KW), "ECDH-ES+A256KW");
        assert_string_equal(jwk_alg_to_string(JWK_ALG_RSA_OAEP_256), "RSA-OAEP-256");
        assert_null(jwk_alg_to_string(_JWK_ALG_MAX));
        assert_int_equal(jwk_alg_from_string("RSA-OAEP-256"), JWK_ALG_RSA_OAEP_256);
        assert_int_equal(jwk_alg_from_string("RSA1_5"), _JWK_ALG_INVALID);
        assert_int_equal(jwk_alg_from_string("RSA-OAEP"), _JWK_ALG_INVALID);
        assert_int_equal(jwk_alg_from_string(NULL), _JWK_ALG_INVALID);
}

static void test_ec_roundtrip(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *back = NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        json_object *v;
        JwkAlg alg;
        (void)state;

        assert_non_null(key);
        assert_int_equal(jwk_from_pkey(key, &jwk), 0);
        assert_int_equal(json_object_object_length(jwk), 5);
        assert_true(json_object_object_get_ex(jwk, "kty", &v));
        assert_string_equal(json_object_get_string(v), "EC");
        assert_true(json_object_object_get_ex(jwk, "crv", &v));
        assert_string_equal(json_object_get_string(v), "P-256");
        assert_true(json_object_object_get_ex(jwk, "alg", &v));
        assert_string_equal(json_object_get_string(v), "ECDH-ES+A256KW");
        assert_true(json_object_object_get_ex(jwk, "x", &v));
        assert_int_equal(json_object_get_string_len(v), 43); /* 32 bytes, no padding */
        assert_false(json_object_object_get_ex(jwk, "d", NULL));

        assert_int_equal(jwk_to_pkey(jwk, &back, &alg, NULL), 0);
        assert_int_equal(alg, JWK_ALG_ECDH_ES_A256KW);
        assert_int_equal(EVP_PKEY_eq(key, back), 1);
}

static void test_rsa_roundtrip(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key =
                EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *back = NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        json_object *v;
        JwkAlg alg;
        (void)state;

        assert_int_equal(jwk_from_pkey(key, &jwk), 0);
        assert_int_equal(json_object_object_length(jwk), 4);
        assert_true(json_object_object_get_ex(jwk, "alg", &v));
        assert_string_equal(json_object_get_string(v), "RSA-OAEP-256");
        assert_true(json_object_object_get_ex(jwk, "e", &v));
        assert_string_equal(json_object_get_string(v), "AQAB");
        assert_true(json_object_object_get_ex(jwk, "n", &v));
        assert_int_equal(json_object_get_string_len(v), 342); /* 256 bytes */
        assert_int_equal(jwk_to_pkey(jwk, &back, &alg, NULL), 0);
        assert_int_equal(alg, JWK_ALG_RSA_OAEP_256);
        assert_int_equal(EVP_PKEY_eq(key, back), 1);
}

static void test_other_keys(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        json_object *jwk = NULL;
        (void)state;

        assert_int_equal(jwk_from_pkey(p384, &jwk), -EOPNOTSUPP);
        assert_int_equal(jwk_from_pkey(ed, &jwk), -EOPNOTSUPP);
        assert_null(jwk);
}

/* A valid P-256 JWK to spoil one member at a time. */
static json_object *good_ec(void) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        json_object *jwk = NULL;

        assert_int_equal(jwk_from_pkey(key, &jwk), 0);
        return jwk;
}

static void expect(json_object *jwk, int r, const char *member) {
        EVP_PKEY *key = NULL;
        JwkError err = {};

        assert_int_equal(jwk_to_pkey(jwk, &key, NULL, &err), r);
        assert_null(key);
        assert_non_null(err.member);
        assert_string_equal(err.member, member);
        assert_non_null(err.what);
}

static void test_ec_refusals(void **state) {
        (void)state;

        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "crv", "P-384");
                expect(j, -EOPNOTSUPP, "crv");
        }
        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "alg", "RSA-OAEP-256");
                expect(j, -EOPNOTSUPP, "alg");
        }
        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "alg", "ECDH-ES");
                expect(j, -EOPNOTSUPP, "alg");
        }
        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                json_object_object_del(j, "alg");
                expect(j, -EBADMSG, "alg");
        }
        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                json_object_object_del(j, "y");
                expect(j, -EBADMSG, "y");
        }
        {
                /* One byte short: 31 bytes. */
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
                expect(j, -EBADMSG, "x");
        }
        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "x", "not base64url!");
                expect(j, -EBADMSG, "x");
        }
        {
                /* (1, 1) is not on P-256: the invalid-curve check. */
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE");
                set(j, "y", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE");
                expect(j, -EBADMSG, "x");
        }
        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "d", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE");
                expect(j, -EBADMSG, "d");
        }
        {
                _cleanup_(json_object_putp) json_object *j = good_ec();
                set(j, "kty", "OKP");
                expect(j, -EOPNOTSUPP, "kty");
        }
        {
                _cleanup_(json_object_putp) json_object *j = json_object_new_array();
                expect(j, -EBADMSG, "kty");
        }
}

static void test_rsa_refusals(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *small =
                EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key =
                EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        (void)state;

        {
                _cleanup_(json_object_putp) json_object *j = NULL;
                assert_int_equal(jwk_from_pkey(small, &j), 0);
                expect(j, -EKEYREJECTED, "n");
        }
        {
                _cleanup_(json_object_putp) json_object *j = NULL;
                assert_int_equal(jwk_from_pkey(key, &j), 0);
                set(j, "alg", "RSA1_5");
                expect(j, -EOPNOTSUPP, "alg");
        }
        {
                /* A leading zero octet RFC 7518 6.3.1.1 forbids. */
                _cleanup_(json_object_putp) json_object *j = NULL;
                _cleanup_free_ uint8_t *n = NULL;
                _cleanup_free_ uint8_t *padded = NULL;
                _cleanup_free_ char *s = NULL;
                json_object *v;
                size_t len;

                assert_int_equal(jwk_from_pkey(key, &j), 0);
                assert_true(json_object_object_get_ex(j, "n", &v));
                assert_int_equal(base64url_decode(json_object_get_string(v),
                                                  (size_t)json_object_get_string_len(v), 1024, &n,
                                                  &len),
                                 0);
                padded = calloc(1, len + 1);
                memcpy(padded + 1, n, len);
                s = base64url_encode(padded, len + 1);
                set(j, "n", s);
                expect(j, -EBADMSG, "n");
        }
        {
                _cleanup_(json_object_putp) json_object *j = NULL;
                assert_int_equal(jwk_from_pkey(key, &j), 0);
                set(j, "e", "AAEAAQ");
                expect(j, -EBADMSG, "e");
        }
        {
                /* e = 2: even, so not an RSA public key. */
                _cleanup_(json_object_putp) json_object *j = NULL;
                assert_int_equal(jwk_from_pkey(key, &j), 0);
                set(j, "e", "Ag");
                expect(j, -EBADMSG, "n");
        }
}

static void test_epk(void **state) {
        _cleanup_(json_object_putp) json_object *j = good_ec();
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        JwkError err = {};
        (void)state;

        json_object_object_del(j, "alg");
        assert_int_equal(jwk_epk_to_pkey(j, &key, &err), 0);
        EVP_PKEY_free(TAKE_PTR(key));
        /* The OKP/X25519 epk of kbs-types' nested-header test. */
        {
                _cleanup_(json_object_putp) json_object *okp =
                        parse("{\"kty\":\"OKP\",\"crv\":\"X25519\","
                              "\"x\":\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\"}");
                assert_int_equal(jwk_epk_to_pkey(okp, &key, &err), -EOPNOTSUPP);
                assert_string_equal(err.member, "kty");
        }
}

/* RFC 7638 section 3.1: the thumbprint of its example RSA key. */
static void test_thumbprint_rfc7638(void **state) {
        _cleanup_(json_object_putp) json_object *j =
                parse("{\"kty\":\"RSA\",\"n\":"
                      "\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt"
                      "VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-"
                      "5JsGY4Hc5n9yBXArwl9"
                      "3lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
                      "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h"
                      "ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
                      "xBniIqbw0Ls1jF"
                      "44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
                      "\"kid\":\"2011-04-29\"}");
        uint8_t tp[JWK_THUMBPRINT_SIZE];
        _cleanup_free_ char *s = NULL;
        (void)state;

        assert_int_equal(jwk_thumbprint(j, tp), 0);
        s = base64url_encode(tp, sizeof(tp));
        assert_string_equal(s, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        json_object_object_del(j, "e");
        assert_int_equal(jwk_thumbprint(j, tp), -EBADMSG);
}

/* The point jwk_to_pkey() keeps with a key is the key's own, a copy of the
 * key gets its own copy of it, and keys made otherwise are asked. */
static void test_p256_point(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *rsa =
                EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *back = NULL, *dup = NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        uint8_t want[65], got[65];
        size_t n = 0;
        (void)state;

        assert_non_null(key);
        assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         want, sizeof(want), &n),
                         1);
        assert_int_equal(n, sizeof(want));
        assert_int_equal(jose_pkey_p256_point(key, got), 0);
        assert_memory_equal(got, want, sizeof(want));

        assert_int_equal(jwk_from_pkey(key, &jwk), 0);
        assert_int_equal(jwk_to_pkey(jwk, &back, NULL, NULL), 0);
        memset(got, 0, sizeof(got));
        assert_int_equal(jose_pkey_p256_point(back, got), 0);
        assert_memory_equal(got, want, sizeof(want));
        dup = EVP_PKEY_dup(back);
        assert_non_null(dup);
        EVP_PKEY_free(TAKE_PTR(back));
        memset(got, 0, sizeof(got));
        assert_int_equal(jose_pkey_p256_point(dup, got), 0);
        assert_memory_equal(got, want, sizeof(want));

        assert_non_null(p384);
        assert_non_null(rsa);
        assert_int_equal(jose_pkey_p256_point(p384, got), -EINVAL);
        assert_int_equal(jose_pkey_p256_point(rsa, got), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_alg_names),          cmocka_unit_test(test_ec_roundtrip),
                cmocka_unit_test(test_p256_point),         cmocka_unit_test(test_rsa_roundtrip),
                cmocka_unit_test(test_other_keys),         cmocka_unit_test(test_ec_refusals),
                cmocka_unit_test(test_rsa_refusals),       cmocka_unit_test(test_epk),
                cmocka_unit_test(test_thumbprint_rfc7638),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
