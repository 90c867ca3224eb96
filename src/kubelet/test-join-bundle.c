#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/kubelet/join-bundle.h"
#include "test-kubelet-util.h"

#define NOW ((time_t)1800000000)

static char *ca_pem;
static char later[21], soon[21], past[21], now_s[21];

static int setup(void **state) {
        (void)state;
        ca_pem = test_ca_pem();
        if (!ca_pem)
                return -1;
        test_time(NOW + 3600, later);
        test_time(NOW + 240, soon);
        test_time(NOW - 1, past);
        test_time(NOW, now_s);
        return 0;
}

static int teardown(void **state) {
        (void)state;
        free(ca_pem);
        return 0;
}

/* Parses text and expects r; on failure err.member must be member and
 * err.what must start with it. */
static void expect(const char *text, size_t size, int r, const char *member) {
        JoinBundle b = {0};
        JoinBundleError err;

        assert_int_equal(join_bundle_parse(text, size, NOW, &b, &err), r);
        if (r == 0) {
                join_bundle_done(&b);
                return;
        }
        assert_null(b.token);
        assert_null(b.api_server);
        if (member) {
                assert_non_null(err.member);
                assert_string_equal(err.member, member);
                assert_memory_equal(err.what, member, strlen(member));
        } else
                assert_null(err.member);
        assert_true(strlen(err.what) > 0);
        /* The token never shows in an error. */
        assert_null(strstr(err.what, TEST_TOKEN));
        assert_null(strstr(err.what, "0123456789abcdef"));
}

static void expect_bundle(const char *api, const char *ca, const char *token, const char *expires,
                          int r, const char *member) {
        char *text = test_bundle(api, ca, token, expires);

        assert_non_null(text);
        expect(text, strlen(text), r, member);
        free(text);
}

static void test_valid(void **state) {
        char *text = test_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, later);
        JoinBundle b = {0};
        JoinBundleError err;
        (void)state;

        assert_int_equal(join_bundle_parse(text, strlen(text), NOW, &b, &err), 0);
        assert_string_equal(b.api_server, TEST_SERVER);
        assert_string_equal(b.cluster_ca, ca_pem);
        assert_int_equal(b.cluster_ca_size, strlen(ca_pem));
        assert_non_null(b.token);
        assert_int_equal(b.token->size, JOIN_BUNDLE_TOKEN_LEN);
        assert_memory_equal(b.token->data, TEST_TOKEN, JOIN_BUNDLE_TOKEN_LEN);
        assert_int_equal(b.expires, NOW + 3600);
        assert_false(join_bundle_expires_soon(&b, NOW));
        assert_true(join_bundle_expires_soon(&b, NOW + 3600 - 299));
        join_bundle_done(&b);
        assert_null(b.token);
        free(text);
}

/* The verifier's own form: members in its order, URL with a path. */
static void test_valid_verifier_shape(void **state) {
        char *ca = test_bundle(NULL, ca_pem, NULL, NULL), *text;
        (void)state;

        /* ca is {"cluster_ca":"..."}: the member without its braces. */
        assert_non_null(ca);
        assert_true(
                asprintf(&text,
                         "{\"api_server\":\"https://api.example.com/k8s\",%.*s,\"token\":\"%s\","
                         "\"expires\":\"%s\"}",
                         (int)(strlen(ca) - 2), ca + 1, "z9z9z9.0000000000000000", later) > 0);
        expect(text, strlen(text), 0, NULL);
        free(text);
        free(ca);
}

static void test_expires_soon(void **state) {
        char *text = test_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, soon);
        JoinBundle b = {0};
        (void)state;

        assert_int_equal(join_bundle_parse(text, strlen(text), NOW, &b, NULL), 0);
        assert_true(join_bundle_expires_soon(&b, NOW));
        join_bundle_done(&b);
        free(text);
}

static void test_expired(void **state) {
        (void)state;
        expect_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, past, -EKEYEXPIRED, "expires");
        expect_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, now_s, -EKEYEXPIRED, "expires");
}

static void test_not_json(void **state) {
        char *text = test_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, later);
        (void)state;

        expect("", 0, -EBADMSG, NULL);
        expect("{", 1, -EBADMSG, NULL);
        /* One byte short: the closing brace is missing. */
        expect(text, strlen(text) - 1, -EBADMSG, NULL);
        expect("[]", 2, -EBADMSG, NULL);
        expect("\"x\"", 3, -EBADMSG, NULL);
        expect("{\"api_server\":{}}", 17, -EBADMSG, NULL);
        free(text);
}

static void test_oversized(void **state) {
        size_t n = JOIN_BUNDLE_MAX_SIZE + 1;
        char *big = malloc(n);
        (void)state;

        assert_non_null(big);
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        expect(big, n, -E2BIG, NULL);
        free(big);
}

static void test_member_missing(void **state) {
        (void)state;
        expect_bundle(NULL, ca_pem, TEST_TOKEN, later, -EBADMSG, "api_server");
        expect_bundle(TEST_SERVER, NULL, TEST_TOKEN, later, -EBADMSG, "cluster_ca");
        expect_bundle(TEST_SERVER, ca_pem, NULL, later, -EBADMSG, "token");
        expect_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, NULL, -EBADMSG, "expires");
}

