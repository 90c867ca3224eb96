#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"

static const JsonParseLimits plain = {.max_size = 1 << 20, .max_depth = 8, .max_values = 1 << 16};
static const JsonParseLimits bytes = {
        .max_size = 1 << 20, .max_depth = 8, .max_values = 1 << 16, .byte_arrays = true};
static const JsonParseLimits fast = {.max_size = 1 << 20,
                                     .max_depth = 8,
                                     .max_values = 1 << 16,
                                     .byte_arrays = true,
                                     .long_strings = true};
static const JsonParseLimits strs = {
        .max_size = 1 << 20, .max_depth = 8, .max_values = 1 << 16, .long_strings = true};

/* Every way agrees with json-c alone (plain): the same result, the same
 * tree, or the same error at the same place. */
static int both(const char *text, int want) {
        const JsonParseLimits *ways[] = {&bytes, &strs, &fast};
        _cleanup_(json_object_putp) json_object *b = NULL;
        ParseError eb;
        int rb = json_parse_bounded(text, strlen(text), &plain, &b, &eb);

        assert_int_equal(rb, want);
        for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
                _cleanup_(json_object_putp) json_object *a = NULL;
                ParseError ea;
                int ra = json_parse_bounded(text, strlen(text), ways[w], &a, &ea);

                assert_int_equal(ra, want);
                if (want < 0) {
                        assert_int_equal(ea.offset, eb.offset);
                        assert_string_equal(ea.what, eb.what);
                        continue;
                }
                assert_true(json_equal_byte_arrays(a, b));
        }
        return 0;
}

static size_t count_byte_arrays(json_object *j) {
        const uint8_t *d;
        size_t n, c = 0;

        if (json_byte_array(j, &d, &n))
                return 1;
        if (json_object_is_type(j, json_type_array))
                for (size_t i = 0; i < json_object_array_length(j); i++)
                        c += count_byte_arrays(json_object_array_get_idx(j, i));
        if (json_object_is_type(j, json_type_object)) {
                json_object_object_foreach(j, k, v) {
                        (void)k;
                        c += count_byte_arrays(v);
                }
        }
        return c;
}

static size_t arrays_in(const char *text) {
        _cleanup_(json_object_putp) json_object *j = NULL;

        assert_int_equal(json_parse_bounded(text, strlen(text), &bytes, &j, NULL), 0);
        return count_byte_arrays(j);
}

static void test_byte_arrays(void **state) {
        _cleanup_(json_object_putp) json_object *j = NULL, *p = NULL;
        const char *t = "{\"r\": [0, 1, 2, 255, 10, 99, 100, 7, 0], \"s\":\"x\"}";
        const uint8_t want[] = {0, 1, 2, 255, 10, 99, 100, 7, 0};
        const uint8_t *d;
        json_object *v;
        size_t n;
        (void)state;

        assert_int_equal(json_parse_bounded(t, strlen(t), &bytes, &j, NULL), 0);
        assert_true(json_object_object_get_ex(j, "r", &v));
        assert_true(json_byte_array(v, &d, &n));
        assert_int_equal(n, sizeof(want));
        assert_memory_equal(d, want, n);
        /* Without the option, or a plain array, there are none. */
        assert_int_equal(json_parse_bounded(t, strlen(t), &plain, &p, NULL), 0);
        assert_true(json_object_object_get_ex(p, "r", &v));
        assert_false(json_byte_array(v, &d, &n));
        assert_int_equal(json_object_array_length(v), 9);

        assert_int_equal(arrays_in("[0,1,2,3,4,5,6,7]"), 1);
        assert_int_equal(arrays_in("[[0,1,2,3,4,5,6,7],[8,9,10,11,12,13,14,15],1]"), 2);
        assert_int_equal(arrays_in("{\"a\":{\"b\":[ 0 ,\t1,\r\n2,3,4,5,6,7 ]}}"), 1);
        /* Not byte arrays: too short, out of range, not integers as JSON
         * writes them, not all numbers. */
        assert_int_equal(arrays_in("[0,1,2,3,4,5,6]"), 0);
        assert_int_equal(arrays_in("[0,1,2,3,4,5,6,256]"), 0);
        assert_int_equal(arrays_in("[0,1,2,3,4,5,6,7.0]"), 0);
        assert_int_equal(arrays_in("[0,1,2,3,4,5,6,7e0]"), 0);
        assert_int_equal(arrays_in("[0,1,2,3,4,5,6,\"7\"]"), 0);
        assert_int_equal(arrays_in("[0,1,2,3,4,5,6,[7]]"), 0);
        /* Inside a string nothing is an array. */
        assert_int_equal(arrays_in("{\"a\":\"[0,1,2,3,4,5,6,7]\"}"), 0);
        assert_int_equal(arrays_in("{\"a\\\"[\":\"\\\\\",\"b\":[0,1,2,3,4,5,6,7]}"), 1);
        /* An array starting with a negative number anywhere turns it off,
         * so the placeholders cannot be confused with the input's own. */
        assert_int_equal(arrays_in("{\"a\":[0,1,2,3,4,5,6,7],\"b\":[-1]}"), 0);
        assert_int_equal(arrays_in("{\"a\":[0,1,2,3,4,5,6,7],\"b\":[ -1, 2]}"), 0);
}

