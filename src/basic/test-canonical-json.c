#include <errno.h>
#include <math.h>
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
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"

static const JsonParseLimits limits = {.max_size = 65536, .max_depth = 16, .max_values = 4096};

static char *canon_of(const char *text) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        char *out = NULL;
        size_t n;

        assert_int_equal(json_parse_bounded(text, strlen(text), &limits, &j, NULL), 0);
        assert_int_equal(canonical_json(j, &out, &n), 0);
        assert_int_equal(n, strlen(out));
        return out;
}

/* RFC 8785 section 3.2.2: literals, numbers and string escaping. */
static void test_rfc8785_example(void **state) {
        _cleanup_free_ char *c = canon_of(
                "{\n \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
                "0.000000000000000000000000001],\n"
                " \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
                " \"literals\": [null, true, false]\n}");
        (void)state;

        assert_string_equal(c, "{\"literals\":[null,true,false],"
                               "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                               "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* RFC 8785 section 3.2.3: names sort by UTF-16 code units, so U+1F600
 * (a surrogate pair, 0xD83D…) comes before U+FB33. */
static void test_rfc8785_sorting(void **state) {
        _cleanup_free_ char *c =
                canon_of("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
                         "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
                         "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
                         "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}");
        (void)state;

        assert_string_equal(c, "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
                               "\"\xc2\x80\":\"Control\","
                               "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
                               "\"\xe2\x82\xac\":\"Euro Sign\","
                               "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                               "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

static double bits(uint64_t u) {
        double d;

        memcpy(&d, &u, sizeof(d));
        return d;
}

/* RFC 8785 appendix B: IEEE 754 values and their ECMAScript form. */
static void test_rfc8785_numbers(void **state) {
        static const struct {
                uint64_t ieee;
                const char *text;
        } v[] = {
                {0x0000000000000000, "0"},
                {0x8000000000000000, "0"},
                {0x0000000000000001, "5e-324"},
                {0x8000000000000001, "-5e-324"},
                {0x7fefffffffffffff, "1.7976931348623157e+308"},
                {0xffefffffffffffff, "-1.7976931348623157e+308"},
                {0x4340000000000000, "9007199254740992"},
                {0xc340000000000000, "-9007199254740992"},
                {0x4430000000000000, "295147905179352830000"},
                {0x44b52d02c7e14af5, "9.999999999999997e+22"},
                {0x44b52d02c7e14af6, "1e+23"},
                {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
                {0x444b1ae4d6e2ef4e, "999999999999999700000"},
                {0x444b1ae4d6e2ef4f, "999999999999999900000"},
                {0x444b1ae4d6e2ef50, "1e+21"},
                {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
                {0x3eb0c6f7a0b5ed8d, "0.000001"},
                {0x41b3de4355555553, "333333333.3333332"},
                {0x41b3de4355555554, "333333333.33333325"},
                {0x41b3de4355555555, "333333333.3333333"},
                {0x41b3de4355555556, "333333333.3333334"},
                {0x41b3de4355555557, "333333333.33333343"},
                {0xbecbf647612f3696, "-0.0000033333333333333333"},
                {0x43143ff3c1cb0959, "1424953923781206.2"},
        };
        char buf[32];
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                assert_int_equal(canonical_json_number(bits(v[i].ieee), buf), 0);
                assert_string_equal(buf, v[i].text);
        }
        assert_int_equal(canonical_json_number(NAN, buf), -EDOM);
        assert_int_equal(canonical_json_number(INFINITY, buf), -EDOM);
        assert_int_equal(canonical_json_number(-INFINITY, buf), -EDOM);
}

static void test_integers(void **state) {
        _cleanup_free_ char *c = canon_of("[0,-0,1,-1,9007199254740993,18446744073709551615,"
                                          "-9223372036854775808,1.0,100,1e2]");
        (void)state;

        /* Integers past 2^53 print as the nearest double, as in ECMAScript. */
        assert_string_equal(c, "[0,0,1,-1,9007199254740992,18446744073709552000,"
                               "-9223372036854776000,1,100,100]");
}

/* attestation-service/src/lib.rs test parse_runtimedata_json_binding:
 * Trustee's SHA-384 of the canonical form of this object. */
static void test_trustee_runtime_data_vector(void **state) {
        _cleanup_free_ char *c = canon_of("{\"b\": 1, \"a\": \"test\", \"c\": {\"d\": \"e\"}}");
        _cleanup_free_ char *h = NULL;
        uint8_t md[48];
        unsigned n = 0;
        (void)state;

        assert_string_equal(c, "{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");
        assert_int_equal(EVP_Digest(c, strlen(c), md, &n, EVP_sha384(), NULL), 1);
        h = hex_encode(md, n);
        assert_string_equal(h, "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c"
                               "4597480a186427c813ca941da78870c3");
}

static void test_refusals(void **state) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *deep = NULL;
        char *out = NULL;
        size_t n;
        (void)state;

        /* Bytes that are not UTF-8, a surrogate, an overlong form. */
        assert_int_equal(json_add_string(o, "k", "\xff"), 0);
        assert_int_equal(canonical_json(o, &out, &n), -EBADMSG);
        json_object_object_del(o, "k");
        assert_int_equal(json_add_string(o, "k", "\xed\xa0\x80"), 0);
        assert_int_equal(canonical_json(o, &out, &n), -EBADMSG);
        json_object_object_del(o, "k");
        assert_int_equal(json_add_string(o, "\xc0\xaf", "v"), 0);
        assert_int_equal(canonical_json(o, &out, &n), -EBADMSG);
        json_object_object_del(o, "\xc0\xaf");
        assert_int_equal(json_object_object_add(o, "nan", json_object_new_double(NAN)), 0);
        assert_int_equal(canonical_json(o, &out, &n), -EDOM);
        assert_null(out);

        deep = json_object_new_array();
        for (unsigned i = 0; i < CANONICAL_JSON_MAX_DEPTH + 2; i++) {
                json_object *outer = json_object_new_array();

                assert_int_equal(json_object_array_add(outer, deep), 0);
                deep = outer;
        }
        assert_int_equal(canonical_json(deep, &out, &n), -ELOOP);
}

static void test_escapes(void **state) {
        _cleanup_(json_object_putp) json_object *s =
                json_object_new_string_len("a\0b\x1f\x7f/\xe2\x82\xac", 9);
        _cleanup_free_ char *out = NULL;
        size_t n;
        (void)state;

        assert_int_equal(canonical_json(s, &out, &n), 0);
        assert_string_equal(out, "\"a\\u0000b\\u001f\x7f/\xe2\x82\xac\"");
}

static void test_parse_bounds(void **state) {
        static const JsonParseLimits small = {.max_size = 64, .max_depth = 2, .max_values = 8};
        json_object *j = NULL;
        ParseError e;
        char buf[200];
        (void)state;

        assert_int_equal(json_parse_bounded("", 0, &small, &j, &e), -EBADMSG);
        assert_int_equal(json_parse_bounded("{\"a\":{\"b\":1}}", 13, &small, &j, &e), 0);
        json_object_put(j);
        j = NULL;
        assert_int_equal(json_parse_bounded("{\"a\":{\"b\":[]}}", 14, &small, &j, &e), -EBADMSG);
        assert_string_equal(parse_error_string(&e, buf, sizeof(buf)),
                            "offset 0xa: nested deeper than 2 levels");
        assert_int_equal(json_parse_bounded("[1,2,3,4,5,6,7,8,9]", 19, &small, &j, &e), -E2BIG);
        assert_int_equal(json_parse_bounded("{\"a\":1} x", 9, &small, &j, &e), -EBADMSG);
        assert_true(strncmp(parse_error_string(&e, buf, sizeof(buf)), "offset 0x8: ", 12) == 0);
        assert_int_equal(json_parse_bounded("\n {\"a\":1} \r\n\t", 13, &small, &j, &e), 0);
        json_object_put(j);
        j = NULL;
        assert_int_equal(json_parse_bounded("{\"a\":\"\x01\"}", 9, &small, &j, &e), -EBADMSG);
        assert_int_equal(json_parse_bounded("{\"a\":1}\0", 8, &small, &j, &e), -EBADMSG);
        assert_int_equal(json_parse_bounded("{\"a\":1", 6, &small, &j, &e), -EBADMSG);
        assert_int_equal(json_parse_bounded("{\"a\":\"\xff\"}", 9, &small, &j, &e), -EBADMSG);
        /* One byte over the size limit. */
        char big[66];
        memset(big, ' ', sizeof(big));
        big[0] = '1';
        assert_int_equal(json_parse_bounded(big, 65, &small, &j, &e), -E2BIG);
        assert_int_equal(json_parse_bounded(big, 64, &small, &j, &e), 0);
        json_object_put(j);
        /* Brackets inside strings are not nesting. */
        j = NULL;
        assert_int_equal(json_parse_bounded("[\"[[[[\\\"{{{{\"]", 14, &small, &j, &e), 0);
        json_object_put(j);
}

/* Long strings go out in runs eight bytes at a time: every character that
 * needs an escape or a UTF-8 check is found wherever it falls in a word. */
static void test_long_string_runs(void **state) {
        static const char *const odd[] = {"\"", "\\", "\n", "\x01", "\x1f", "\xc3\xa9", "\x7f"};
        static const char *const want[] = {"\\\"", "\\\\", "\\n", "\\u0001", "\\u001f",
                                           "\xc3\xa9", "\x7f"};
        (void)state;

        for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++)
                for (size_t at = 0; at < 40; at++) {
                        _cleanup_(json_object_putp) json_object *o = NULL;
                        _cleanup_free_ char *out = NULL;
                        char in[80], exp[96];
                        size_t n;

                        /* 'A' * at, the character, 'B' * (40 - at). */
                        snprintf(in, sizeof(in), "%.*s%s%.*s", (int)at,
                                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", odd[k], (int)(40 - at),
                                 "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
                        snprintf(exp, sizeof(exp), "\"%.*s%s%.*s\"", (int)at,
                                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", want[k], (int)(40 - at),
                                 "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
                        o = json_object_new_string(in);
                        assert_non_null(o);
                        assert_int_equal(canonical_json(o, &out, &n), 0);
                        assert_string_equal(out, exp);
                        assert_int_equal(n, strlen(exp));
                }
        /* A bad UTF-8 byte after a long clean run is still refused. */
        {
                _cleanup_(json_object_putp) json_object *o =
                        json_object_new_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3");
                _cleanup_free_ char *out = NULL;
                size_t n;

                assert_int_equal(canonical_json(o, &out, &n), -EBADMSG);
        }
}

typedef struct Pieces {
        char data[256];
        size_t size, calls;
} Pieces;

static int pieces_put(void *userdata, const void *p, size_t n) {
        Pieces *t = userdata;

        assert_true(n > 0 && t->size + n < sizeof(t->data));
        memcpy(t->data + t->size, p, n);
        t->size += n;
        t->calls++;
        return 0;
}

/* canonical_json_string_write() in pieces makes what canonical_json()
 * makes whole, with the odd character anywhere in or around a 16-byte
 * step, and fails alike on bytes that are not UTF-8. */
static void test_string_write(void **state) {
        static const char *const odd[] = {"\"",   "\\",          "\n",   "\x01",
                                          "\x1f", "\xc3\xa9",    "\x7f", "\xe2\x80\xa8",
                                          "\xc3", "\xed\xa0\x80"};
        const char *run = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEF";
        (void)state;

        for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++)
                for (size_t at = 0; at < 70; at++) {
                        _cleanup_(json_object_putp) json_object *o = NULL;
                        _cleanup_free_ char *whole = NULL;
                        Pieces t = {};
                        char in[96];
                        size_t n = 0;
                        int r, rw;

                        snprintf(in, sizeof(in), "%.*s%s%.*s", (int)at, run, odd[k], (int)(70 - at),
                                 run + at);
                        o = json_object_new_string(in);
                        assert_non_null(o);
                        rw = canonical_json(o, &whole, &n);
                        r = canonical_json_string_write(in, strlen(in), pieces_put, &t);
                        assert_int_equal(r, rw);
                        if (r < 0)
                                continue;
                        assert_int_equal(t.size, n);
                        assert_memory_equal(t.data, whole, n);
                }
        assert_int_equal(canonical_json_string_write("a", 1, NULL, NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc8785_example),
                cmocka_unit_test(test_rfc8785_sorting),
                cmocka_unit_test(test_rfc8785_numbers),
                cmocka_unit_test(test_integers),
                cmocka_unit_test(test_trustee_runtime_data_vector),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_parse_bounds),
                cmocka_unit_test(test_long_string_runs),
                cmocka_unit_test(test_string_write),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
