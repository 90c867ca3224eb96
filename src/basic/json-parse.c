#include "confnode/basic/json-parse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-util.h"

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

/* Records a pre-scan failure at byte i of the reader's span. */
static int json_parse_prescan_fail(Reader *rd, size_t i) {
        (void)reader_skip(rd, i);
        return -EBADMSG;
}

/* One pass over the text: nesting depth and a count of the places where a
 * value can begin, outside strings; and how many arrays may hold numbers
 * (no string, array, object or ']' right after the '['): with none,
 * json_compact() has nothing to do. Strings must not hold raw control
 * characters (RFC 8259 section 7), which also keeps NUL bytes out of
 * json-c, whose C strings would otherwise end early without notice. */
static int json_parse_prescan(Reader *rd, const JsonParseLimits *limits,
                              size_t *ret_digit_arrays) {
        const uint8_t *p;
        size_t n = reader_left(rd), i = 0, values = 1;
        unsigned depth = 0;
        int r;

        r = reader_peek(rd, n, &p);
        if (r < 0)
                return r;
        while (i < n) {
                uint8_t cls = json_scan_class[p[i]];

                switch (cls) {
                case JSON_SCAN_QUOTE:
                        /* A string: skip to its closing quote. */
                        for (i++;; i++) {
                                uint8_t k;

                                while (i < n && json_scan_class[p[i]] == JSON_SCAN_PLAIN)
                                        i++;
                                if (i >= n)
                                        return 0;
                                k = json_scan_class[p[i]];
                                if (k == JSON_SCAN_QUOTE)
                                        break;
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
 * (k counts from 1), and the arrays' bytes back to back. */
typedef struct JsonCompact {
        char *text;
        size_t size;
        uint8_t *bytes;
        size_t *start; /* array k-1's bytes are bytes[start[k-1] .. start[k]) */
        size_t n_arrays;
} JsonCompact;

static void json_compact_done(JsonCompact *c) {
        free(c->text);
        free(c->bytes);
        free(c->start);
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

/* Rewrites the byte arrays (see JsonParseLimits.byte_arrays). Only arrays
 * in a value position are touched (top level, after ':', or inside an
 * array), so the rewritten text is JSON exactly when the original is. The
 * placeholders [-k] are told apart from the input's own arrays because
 * the input has no array starting with a negative number: if it does, or
 * nests deeper than 64, nothing is rewritten. c->n_arrays == 0 then. */
static int json_compact(const uint8_t *p, size_t n, JsonCompact *c) {
        uint64_t in_object = 0; /* bit d: container at depth d+1 is an object */
        size_t last = 0, out = 0, nbytes = 0, cap = 0;
        unsigned depth = 0;
        char prev = 0;

        *c = (JsonCompact){};
        for (size_t i = 0; i < n; i++) {
                uint8_t ch = p[i];

                switch (ch) {
                case '"': {
                        size_t from = ++i;

                        /* To the closing quote: the next '"' not escaped by an
                         * odd run of backslashes. */
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
                case '{':
                case '[': {
                        bool value_pos, obj = depth > 0 && (in_object >> (depth - 1)) & 1;
                        size_t j = i + 1, end, count = 0;

                        while (j < n && json_is_ws(p[j]))
                                j++;
                        if (ch == '[' && j < n && p[j] == '-')
                                goto give_up;
                        value_pos = (depth == 0 && prev == 0) || prev == ':' ||
                                    ((prev == '[' || prev == ',') && depth > 0 && !obj);
                        if (ch == '[' && value_pos) {
                                if (!c->bytes) {
                                        c->bytes = malloc(n / 2 + 1);
                                        c->text = malloc(n + 1);
                                        if (!c->bytes || !c->text)
                                                goto oom;
                                }
                                end = json_byte_array_scan(p, n, i, c->bytes + nbytes, &count);
                                if (end > 0) {
                                        if (c->n_arrays + 2 > cap) {
                                                size_t *s;

                                                cap = cap ? cap * 2 : 32;
                                                s = realloc(c->start, cap * sizeof(*s));
                                                if (!s)
                                                        goto oom;
                                                c->start = s;
                                        }
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
        if (c->n_arrays == 0) {
                json_compact_done(c);
                return 0;
        }
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

/* Puts the bytes back on the placeholders: each [-k] becomes an empty
 * array carrying array k's bytes. */
static int json_byte_arrays_attach(json_object *j, const JsonCompact *c) {
        if (json_object_is_type(j, json_type_object)) {
                json_object_object_foreach(j, key, v) {
                        int r;

                        (void)key;
                        r = json_byte_arrays_attach(v, c);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if (!json_object_is_type(j, json_type_array))
                return 0;
        if (json_object_array_length(j) == 1) {
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
                int r = json_byte_arrays_attach(json_object_array_get_idx(j, i), c);

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
        size_t end, digit_arrays = 0;
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
        r = json_parse_prescan(&rd, limits, &digit_arrays);
        if (r < 0)
                return r;

        if (limits->byte_arrays && digit_arrays > 0) {
                JsonCompact c;

                r = json_compact(data, size, &c);
                if (r < 0)
                        return r;
                if (c.n_arrays > 0) {
                        r = json_parse_text(c.text, c.size, limits->max_depth, &j, &end, &jerr);
                        if (r < 0) {
                                json_compact_done(&c);
                                return r;
                        }
                        if (j && jerr == json_tokener_success && json_text_ends(c.text, end, c.size)) {
                                r = json_byte_arrays_attach(j, &c);
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
