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

/* Both ways agree: the same result, the same tree. Returns how many byte
 * arrays the tree holds. */
static int both(const char *text, int want) {
        _cleanup_(json_object_putp) json_object *a = NULL, *b = NULL;
        ParseError ea, eb;
        int ra = json_parse_bounded(text, strlen(text), &bytes, &a, &ea);
        int rb = json_parse_bounded(text, strlen(text), &plain, &b, &eb);

        assert_int_equal(ra, want);
        assert_int_equal(rb, want);
        if (want < 0) {
                /* The error points at the same place. */
                assert_int_equal(ea.offset, eb.offset);
                assert_string_equal(ea.what, eb.what);
                return 0;
        }
        assert_true(json_equal_byte_arrays(a, b));
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

/* Random texts made of array pieces: both ways agree on every one. */
static void test_random(void **state) {
        static const char *pieces[] = {"[", "]", "{", "}", ",", ":", "0", "1", "255", "256",
                                       "07", "-1", "\"k\"", " ", "[0,1,2,3,4,5,6,7]", "7.5",
                                       "[1,1,1,1,1,1,1,1,1]", "null", "\"[1,2]\""};
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
                ra = json_parse_bounded(text, len, &bytes, &a, NULL);
                rb = json_parse_bounded(text, len, &plain, &b, NULL);
                if (ra != rb)
                        fail_msg("'%s': %d with byte arrays, %d without", text, ra, rb);
                if (ra == 0 && !json_equal_byte_arrays(a, b))
                        fail_msg("'%s': the trees differ", text);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_byte_arrays),
                cmocka_unit_test(test_same_as_json_c),
                cmocka_unit_test(test_random),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
