#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "confnode/basic/json-util.h"
#include "confnode/crypto/ephemeral-key.h"
#include "confnode/basic/openssl-cleanup.h"


static void test_names(void **state) {
        (void)state;

        assert_string_equal(ephemeral_key_type_to_string(EPHEMERAL_KEY_P256), "p256");
        assert_string_equal(ephemeral_key_type_to_string(EPHEMERAL_KEY_RSA3072), "rsa3072");
        assert_null(ephemeral_key_type_to_string(_EPHEMERAL_KEY_TYPE_MAX));
        assert_int_equal(ephemeral_key_type_from_string("rsa3072"), EPHEMERAL_KEY_RSA3072);
        assert_int_equal(ephemeral_key_type_from_string("p384"), _EPHEMERAL_KEY_TYPE_INVALID);
        assert_int_equal(ephemeral_key_type_from_string(NULL), _EPHEMERAL_KEY_TYPE_INVALID);
}

static void check(EphemeralKeyType type, const char *kty, JwkAlg alg, int bits) {
        _cleanup_(ephemeral_key_freep) EphemeralKey *k = NULL, *other = NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL, *jwk2 = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pub = NULL;
        json_object *v;
        JwkAlg got;

        assert_int_equal(ephemeral_key_new(type, &k), 0);
        assert_int_equal(ephemeral_key_type(k), type);
        assert_int_equal(ephemeral_key_alg(k), alg);
        assert_int_equal(EVP_PKEY_get_bits(ephemeral_key_pkey(k)), bits);
        assert_int_equal(ephemeral_key_to_jwk(k, &jwk), 0);
        assert_true(json_object_object_get_ex(jwk, "kty", &v));
        assert_string_equal(json_object_get_string(v), kty);
        assert_true(json_object_object_get_ex(jwk, "alg", &v));
        assert_string_equal(json_object_get_string(v), jwk_alg_to_string(alg));
        /* The JWK names the public half only, and reads back as that key. */
        assert_false(json_object_object_get_ex(jwk, "d", NULL));
        assert_int_equal(jwk_to_pkey(jwk, &pub, &got, NULL), 0);
        assert_int_equal(got, alg);
        assert_int_equal(EVP_PKEY_eq(pub, ephemeral_key_pkey(k)), 1);

        /* Each session gets its own key. */
        assert_int_equal(ephemeral_key_new(type, &other), 0);
        assert_int_equal(ephemeral_key_to_jwk(other, &jwk2), 0);
        assert_false(json_object_equal(jwk, jwk2));
}

static void test_p256(void **state) {
        (void)state;
        check(EPHEMERAL_KEY_P256, "EC", JWK_ALG_ECDH_ES_A256KW, 256);
}

static void test_rsa3072(void **state) {
        (void)state;
        check(EPHEMERAL_KEY_RSA3072, "RSA", JWK_ALG_RSA_OAEP_256, 3072);
}

static void test_invalid(void **state) {
        EphemeralKey *k = NULL;
        (void)state;

        assert_int_equal(ephemeral_key_new(_EPHEMERAL_KEY_TYPE_MAX, &k), -EINVAL);
        assert_int_equal(ephemeral_key_new(_EPHEMERAL_KEY_TYPE_INVALID, &k), -EINVAL);
        assert_null(k);
        ephemeral_key_free(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_p256),
                cmocka_unit_test(test_rsa3072),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
