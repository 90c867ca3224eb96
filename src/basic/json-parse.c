#include "confnode/basic/json-parse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-util.h"

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Byte classes for the pre-scan. Inside a string only the quote, the
 * backslash and control characters matter; outside, the structural
 * characters and NUL. Everything else is skipped a byte at a time in a
 * tight loop, so the scan is one linear pass with no call per byte. */
enum {
        JSON_SCAN_PLAIN = 0,
        JSON_SCAN_QUOTE,
        JSON_SCAN_BACKSLASH,
        JSON_SCAN_CONTROL, /* 0x01-0x1f */
        JSON_SCAN_NUL,
        JSON_SCAN_OPEN,  /* [ { */
        JSON_SCAN_CLOSE, /* ] } */
        JSON_SCAN_SEP,   /* , : */
};

static const uint8_t json_scan_class[256] = {
        [0] = JSON_SCAN_NUL,
        [1 ... 0x1f] = JSON_SCAN_CONTROL,
        ['"'] = JSON_SCAN_QUOTE,
        ['\\'] = JSON_SCAN_BACKSLASH,
        ['['] = JSON_SCAN_OPEN,
        ['{'] = JSON_SCAN_OPEN,
        [']'] = JSON_SCAN_CLOSE,
        ['}'] = JSON_SCAN_CLOSE,
        [','] = JSON_SCAN_SEP,
        [':'] = JSON_SCAN_SEP,
};

/* Eight bytes at a time (SWAR): whether a word holds a given byte, a byte
 * below 0x20, or a byte from 0x80. Each test is exact as a yes/no for the
 * word; the byte loops that follow find which byte it is. */
#define JSON_ONES UINT64_C(0x0101010101010101)
#define JSON_HIGHS UINT64_C(0x8080808080808080)

static uint64_t json_load64(const uint8_t *p) {
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static uint64_t json_has_byte(uint64_t v, uint8_t c) {
        uint64_t x = v ^ (JSON_ONES * c);

        return (x - JSON_ONES) & ~x & JSON_HIGHS;
}

static uint64_t json_has_control(uint64_t v) {
        return (v - JSON_ONES * 0x20) & ~v & JSON_HIGHS;
}

/* How many bytes of v are c, exactly (no borrow runs from one byte into
 * the next, unlike json_has_byte()). */
static unsigned json_count_byte(uint64_t v, uint8_t c) {
        const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
        uint64_t x = v ^ (JSON_ONES * c), t = ((x & low7) + low7) | x;

        /* The high bits summed by a multiply: no popcount instruction is
         * needed (without -mpopcnt the builtin is a library call). */
        return (unsigned)((((~t & JSON_HIGHS) >> 7) * JSON_ONES) >> 56);
}

/* Whether every byte of v is a digit or one of ",-./" (0x2c-0x39). */
static bool json_is_number_run(uint64_t v) {
        return !(v & JSON_HIGHS) && ((v + JSON_ONES * 0x54) & JSON_HIGHS) == JSON_HIGHS &&
               !((v + JSON_ONES * 0x46) & JSON_HIGHS);
}

/* From i, the first byte that is a quote, a backslash, or (stop_high
 * false) a control character or (stop_high true) a byte from 0x80; n if
 * there is none. Long strings are most of a body's bytes: on x86-64 SSE2
 * (always there) tests 32 bytes per step, elsewhere SWAR 8. The pre-scan
 * stops at control characters, which it refuses; the string scan, after
 * it, at non-ASCII bytes, which it leaves to json-c. */
static size_t json_plain_run(const uint8_t *p, size_t i, size_t n, bool stop_high) {
#if defined(__x86_64__) && defined(__SSE2__)
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                      ctl = _mm_set1_epi8(0x1f);

        while (n - i >= 32) {
                __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i)),
                        b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
                __m128i ma = _mm_or_si128(_mm_cmpeq_epi8(a, quote), _mm_cmpeq_epi8(a, bslash)),
                        mb = _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, bslash));
                uint32_t m;

                if (stop_high) {
                        ma = _mm_or_si128(ma, a);
                        mb = _mm_or_si128(mb, b);
                } else {
                        /* x <= 0x1f exactly when min(x, 0x1f) == x. */
                        ma = _mm_or_si128(ma, _mm_cmpeq_epi8(_mm_min_epu8(a, ctl), a));
                        mb = _mm_or_si128(mb, _mm_cmpeq_epi8(_mm_min_epu8(b, ctl), b));
                }
                m = (uint32_t)_mm_movemask_epi8(ma) | (uint32_t)_mm_movemask_epi8(mb) << 16;
                if (m)
                        return i + (size_t)__builtin_ctz(m);
                i += 32;
        }