static void test_same_as_json_c(void **state) {
        (void)state;

        both("{\"r\":[0,1,2,3,4,5,6,7],\"n\":null,\"t\":true,\"f\":-1.5e3}", 0);
        both("[[0,1,2,3,4,5,6,7],[0,1,2,3,4,5,6],[-1,0,1,2,3,4,5,6,7],{}]", 0);
        both("{\"a\":[1,2,3,4,5,6,7,8],\"a\":[9,9,9,9,9,9,9,9]}", 0); /* json-c keeps the last */
        /* Invalid texts fail at the same place with the same words. */
        both("{[0,1,2,3,4,5,6,7]:1}", -EBADMSG);
        both("{\"a\":[0,1,2,3,4,5,6,7],}", -EBADMSG);
        both("{\"a\":[0,1,2,3,4,5,6,7]", -EBADMSG);
        both("{\"a\":[0,1,2,3,4,5,6,07]}", -EBADMSG);
        both("{\"a\":[0,1,2,3,4,5,6,7,]}", -EBADMSG);
        both("{\"a\":[0,1,2,3,4,5,6,7]} x", -EBADMSG);
        both("[0,1,2,3,4,5,6,7][0,1,2,3,4,5,6,7]", -EBADMSG);
        both("{\"a\" [0,1,2,3,4,5,6,7]}", -EBADMSG);
}

/* The string json-c makes of member name in the object text parsed
 * with long_strings. */
static void long_string_is(const char *text, const char *name, const char *want, size_t want_len) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        json_object *v;

        assert_int_equal(json_parse_bounded(text, strlen(text), &strs, &j, NULL), 0);
        assert_true(json_object_object_get_ex(j, name, &v));
        assert_true(json_object_is_type(v, json_type_string));
        assert_int_equal((size_t)json_object_get_string_len(v), want_len);
        assert_memory_equal(json_object_get_string(v), want, want_len);
}

