#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/cleanup.h"

static void test_rfc4648_vectors(void **state) {
        /* RFC 4648 section 10, in the url alphabet without padding. */
        static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
        static const char *const out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
        static const char *const padded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                             "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(in); i++) {
                _cleanup_free_ char *e = base64url_encode(in[i], strlen(in[i]));
                _cleanup_free_ char *p = base64url_encode_std(in[i], strlen(in[i]));
                _cleanup_free_ uint8_t *d = NULL;
                size_t n;

                assert_string_equal(e, out[i]);
                assert_string_equal(p, padded[i]);
                assert_int_equal(base64url_encoded_size(strlen(in[i])), strlen(out[i]));
                assert_true(base64url_is_valid(out[i], strlen(out[i])));
                assert_int_equal(base64url_decode(out[i], strlen(out[i]), 64, &d, &n), 0);
                assert_int_equal(n, strlen(in[i]));
                assert_memory_equal(d, in[i], n);
        }
}

static void test_alphabet(void **state) {
        static const uint8_t b[] = {0xfb, 0xff, 0xbf};
        _cleanup_free_ char *e = base64url_encode(b, sizeof(b));
        _cleanup_free_ char *p = base64url_encode_std(b, sizeof(b));
        (void)state;

        assert_string_equal(e, "-_-_");
        assert_string_equal(p, "+/+/");
}

static void test_strict(void **state) {
        static const char *const bad[] = {
                "Zg==",       /* padding */
                "Zm9v ",      /* whitespace */
                "Zm+v",       /* standard alphabet */
                "Zm/v",  "Z", /* a lone character is never a byte */
                "Zh",         /* unused bits set: 'h' leaves 0b0001 after the byte */
                "Zm9",        /* unused bits set */
                "Zm\0v",
        };
        uint8_t buf[8];
        size_t n;
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                size_t len = i == ELEMENTSOF(bad) - 1 ? 4 : strlen(bad[i]);

                assert_false(base64url_is_valid(bad[i], len));
                assert_int_equal(base64url_decode_to(bad[i], len, buf, sizeof(buf), &n), -EBADMSG);
        }
}

static void test_bounds(void **state) {
        _cleanup_free_ uint8_t *d = NULL;
        uint8_t buf[2];
        size_t n;
        (void)state;

        assert_int_equal(base64url_decoded_size(0), 0);
        assert_int_equal(base64url_decoded_size(2), 1);
        assert_int_equal(base64url_decoded_size(3), 2);
        assert_int_equal(base64url_decoded_size(4), 3);
        assert_int_equal(base64url_decoded_size(5), SIZE_MAX);
        /* One byte short of room. */
        assert_int_equal(base64url_decode_to("Zm9v", 4, buf, sizeof(buf), &n), -E2BIG);
        assert_int_equal(base64url_decode("Zm9vYmFy", 8, 5, &d, &n), -E2BIG);
        assert_null(d);
        assert_int_equal(base64url_decode("", 0, 0, &d, &n), 0);
        assert_non_null(d);
        assert_int_equal(n, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc4648_vectors),
                cmocka_unit_test(test_alphabet),
                cmocka_unit_test(test_strict),
                cmocka_unit_test(test_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