#endif
        while (n - i >= 8) {
                uint64_t v = json_load64(p + i);

                if (json_has_byte(v, '"') | json_has_byte(v, '\\') |
                    (stop_high ? v & JSON_HIGHS : json_has_control(v)))
                        break;
                i += 8;
        }
        while (i < n && p[i] != '"' && p[i] != '\\' && (stop_high ? p[i] < 0x80 : p[i] >= 0x20))
                i++;
        return i;
}

/* From i inside a string, the first byte that is a quote, a backslash or a
 * control character (or n). */
static size_t json_skip_string_plain(const uint8_t *p, size_t i, size_t n) {
        return json_plain_run(p, i, n, false);
}

/* Records a pre-scan failure at byte i of the reader's span. */
static int json_parse_prescan_fail(Reader *rd, size_t i) {
        (void)reader_skip(rd, i);
        return -EBADMSG;
}

/* One pass over the text: nesting depth and a count of the places where a
 * value can begin, outside strings; and how many arrays may hold numbers
 * (no string, array, object or ']' right after the '['): with none,
 * json_compact() has nothing to do; and how many strings are long enough
 * for JsonParseLimits.long_strings. Strings must not hold raw control
 * characters (RFC 8259 section 7), which also keeps NUL bytes out of
 * json-c, whose C strings would otherwise end early without notice. */
static int json_parse_prescan(Reader *rd, const JsonParseLimits *limits, size_t *ret_digit_arrays,
                              size_t *ret_long_strings) {
        const uint8_t *p;
        size_t n = reader_left(rd), i = 0, values = 1;
        unsigned depth = 0;
        int r;

        r = reader_peek(rd, n, &p);
        if (r < 0)
                return r;
        while (i < n) {
                uint8_t cls;

                /* Numbers in arrays (a serde byte array is thousands of
                 * them) eight bytes at a time, counting the commas, as long
                 * as the count stays in bounds; the byte loop below finds
                 * the exact place where it does not. */
                while (n - i >= 8) {
                        uint64_t v = json_load64(p + i);
                        unsigned commas;

                        if (!json_is_number_run(v))
                                break;
                        commas = json_count_byte(v, ',');
                        if (values + commas > limits->max_values)
                                break;
                        values += commas;
                        i += 8;
                }
                if (i >= n)
                        break;
                cls = json_scan_class[p[i]];
                switch (cls) {
                case JSON_SCAN_QUOTE: {
                        size_t open = i;

                        /* A string: skip to its closing quote. */
                        for (i++;; i++) {
                                uint8_t k;

                                i = json_skip_string_plain(p, i, n);
                                if (i >= n)
                                        return 0;
                                k = json_scan_class[p[i]];
                                if (k == JSON_SCAN_QUOTE) {
                                        if (i - open - 1 >= JSON_LONG_STRING_MIN)
                                                (*ret_long_strings)++;
                                        break;
                                }
                                if (k == JSON_SCAN_BACKSLASH) {
                                        /* The escaped byte is taken as it is. */
                                        if (++i >= n)
                                                return 0;
                                        continue;
                                }
                                if (k == JSON_SCAN_CONTROL || k == JSON_SCAN_NUL) {
                                        uint8_t c = p[i];

                                        (void)json_parse_prescan_fail(rd, i);
                                        return reader_fail(rd, NULL,
                                                           "control character 0x%02x inside a "
                                                           "string",
                                                           c);
                                }
                                /* Structural characters are plain inside a string. */
                        }
                        break;
                }
                case JSON_SCAN_OPEN:
                        if (p[i] == '[' && i + 1 < n && p[i + 1] != '"' && p[i + 1] != '[' &&
                            p[i + 1] != '{' && p[i + 1] != ']')
                                (*ret_digit_arrays)++;
                        if (depth >= limits->max_depth) {
                                (void)json_parse_prescan_fail(rd, i);
                                return reader_fail(rd, NULL, "nested deeper than %u levels",
                                                   limits->max_depth);
                        }
                        depth++;
                        values++;
                        break;
                case JSON_SCAN_CLOSE:
                        if (depth > 0)
                                depth--;
                        break;
                case JSON_SCAN_SEP:
                        values++;
                        break;
                case JSON_SCAN_NUL:
                        (void)json_parse_prescan_fail(rd, i);
                        return reader_fail(rd, NULL, "NUL byte");
                default:
                        break;
                }
                if (values > limits->max_values) {
                        (void)json_parse_prescan_fail(rd, i);
                        (void)reader_fail(rd, NULL, "more than %zu values", limits->max_values);
                        return -E2BIG;
                }
                i++;
        }
        return 0;
}

