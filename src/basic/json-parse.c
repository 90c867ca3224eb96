#include "confnode/basic/json-parse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

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
 * value can begin, outside strings. Strings must not hold raw control
 * characters (RFC 8259 section 7), which also keeps NUL bytes out of
 * json-c, whose C strings would otherwise end early without notice. */
static int json_parse_prescan(Reader *rd, const JsonParseLimits *limits) {
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

int json_parse_bounded(const void *data, size_t size, const JsonParseLimits *limits,
                       json_object **ret, ParseError *err) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        enum json_tokener_error jerr;
        json_tokener *tok;
        const char *text = data;
        size_t end;
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
        r = json_parse_prescan(&rd, limits);
        if (r < 0)
                return r;

        /* json-c counts a scalar inside the innermost container as one more
         * level than we do. */
        tok = json_tokener_new_ex((int)limits->max_depth + 1);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        j = json_tokener_parse_ex(tok, text, (int)size);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

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
        for (size_t i = end; i < size; i++)
                if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
                        (void)reader_skip(&at, i);
                        return reader_fail(&at, NULL, "%zu bytes after the JSON value", size - i);
                }
        *ret = TAKE_PTR(j);
        return 0;
}