static void test_long_strings(void **state) {
        char big[70000], inner[40000];
        (void)state;

        /* Short escapes, unescaped by the pre-scan. */
        long_string_is("{\"a\":\"0123456789abcdef0123456789abcdef\\\"\\\\\\/\\b\\f\\n\\r\\t!\"}",
                       "a", "0123456789abcdef0123456789abcdef\"\\/\b\f\n\r\t!", 41);
        /* A string of JSON in a string, as additional_evidence comes. */
        long_string_is("{\"e\":\"{\\\"tpm\\\":{\\\"q\\\":\\\"AAAAAAAAAAAAAAAAAAAAAAAA\\\"}}\"}", "e",
                       "{\"tpm\":{\"q\":\"AAAAAAAAAAAAAAAAAAAAAAAA\"}}", 40);
        /* Left to json-c: \u escapes, UTF-8, short strings; same trees. */
        long_string_is("{\"a\":\"\\u00e9 0123456789abcdef0123456789abcdef\"}", "a",
                       "\xc3\xa9 0123456789abcdef0123456789abcdef", 35);
        long_string_is("{\"a\":\"\xc3\xa9 0123456789abcdef0123456789abcdef\"}", "a",
                       "\xc3\xa9 0123456789abcdef0123456789abcdef", 35);
        long_string_is("{\"a\":\"\\u0000 0123456789abcdef0123456789abcdef\"}", "a",
                       "\0 0123456789abcdef0123456789abcdef", 34);
        long_string_is("{\"a\":\"short\"}", "a", "short", 5);

        both("\"0123456789abcdef0123456789abcdef0123456789\"", 0);
        both("[\"0123456789abcdef0123456789abcdef0123456789\",\"0123456789abcdef0123456789abcdef\"]",
             0);
        /* Member names stay where they are, long or not. */
        both("{\"0123456789abcdef0123456789abcdef0123456789\":\"0123456789abcdef0123456789abcdef\"}",
             0);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\",\"a\":\"1123456789abcdef0123456789abcdef\"}",
             0);
        /* An input's own \u0000 strings are never taken for placeholders. */
        both("{\"a\":\"\\u00001\",\"b\":\"0123456789abcdef0123456789abcdef\"}", 0);
        both("[\"0123456789abcdef0123456789abcdef\",\"\\u00001\",\"\\\\u00001\"]", 0);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\",\"b\":[0,1,2,3,4,5,6,7]}", 0);
        /* Errors in and around long strings: the same place, the same words. */
        both("{\"a\":\"0123456789abcdef0123456789abcdef\\x\"}", -EBADMSG);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\\u12\"}", -EBADMSG);
        both("{\"a\":\"0123456789abcdef0123456789abcdef", -EBADMSG);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\\", -EBADMSG);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\" x}", -EBADMSG);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\"", -EBADMSG);
        both("{\"0123456789abcdef0123456789abcdef\" \"0123456789abcdef0123456789abcdef\"}",
             -EBADMSG);
        both("[\"0123456789abcdef0123456789abcdef\" \"0123456789abcdef0123456789abcdef\"]",
             -EBADMSG);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\xff\"}", -EBADMSG);
        both("{\"a\":\"0123456789abcdef0123456789abcdef\x01\"}", -EBADMSG);

        /* Big: 60 KB of escaped JSON inside a string, and the text it holds. */
        {
                _cleanup_(json_object_putp) json_object *j = NULL;
                size_t n = 0, m = 0;

                n += (size_t)sprintf(big + n, "{\"x\":\"");
                for (int i = 0; i < 3000; i++) {
                        n += (size_t)sprintf(big + n, "\\\"k%d\\\":\\\"v%05d\\\",", i, i);
                        m += (size_t)sprintf(inner + m, "\"k%d\":\"v%05d\",", i, i);
                        if (m > sizeof(inner) - 64 || n > sizeof(big) - 64)
                                break;
                }
                n += (size_t)sprintf(big + n, "\"}");
                both(big, 0);
                long_string_is(big, "x", inner, m);
                (void)j;
        }
}

/* The value bound over runs of numbers, which the pre-scan reads eight
 * bytes at a time: the error points at exactly the separator that goes
 * past the bound, wherever it falls in a word. */
