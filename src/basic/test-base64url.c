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

/* The standard alphabet, unpadded: the same bytes as base64url, '+' and
 * '/' in place of '-' and '_', and the same strictness. */
static void test_std(void **state) {
        uint8_t data[300], buf[300];
        size_t n;
        (void)state;

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 151 + 7);
        for (size_t len = 0; len <= sizeof(data); len += 37) {
                _cleanup_free_ char *std = base64url_encode_std(data, len);
                _cleanup_free_ uint8_t *d = NULL;
                size_t chars;

                assert_non_null(std);
                chars = strlen(std);
                while (chars > 0 && std[chars - 1] == '=')
                        chars--;
                assert_int_equal(base64url_decode_std_to(std, chars, buf, sizeof(buf), &n), 0);
                assert_int_equal(n, len);
                assert_memory_equal(buf, data, len);
                assert_int_equal(base64url_decode_std(std, chars, len, &d, &n), 0);
                assert_int_equal(n, len);
                assert_memory_equal(d, data, len);
        }
        assert_int_equal(base64url_decode_std_to("+/+/", 4, buf, sizeof(buf), &n), 0);
        assert_int_equal(base64url_decode_std_to("-_-_", 4, buf, sizeof(buf), &n), -EBADMSG);
        assert_int_equal(base64url_decode_std_to("AAAAAAAAAAAA-AAA", 16, buf, sizeof(buf), &n),
                         -EBADMSG);
        assert_int_equal(base64url_decode_std_to("AB", 2, buf, sizeof(buf), &n), -EBADMSG);
        assert_int_equal(base64url_decode_std_to("AA==", 4, buf, sizeof(buf), &n), -EBADMSG);
        assert_int_equal(base64url_decode_std_to("AAAAA", 5, buf, sizeof(buf), &n), -EBADMSG);
        assert_int_equal(base64url_decode_std_to("AAAA", 4, buf, 2, &n), -E2BIG);
        /* base64url itself refuses the standard characters. */
        assert_int_equal(base64url_decode_to("AAAAAAAAAAAA+AAA", 16, buf, sizeof(buf), &n),
                         -EBADMSG);
}

/* Long inputs go a word at a time: every length decodes into a buffer of
 * exactly its size, and a bad character is refused wherever it sits. */
static void test_long(void **state) {
        uint8_t data[120], buf[120];
        size_t n;
        (void)state;

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 73 + 11);
        for (size_t len = 0; len <= sizeof(data); len++) {
                _cleanup_free_ char *url = base64url_encode(data, len);
                size_t chars = strlen(url);

                assert_int_equal(base64url_decode_to(url, chars, buf, len, &n), 0);
                assert_int_equal(n, len);
                assert_memory_equal(buf, data, len);
                for (size_t at = 0; at < chars; at++) {
                        char saved = url[at];

                        url[at] = at % 2 ? '=' : '+';
                        assert_int_equal(base64url_decode_to(url, chars, buf, len, &n), -EBADMSG);
                        url[at] = saved;
                }
        }
}

/* Writing into a caller's buffer gives what the allocating encoder gives,
 * and not a byte more. */
static void test_encode_to(void **state) {
        uint8_t data[64];
        char buf[100];
        (void)state;

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 37 + 11);
        for (size_t n = 0; n <= sizeof(data); n++) {
                _cleanup_free_ char *want = base64url_encode(data, n);
                size_t len;

                assert_non_null(want);
                memset(buf, '#', sizeof(buf));
                len = base64url_encode_to(data, n, buf);
                assert_int_equal(len, strlen(want));
                assert_int_equal(len, base64url_encoded_size(n));
                assert_memory_equal(buf, want, len);
                assert_int_equal(buf[len], '#');
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc4648_vectors),
                cmocka_unit_test(test_alphabet),
                cmocka_unit_test(test_strict),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_std),
                cmocka_unit_test(test_long),
                cmocka_unit_test(test_encode_to),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