static void test_member_wrong_type(void **state) {
        static const char *const members[] = {"api_server", "cluster_ca", "token", "expires"};
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(members); i++) {
                char *text = test_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, later), *mod;
                json_object *o = json_tokener_parse(text);

                assert_non_null(o);
                json_object_object_add(o, members[i], json_object_new_int(7));
                mod = strdup(json_object_to_json_string(o));
                expect(mod, strlen(mod), -EBADMSG, members[i]);
                json_object_object_add(o, members[i], json_object_new_string(""));
                free(mod);
                mod = strdup(json_object_to_json_string(o));
                expect(mod, strlen(mod), -EBADMSG, members[i]);
                json_object_put(o);
                free(mod);
                free(text);
        }
}

static void test_unknown_member(void **state) {
        char *text = test_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, later), *mod;
        (void)state;

        assert_true(asprintf(&mod, "{\"extra\":1,%s", text + 1) > 0);
        expect(mod, strlen(mod), -EBADMSG, NULL);
        free(mod);
        free(text);
}

static void test_api_server(void **state) {
        static const char *const bad[] = {
                "http://10.0.0.1:6443",
                "https://",
                "https:///api",
                "https://:6443",
                "HTTPS://10.0.0.1",
                "10.0.0.1:6443",
                "https://10.0.0.1 :6443",
                "https://10.0.0.1\"x",
                "https://10.0.0.1\\x",
                "https://10.0.0.1\n",
                "https://ex\xc3\xa4mple.com",
        };
        char *longurl = malloc(JOIN_BUNDLE_MAX_URL + 2);
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_bundle(bad[i], ca_pem, TEST_TOKEN, later, -EBADMSG, "api_server");
        assert_non_null(longurl);
        memset(longurl, 'a', JOIN_BUNDLE_MAX_URL + 1);
        memcpy(longurl, "https://", 8);
        longurl[JOIN_BUNDLE_MAX_URL + 1] = 0;
        expect_bundle(longurl, ca_pem, TEST_TOKEN, later, -E2BIG, "api_server");
        longurl[JOIN_BUNDLE_MAX_URL] = 0;
        expect_bundle(longurl, ca_pem, TEST_TOKEN, later, 0, NULL);
        free(longurl);
        {
                const char *nul = "{\"api_server\":\"https://a\\u0000b\"}";

                expect(nul, strlen(nul), -EBADMSG, "api_server");
        }
}

static void test_cluster_ca(void **state) {
        char *damaged = strdup(ca_pem), *big;
        (void)state;

        expect_bundle(TEST_SERVER, "not a certificate", TEST_TOKEN, later, -EBADMSG, "cluster_ca");
        expect_bundle(TEST_SERVER, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                      TEST_TOKEN, later, -EBADMSG, "cluster_ca");
        /* Damage the base64 body in the middle. */
        assert_non_null(damaged);
        damaged[strlen(damaged) / 2] = '!';
        expect_bundle(TEST_SERVER, damaged, TEST_TOKEN, later, -EBADMSG, "cluster_ca");
        free(damaged);
        big = malloc(JOIN_BUNDLE_MAX_CA + 2);
        assert_non_null(big);
        memset(big, 'A', JOIN_BUNDLE_MAX_CA + 1);
        big[JOIN_BUNDLE_MAX_CA + 1] = 0;
        expect_bundle(TEST_SERVER, big, TEST_TOKEN, later, -E2BIG, "cluster_ca");
        free(big);
}

static void test_token(void **state) {
        static const char *const bad[] = {
                "abcdef.0123456789abcde",   /* short */
                "abcdef.0123456789abcdef0", /* long */
                "abcdefg0123456789abcdef",  /* no dot */
                "ABCDEF.0123456789abcdef",  /* upper case */
                "abcde.f0123456789abcdef",  /* dot misplaced */
                "abcdef.0123456789abcde-",
                "abcdef.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_bundle(TEST_SERVER, ca_pem, bad[i], later, -EBADMSG, "token");
        assert_true(join_bundle_token_valid(TEST_TOKEN, JOIN_BUNDLE_TOKEN_LEN));
        assert_false(join_bundle_token_valid(TEST_TOKEN, JOIN_BUNDLE_TOKEN_LEN - 1));
}

static void test_expires_form(void **state) {
        (void)state;
        expect_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, "tomorrow", -EBADMSG, "expires");
        expect_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, "2027-13-01T00:00:00Z", -EBADMSG, "expires");
        expect_bundle(TEST_SERVER, ca_pem, TEST_TOKEN, "1800003600", -EBADMSG, "expires");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),          cmocka_unit_test(test_valid_verifier_shape),
                cmocka_unit_test(test_expires_soon),   cmocka_unit_test(test_expired),
                cmocka_unit_test(test_not_json),       cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_member_missing), cmocka_unit_test(test_member_wrong_type),
                cmocka_unit_test(test_unknown_member), cmocka_unit_test(test_api_server),
                cmocka_unit_test(test_cluster_ca),     cmocka_unit_test(test_token),
                cmocka_unit_test(test_expires_form),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