static void test_values_bound(void **state) {
        char text[600];
        size_t n = 0, commas[200], nc = 0;
        (void)state;

        n += (size_t)sprintf(text + n, "{\"a\":[");
        for (int i = 0; i < 120; i++) {
                if (i > 0) {
                        commas[nc++] = n;
                        text[n++] = ',';
                }
                n += (size_t)sprintf(text + n, "%d", (i * 37) % 256);
        }
        n += (size_t)sprintf(text + n, "]}");
        /* Values: one to start with, then the object, the member's ':' and
         * the array's '[' count one each before the first separator. */
        for (size_t max = 4; max < 4 + nc; max++) {
                JsonParseLimits l = fast;
                _cleanup_(json_object_putp) json_object *j = NULL;
                ParseError e;

                l.max_values = max;
                assert_int_equal(json_parse_bounded(text, n, &l, &j, &e), -E2BIG);
                assert_int_equal(e.offset, commas[max - 4]);
        }
        {
                JsonParseLimits l = fast;
                _cleanup_(json_object_putp) json_object *j = NULL;

                l.max_values = 4 + nc;
                assert_int_equal(json_parse_bounded(text, n, &l, &j, NULL), 0);
        }
}

/* Random texts made of array pieces: both ways agree on every one. */
static void test_random(void **state) {
        static const char *pieces[] = {"[", "]", "{", "}", ",", ":", "0", "1", "255", "256",
                                       "07", "-1", "\"k\"", " ", "[0,1,2,3,4,5,6,7]", "7.5",
                                       "[1,1,1,1,1,1,1,1,1]", "null", "\"[1,2]\"",
                                       "\"0123456789abcdef0123456789abcdef\"", "\"",
                                       "0123456789abcdef0123456789abcdef", "\\", "\\\"",
                                       "\\u0000", "\\n", "\\u00e9", "\xc3\xa9", "\\x"};
        char text[512];
        (void)state;

        srand(7);
        for (int round = 0; round < 20000; round++) {
                _cleanup_(json_object_putp) json_object *a = NULL, *b = NULL;
                size_t len = 0;
                int n = 1 + rand() % 24, ra, rb;

                for (int i = 0; i < n; i++) {
                        const char *p = pieces[rand() % (sizeof(pieces) / sizeof(pieces[0]))];

                        if (len + strlen(p) + 1 >= sizeof(text))
                                break;
                        memcpy(text + len, p, strlen(p));
                        len += strlen(p);
                }
                text[len] = 0;
                ra = json_parse_bounded(text, len, round % 2 ? &bytes : &fast, &a, NULL);
                rb = json_parse_bounded(text, len, &plain, &b, NULL);
                if (ra != rb)
                        fail_msg("'%s': %d with byte arrays/long strings, %d without", text, ra,
                                 rb);
                if (ra == 0 && !json_equal_byte_arrays(a, b))
                        fail_msg("'%s': the trees differ", text);
        }
}

/* Strings are skipped and unescaped 32 bytes a step: a quote, backslash,
 * control character or non-ASCII byte anywhere in or around a step is
 * seen, the same place and words as json-c alone, or the same tree. */
static void test_string_steps(void **state) {
        static const char *const odd[] = {"\\\"", "\\\\",     "\\n",  "\\u00e9", "\x01",
                                          "\x1f", "\xc3\xa9", "\x7f", "\xff",    "\""};
        static const int want[] = {0, 0, 0, 0, -EBADMSG, -EBADMSG, 0, 0, -EBADMSG, -EBADMSG};
        const char *run = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEF";
        (void)state;

        for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++)
                for (size_t at = 0; at < 70; at++) {
                        char text[128];

                        snprintf(text, sizeof(text), "{\"a\":\"%.*s%s%.*s\"}", (int)at, run, odd[k],
                                 (int)(70 - at), run + at);
                        (void)both(text, want[k]);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_byte_arrays),  cmocka_unit_test(test_same_as_json_c),
                cmocka_unit_test(test_long_strings), cmocka_unit_test(test_string_steps),
                cmocka_unit_test(test_values_bound), cmocka_unit_test(test_random),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
