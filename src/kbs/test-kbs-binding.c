#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "confnode/basic/canonical-json.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/kbs/kbs-binding.h"

static json_object *key(void) {
        json_object *k = json_tokener_parse("{\"kty\":\"EC\",\"crv\":\"P-256\","
                                            "\"alg\":\"ECDH-ES+A256KW\",\"x\":\"X\",\"y\":\"Y\"}");

        assert_non_null(k);
        return k;
}

static void expect_hex(const uint8_t *b, size_t n, const char *want) {
        _cleanup_free_ char *h = hex_encode(b, n);

        assert_string_equal(h, want);
}

/* The digests were computed independently (Python's hashlib over the
 * canonical text written out by hand) for these inputs. */
static void test_runtime_data_forms(void **state) {
        _cleanup_(json_object_putp) json_object *k = key(), *rt = NULL, *rt2 = NULL;
        _cleanup_free_ char *c = NULL, *c2 = NULL;
        size_t n;
        (void)state;

        assert_int_equal(kbs_binding_runtime_data("abc", k, NULL, &rt), 0);
        assert_int_equal(canonical_json(rt, &c, &n), 0);
        assert_string_equal(c, "{\"nonce\":\"abc\",\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\","
                               "\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"X\",\"y\":\"Y\"}}");
        assert_int_equal(kbs_binding_runtime_data("abc", k, "", &rt2), 0);
        assert_int_equal(canonical_json(rt2, &c2, &n), 0);
        assert_string_equal(c2, "{\"additional-evidence\":\"\",\"nonce\":\"abc\",\"tee-pubkey\":"
                                "{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\",\"kty\":\"EC\","
                                "\"x\":\"X\",\"y\":\"Y\"}}");
}

static void test_digests(void **state) {
        _cleanup_(json_object_putp) json_object *k = key();
        uint8_t d[KBS_BINDING_MAX_DIGEST], rd[KBS_REPORT_DATA_SIZE];
        size_t n;
        (void)state;

        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k, NULL, d, &n), 0);
        expect_hex(d, n,
                   "2077bbc98f22bcbbafdf55bbca91ded7416497854647e8a9e16e298d026a0aa7"
                   "97d39a9a085398e10b2e75de28c66f7b");
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA256, "abc", k, NULL, d, &n), 0);
        expect_hex(d, n, "eecbd8a308d972851e5713919fedac379d4badd33d3fbce13654b0dcab1a6c7c");
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA512, "abc", k, NULL, d, &n), 0);
        assert_int_equal(n, 64);
        expect_hex(d, n,
                   "0e886f3e8fbc8e5311a5212abff42caa39daf5cc5dcf154025e7ce050af88524"
                   "9cced6f1ac0f8740dd2a2d2cea200089bcb4feb7243c81515d8a1f2fe2dc9288");
        /* The primary evidence's form, with an empty additional-evidence. */
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k, "", d, &n), 0);
        expect_hex(d, n,
                   "451c8383c9e607adf6398ec50cd57f61cac33f14608e80653698ee940df0f5aa"
                   "0190d915549cad32434baf846c040b30");

        assert_int_equal(kbs_binding_report_data(KBS_HASH_SHA384, "abc", k, "", rd), 0);
        expect_hex(rd, sizeof(rd),
                   "451c8383c9e607adf6398ec50cd57f61cac33f14608e80653698ee940df0f5aa"
                   "0190d915549cad32434baf846c040b30"
                   "00000000000000000000000000000000");
        assert_int_equal(kbs_binding_digest(_KBS_HASH_ALG_MAX, "abc", k, NULL, d, &n), -EINVAL);
}

/* The digest hashes the long additional-evidence string in pieces as it is
 * escaped; it must be the digest of the whole canonical text made the
 * plain way, for strings with every kind of escape, UTF-8, long plain runs
 * and (refused both ways) bytes that are not UTF-8. */
static void test_digest_streamed_is_canonical(void **state) {
        static const char *const additional[] = {
                "",
                "plain",
                "{\"tpm\":{\"a\":\"q\\\\u\\\"o\\/te\"}}",
                "\b\f\n\r\t\x01\x1f\x7f / \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80",
                "\xc3",
                "\xed\xa0\x80",
        };
        _cleanup_(json_object_putp) json_object *k = key();
        char big[70000];

        (void)state;
        for (size_t i = 0; i < sizeof(big) - 1; i++)
                big[i] = i % 997 == 5 ? '"' : i % 1009 == 7 ? '\n' : (char)('A' + i % 26);
        big[sizeof(big) - 1] = 0;
        for (size_t i = 0; i <= ELEMENTSOF(additional); i++) {
                const char *a = i < ELEMENTSOF(additional) ? additional[i] : big;

                for (KbsHashAlg alg = 0; alg < _KBS_HASH_ALG_MAX; alg++) {
                        static const char *const names[] = {"SHA256", "SHA384", "SHA512"};
                        _cleanup_(json_object_putp) json_object *rt = NULL;
                        _cleanup_free_ char *text = NULL;
                        uint8_t d[KBS_BINDING_MAX_DIGEST], want[EVP_MAX_MD_SIZE];
                        unsigned int want_size = 0;
                        size_t n = 0, text_size;
                        int r, rw;

                        assert_int_equal(kbs_binding_runtime_data("n0nce", k, a, &rt), 0);
                        rw = canonical_json(rt, &text, &text_size);
                        r = kbs_binding_digest(alg, "n0nce", k, a, d, &n);
                        assert_int_equal(r, rw);
                        if (rw < 0)
                                continue;
                        assert_int_equal(EVP_Digest(text, text_size, want, &want_size,
                                                    EVP_get_digestbyname(names[alg]), NULL),
                                         1);
                        assert_int_equal(n, want_size);
                        assert_memory_equal(d, want, n);
                }
        }
}