/* A byte array the pre-scan decoded, hung on its (empty) json-c array as
 * user data. */
typedef struct JsonByteArray {
        uint32_t magic;
        size_t size;
        uint8_t data[];
} JsonByteArray;

#define JSON_BYTE_ARRAY_MAGIC 0x6a736261u /* "jsba" */

/* The text with every byte array in a value position rewritten as [-k]
 * and every long string value as "\u0000k" (k counts from 1 in each
 * kind), the arrays' bytes back to back, and the strings' unescaped
 * characters back to back. */
typedef struct JsonCompact {
        char *text;
        size_t size;
        uint8_t *bytes;
        size_t *start; /* array k-1's bytes are bytes[start[k-1] .. start[k]) */
        size_t n_arrays;
        char *chars;
        size_t *str_start; /* string k-1 is chars[str_start[k-1] .. str_start[k]) */
        size_t n_strings;
} JsonCompact;

static void json_compact_done(JsonCompact *c) {
        free(c->text);
        free(c->bytes);
        free(c->start);
        free(c->chars);
        free(c->str_start);
        *c = (JsonCompact){};
}

static bool json_is_ws(uint8_t c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool json_is_digit(uint8_t c) {
        return c >= '0' && c <= '9';
}

/* The array at p[i] == '[': if it holds JSON_BYTE_ARRAY_MIN or more
 * integers 0-255 written as JSON writes them (no sign, fraction, exponent
 * or leading zero), its bytes go to out and the index just past its ']'
 * comes back; otherwise 0 and json-c gets the array as it is. */
static size_t json_byte_array_scan(const uint8_t *p, size_t n, size_t i, uint8_t *out,
                                   size_t *ret_count) {
        size_t count = 0;

        for (i++;; i++) {
                unsigned v;

                while (i < n && json_is_ws(p[i]))
                        i++;
                if (i >= n || !json_is_digit(p[i]))
                        return 0;
                v = p[i++] - '0';
                if (v != 0)
                        for (int d = 0; d < 2 && i < n && json_is_digit(p[i]); d++)
                                v = v * 10 + (p[i++] - '0');
                if (i < n && (json_is_digit(p[i]) || p[i] == '.' || p[i] == 'e' || p[i] == 'E'))
                        return 0;
                if (v > 255)
                        return 0;
                out[count++] = (uint8_t)v;
                while (i < n && json_is_ws(p[i]))
                        i++;
                if (i >= n)
                        return 0;
                if (p[i] == ']')
                        break;
                if (p[i] != ',')
                        return 0;
        }
        if (count < JSON_BYTE_ARRAY_MIN)
                return 0;
        *ret_count = count;
        return i + 1;
}

/* Room for one more entry (and the end mark after it) in an index. */
static int json_index_grow(size_t **index, size_t n, size_t *cap) {
        size_t *s;

        if (n + 2 <= *cap)
                return 0;
        *cap = *cap ? *cap * 2 : 32;
        s = realloc(*index, *cap * sizeof(*s));
        if (!s)
                return -ENOMEM;
        *index = s;
        return 0;
}

/* What json_string_scan() saw in one string. */
typedef struct JsonStringScan {
        size_t end;      /* index of the closing quote; n when there is none */
        size_t out_size; /* unescaped bytes written to out (when simple) */
        bool simple;     /* ASCII with only the short escapes */
        bool nul_escape; /* holds \u0000, which json-c turns into a NUL byte */
} JsonStringScan;

/* The string whose characters start at p[from]: its closing quote, found
 * by reading the escapes in order as json-c does (so \\" ends it and \"
 * does not), and its characters unescaped into out for as long as the
 * string stays simple. Runs without a quote, a backslash or a byte from
 * 0x80 go eight bytes at a time. The pre-scan has refused raw control
 * characters already. */
static void json_string_scan(const uint8_t *p, size_t n, size_t from, char *out,
                             JsonStringScan *ret) {
        size_t j = from, o = 0;
        bool simple = true, nul = false;

        for (;;) {
                size_t run = j;
                uint8_t e;
                char ch;

                j = json_plain_run(p, j, n, true);
                if (simple) {
                        memcpy(out + o, p + run, j - run);
                        o += j - run;
                }
                if (j >= n)
                        break;
                if (p[j] == '"')
                        break;
                if (p[j] >= 0x80) {
                        simple = false;
                        j++;
                        continue;
                }
                /* A backslash and the byte it escapes. */
                if (j + 1 >= n) {
                        j = n;
                        break;
                }
                e = p[j + 1];
                switch (e) {
                case '"':
                case '\\':
                case '/':
                        ch = (char)e;
                        break;
                case 'b':
                        ch = '\b';
                        break;
                case 'f':
                        ch = '\f';
                        break;
                case 'n':
                        ch = '\n';
                        break;
                case 'r':
                        ch = '\r';
                        break;
                case 't':
                        ch = '\t';
                        break;
                case 'u':
                        if (n - j >= 6 && memcmp(p + j + 2, "0000", 4) == 0)
                                nul = true;
                        simple = false;
                        ch = 0;
                        break;
                default:
                        simple = false;
                        ch = 0;
                        break;
                }
                if (simple)
                        out[o++] = ch;
                j += 2;
        }
        *ret = (JsonStringScan){.end = j, .out_size = o, .simple = simple, .nul_escape = nul};
}

/* Rewrites the byte arrays (arrays set) and the long strings (strings
 * set); see JsonParseLimits. Only values are touched (top level, after
 * ':', or inside an array), never member names, so the rewritten text is
 * JSON exactly when the original is. The placeholders are told apart from
 * the input's own values because the input has no array starting with a
 * negative number (when arrays is set) and no string with a \u0000 escape
 * (when strings is set): if it has, or nests deeper than 64, nothing is
 * rewritten. c->n_arrays == c->n_strings == 0 then. */
static int json_compact(const uint8_t *p, size_t n, bool arrays, bool strings, JsonCompact *c) {
        uint64_t in_object = 0; /* bit d: container at depth d+1 is an object */
        size_t last = 0, out = 0, nbytes = 0, nchars = 0, cap = 0, str_cap = 0;
        unsigned depth = 0;
        char prev = 0;

        *c = (JsonCompact){};
        c->text = malloc(n + 1);
        if (!c->text)
                goto oom;
        if (strings) {
                c->chars = malloc(n + 1);
                if (!c->chars)
                        goto oom;
        }
        for (size_t i = 0; i < n; i++) {
                uint8_t ch = p[i];
                bool obj = depth > 0 && (in_object >> (depth - 1)) & 1;
                bool value_pos = (depth == 0 && prev == 0) || prev == ':' ||
                                 ((prev == '[' || prev == ',') && depth > 0 && !obj);

                switch (ch) {
                case '"': {
                        size_t from = ++i;
                        JsonStringScan st;

                        if (!strings) {
                                /* To the closing quote: the next '"' not escaped
                                 * by an odd run of backslashes. */
                                for (;;) {
                                        const uint8_t *q = memchr(p + i, '"', n - i);
                                        size_t k, bs = 0;

                                        if (!q) {
                                                i = n;
                                                break;
                                        }
                                        k = (size_t)(q - p);
                                        while (k - bs > from && p[k - bs - 1] == '\\')
                                                bs++;
                                        i = k;
                                        if (bs % 2 == 0)
                                                break;
                                        i++;
                                }
                                prev = 'v';
                                break;
                        }
                        json_string_scan(p, n, from, c->chars + nchars, &st);
                        if (st.nul_escape)
                                goto give_up;
                        i = st.end;
                        if (i < n && value_pos && st.simple && i - from >= JSON_LONG_STRING_MIN) {
                                if (json_index_grow(&c->str_start, c->n_strings, &str_cap) < 0)
                                        goto oom;
                                memcpy(c->text + out, p + last, from - 1 - last);
                                out += from - 1 - last;
                                out += (size_t)sprintf(c->text + out, "\"\\u0000%zu\"",
                                                       c->n_strings + 1);
                                c->str_start[c->n_strings++] = nchars;
                                nchars += st.out_size;
                                c->str_start[c->n_strings] = nchars;
                                last = i + 1;
                        }
                        prev = 'v';
                        break;
                }
                case '{':
                case '[': {
                        size_t j = i + 1, end, count = 0;

                        while (arrays && j < n && json_is_ws(p[j]))
                                j++;
                        if (arrays && ch == '[' && j < n && p[j] == '-')
                                goto give_up;
                        if (arrays && ch == '[' && value_pos) {
                                if (!c->bytes) {
                                        c->bytes = malloc(n / 2 + 1);
                                        if (!c->bytes)
                                                goto oom;
                                }
                                end = json_byte_array_scan(p, n, i, c->bytes + nbytes, &count);
                                if (end > 0) {
                                        if (json_index_grow(&c->start, c->n_arrays, &cap) < 0)
                                                goto oom;
                                        memcpy(c->text + out, p + last, i - last);
                                        out += i - last;
                                        out += (size_t)sprintf(c->text + out, "[-%zu]",
                                                               c->n_arrays + 1);
                                        c->start[c->n_arrays++] = nbytes;
                                        nbytes += count;
                                        c->start[c->n_arrays] = nbytes;
                                        last = end;
                                        i = end - 1;
                                        prev = 'v';
                                        break;
                                }
                        }
                        if (depth >= 64)
                                goto give_up;
                        in_object = (in_object & ~(UINT64_C(1) << depth)) |
                                    ((uint64_t)(ch == '{') << depth);
                        depth++;
                        prev = (char)ch;
                        break;
                }
                case '}':
                case ']':
                        if (depth > 0)
                                depth--;
                        prev = 'v';
                        break;
                case ':':
                case ',':
                        prev = (char)ch;
                        break;
                default:
                        if (!json_is_ws(ch))
                                prev = 'v';
                        break;
                }
        }
        if (c->n_arrays == 0 && c->n_strings == 0)
                goto give_up;
        memcpy(c->text + out, p + last, n - last);
        out += n - last;
        c->text[out] = 0;
        c->size = out;
        return 0;
give_up:
        json_compact_done(c);
        return 0;
oom:
        json_compact_done(c);
        return -ENOMEM;
}

static void json_byte_array_free(json_object *jso, void *userdata) {
        (void)jso;
        free(userdata);
}

/* A placeholder string "\0k" back to string k's characters. */
static int json_long_string_attach(json_object *j, const JsonCompact *c) {
        const char *s = json_object_get_string(j);
        int len = json_object_get_string_len(j);
        size_t idx = 0;

        if (len < 2 || s[0] != 0)
                return 0;
        for (int i = 1; i < len; i++) {
                if (!json_is_digit((uint8_t)s[i]) || idx > c->n_strings)
                        return -EBADMSG; /* cannot be: the input had no \u0000 */
                idx = idx * 10 + (size_t)(s[i] - '0');
        }
        if (idx == 0 || idx > c->n_strings)
                return -EBADMSG;
        idx--;
        if (!json_object_set_string_len(j, c->chars + c->str_start[idx],
                                        (int)(c->str_start[idx + 1] - c->str_start[idx])))
                return -ENOMEM;
        return 0;
}

/* Puts the values back on the placeholders: each [-k] becomes an empty
 * array carrying array k's bytes, each "\0k" string k's characters. */
static int json_placeholders_attach(json_object *j, const JsonCompact *c) {
        if (json_object_is_type(j, json_type_string))
                return c->n_strings > 0 ? json_long_string_attach(j, c) : 0;
        if (json_object_is_type(j, json_type_object)) {
                json_object_object_foreach(j, key, v) {
                        int r;

                        (void)key;
                        r = json_placeholders_attach(v, c);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if (!json_object_is_type(j, json_type_array))
                return 0;
        if (c->n_arrays > 0 && json_object_array_length(j) == 1) {
                json_object *e = json_object_array_get_idx(j, 0);
                int64_t k = json_object_is_type(e, json_type_int) ? json_object_get_int64(e) : 0;

                if (k < 0) {
                        size_t idx = (size_t)(-(k + 1)), size;
                        JsonByteArray *b;

                        if (idx >= c->n_arrays)
                                return -EBADMSG; /* cannot be: the input had no [-k] */
                        size = c->start[idx + 1] - c->start[idx];
                        b = malloc(sizeof(*b) + size);
                        if (!b)
                                return -ENOMEM;
                        b->magic = JSON_BYTE_ARRAY_MAGIC;
                        b->size = size;
                        memcpy(b->data, c->bytes + c->start[idx], size);
                        if (json_object_array_del_idx(j, 0, 1) < 0) {
                                free(b);
                                return -ENOMEM;
                        }
                        json_object_set_userdata(j, b, json_byte_array_free);
                        return 0;
                }
        }
        for (size_t i = 0; i < json_object_array_length(j); i++) {
                int r = json_placeholders_attach(json_object_array_get_idx(j, i), c);

                if (r < 0)
                        return r;
        }
        return 0;
}

bool json_byte_array(json_object *v, const uint8_t **ret_data, size_t *ret_size) {
        const JsonByteArray *b;

        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 0)
                return false;
        b = json_object_get_userdata(v);
        if (!b || b->magic != JSON_BYTE_ARRAY_MAGIC)
                return false;
        *ret_data = b->data;
        *ret_size = b->size;
        return true;
}

bool json_equal_byte_arrays(json_object *a, json_object *b) {
        const uint8_t *d;
        size_t n;

        if (json_byte_array(a, &d, &n)) {
                if (!json_object_is_type(b, json_type_array) || json_object_array_length(b) != n)
                        return false;
                for (size_t i = 0; i < n; i++) {
                        json_object *e = json_object_array_get_idx(b, i);

                        if (!json_object_is_type(e, json_type_int) ||
                            json_object_get_int64(e) != d[i])
                                return false;
                }
                return true;
        }
        if (json_object_get_type(a) != json_object_get_type(b))
                return false;
        if (json_object_is_type(a, json_type_array)) {
                if (json_object_array_length(a) != json_object_array_length(b))
                        return false;
                for (size_t i = 0; i < json_object_array_length(a); i++)
                        if (!json_equal_byte_arrays(json_object_array_get_idx(a, i),
                                                    json_object_array_get_idx(b, i)))
                                return false;
                return true;
        }
        if (json_object_is_type(a, json_type_object)) {
                if (json_object_object_length(a) != json_object_object_length(b))
                        return false;
                json_object_object_foreach(a, k, v) {
                        json_object *w;

                        if (!json_object_object_get_ex(b, k, &w) || !json_equal_byte_arrays(v, w))
                                return false;
                }
                return true;
        }
        return json_object_equal(a, b);
}

/* json-c in strict mode over text: the tree (NULL if not JSON), the end
 * of what it read and its error. -ENOMEM. */
static int json_parse_text(const char *text, size_t size, unsigned max_depth, json_object **ret,
                           size_t *ret_end, enum json_tokener_error *ret_err) {
        json_tokener *tok;

        /* json-c counts a scalar inside the innermost container as one more
         * level than we do. */
        tok = json_tokener_new_ex((int)max_depth + 1);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        *ret = json_tokener_parse_ex(tok, text, (int)size);
        *ret_err = json_tokener_get_error(tok);
        *ret_end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        return 0;
}

static bool json_text_ends(const char *text, size_t end, size_t size) {
        for (size_t i = end; i < size; i++)
                if (!json_is_ws((uint8_t)text[i]))
                        return false;
        return true;
}

int json_parse_bounded(const void *data, size_t size, const JsonParseLimits *limits,
                       json_object **ret, ParseError *err) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        enum json_tokener_error jerr;
        const char *text = data;
        size_t end, digit_arrays = 0, long_strings = 0;
        Reader rd, at;
        int r;

        reader_init(&rd, data, size, err);
        if (size > limits->max_size || size > INT_MAX) {
                (void)reader_fail(&rd, NULL, "%zu bytes, more than the limit of %zu", size,
                                  limits->max_size);
                return -E2BIG;
        }
        if (size == 0)
                return reader_fail(&rd, NULL, "empty");
        r = json_parse_prescan(&rd, limits, &digit_arrays, &long_strings);
        if (r < 0)
                return r;

        if ((limits->byte_arrays && digit_arrays > 0) || (limits->long_strings && long_strings > 0)) {
                JsonCompact c;

                r = json_compact(data, size, limits->byte_arrays && digit_arrays > 0,
                                 limits->long_strings && long_strings > 0, &c);
                if (r < 0)
                        return r;
                if (c.n_arrays > 0 || c.n_strings > 0) {
                        r = json_parse_text(c.text, c.size, limits->max_depth, &j, &end, &jerr);
                        if (r < 0) {
                                json_compact_done(&c);
                                return r;
                        }
                        if (j && jerr == json_tokener_success && json_text_ends(c.text, end, c.size)) {
                                r = json_placeholders_attach(j, &c);
                                json_compact_done(&c);
                                if (r < 0)
                                        return r;
                                *ret = TAKE_PTR(j);
                                return 0;
                        }
                        /* Not JSON: the original text says where. */
                        json_object_put(TAKE_PTR(j));
                        json_compact_done(&c);
                }
        }

        r = json_parse_text(text, size, limits->max_depth, &j, &end, &jerr);
        if (r < 0)
                return r;
        reader_init(&at, data, size, err);
        if (!j || jerr != json_tokener_success) {
                if (end < size)
                        (void)reader_skip(&at, end);
                if (!j && jerr == json_tokener_success)
                        return reader_fail(&at, NULL, "not JSON: null at the top level");
                return reader_fail(&at, NULL, "not JSON: %s",
                                   jerr == json_tokener_continue ? "ends early"
                                                                 : json_tokener_error_desc(jerr));
        }
        if (!json_text_ends(text, end, size)) {
                size_t i = end;

                while (json_is_ws((uint8_t)text[i]))
                        i++;
                (void)reader_skip(&at, i);
                return reader_fail(&at, NULL, "%zu bytes after the JSON value", size - i);
        }
        *ret = TAKE_PTR(j);
        return 0;
}
