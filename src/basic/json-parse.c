#include "confnode/basic/json-parse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "confnode/basic/json-util.h"

/* One pass over the text: nesting depth and a count of the places where a
 * value can begin, outside strings. Strings must not hold raw control
 * characters (RFC 8259 section 7), which also keeps NUL bytes out of
 * json-c, whose C strings would otherwise end early without notice. */
static int json_parse_prescan(Reader *rd, const JsonParseLimits *limits) {
        bool in_string = false, escaped = false;
        unsigned depth = 0;
        size_t values = 1;

        while (!reader_eof(rd)) {
                Reader at = *rd;
                uint8_t c;
                int r = reader_u8(rd, &c);

                if (r < 0)
                        return r;
                if (in_string) {
                        if (escaped)
                                escaped = false;
                        else if (c == '\\')
                                escaped = true;
                        else if (c == '"')
                                in_string = false;
                        else if (c < 0x20)
                                return reader_fail(&at, NULL,
                                                   "control character 0x%02x inside a string", c);
                        continue;
                }
                switch (c) {
                case '"':
                        in_string = true;
                        break;
                case '[':
                case '{':
                        if (depth >= limits->max_depth)
                                return reader_fail(&at, NULL, "nested deeper than %u levels",
                                                   limits->max_depth);
                        depth++;
                        values++;
                        break;
                case ']':
                case '}':
                        if (depth > 0)
                                depth--;
                        break;
                case ',':
                case ':':
                        values++;
                        break;
                case 0:
                        return reader_fail(&at, NULL, "NUL byte");
                default:
                        break;
                }
                if (values > limits->max_values) {
                        (void)reader_fail(&at, NULL, "more than %zu values", limits->max_values);
                        return -E2BIG;
                }
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