/* Trustee hashes the typed TeePubKey, so members kbs-types does not model
 * do not change the binding. */
static void test_extra_members_ignored(void **state) {
        _cleanup_(json_object_putp) json_object *k = key(), *k2 = key();
        uint8_t a[KBS_BINDING_MAX_DIGEST], b[KBS_BINDING_MAX_DIGEST];
        size_t an, bn;
        (void)state;

        assert_int_equal(json_add_string(k2, "kid", "node-7"), 0);
        assert_int_equal(json_add_string(k2, "use", "enc"), 0);
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k, NULL, a, &an), 0);
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k2, NULL, b, &bn), 0);
        assert_int_equal(an, bn);
        assert_memory_equal(a, b, an);
}

/* Any change to what the session binds changes the digest. */
static void test_binding_is_sensitive(void **state) {
        _cleanup_(json_object_putp) json_object *k = key(), *k2 = key();
        uint8_t a[KBS_BINDING_MAX_DIGEST], b[KBS_BINDING_MAX_DIGEST];
        size_t an, bn;
        (void)state;

        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k, "", a, &an), 0);
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abd", k, "", b, &bn), 0);
        assert_memory_not_equal(a, b, an);
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k, "{}", b, &bn), 0);
        assert_memory_not_equal(a, b, an);
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k, NULL, b, &bn), 0);
        assert_memory_not_equal(a, b, an);
        assert_int_equal(json_add_string(k2, "x", "Z"), 0);
        assert_int_equal(kbs_binding_digest(KBS_HASH_SHA384, "abc", k2, "", b, &bn), 0);
        assert_memory_not_equal(a, b, an);
}

static void test_bad_keys(void **state) {
        _cleanup_(json_object_putp) json_object *k = key();
        _cleanup_(json_object_putp) json_object *okp = json_tokener_parse("{\"kty\":\"OKP\"}");
        json_object *rt = NULL;
        (void)state;

        json_object_object_del(k, "y");
        assert_int_equal(kbs_binding_runtime_data("abc", k, NULL, &rt), -EBADMSG);
        assert_int_equal(kbs_binding_runtime_data("abc", okp, NULL, &rt), -EBADMSG);
        assert_int_equal(kbs_binding_runtime_data(NULL, okp, NULL, &rt), -EINVAL);
        assert_null(rt);
}

static void test_tpm_qualifying_data(void **state) {
        uint8_t d[48], q[KBS_BINDING_MAX_DIGEST];
        size_t n;
        (void)state;

        for (size_t i = 0; i < sizeof(d); i++)
                d[i] = (uint8_t)(i + 1);
        assert_int_equal(kbs_binding_tpm_qualifying_data(KBS_TEE_AZ_SNP_VTPM, d, sizeof(d), q, &n),
                         0);
        assert_int_equal(n, 48);
        assert_memory_equal(q, d, 48);
        assert_int_equal(kbs_binding_tpm_qualifying_data(KBS_TEE_AZ_TDX_VTPM, d, sizeof(d), q, &n),
                         0);
        assert_int_equal(n, 48);
        assert_int_equal(kbs_binding_tpm_qualifying_data(KBS_TEE_TPM, d, sizeof(d), q, &n), 0);
        assert_int_equal(n, 32);
        assert_memory_equal(q, d, 32);
        assert_int_equal(kbs_binding_tpm_qualifying_data(KBS_TEE_TPM, d, 20, q, &n), 0);
        assert_int_equal(n, 32);
        assert_memory_equal(q, d, 20);
        assert_int_equal(q[20], 0);
        assert_int_equal(q[31], 0);
        assert_int_equal(kbs_binding_tpm_qualifying_data(KBS_TEE_SNP, d, sizeof(d), q, &n),
                         -EOPNOTSUPP);
        assert_int_equal(kbs_binding_tpm_qualifying_data(KBS_TEE_TPM, d, 0, q, &n), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_data_forms),
                cmocka_unit_test(test_digests),
                cmocka_unit_test(test_digest_streamed_is_canonical),
                cmocka_unit_test(test_extra_members_ignored),
                cmocka_unit_test(test_binding_is_sensitive),
                cmocka_unit_test(test_bad_keys),
                cmocka_unit_test(test_tpm_qualifying_data),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
