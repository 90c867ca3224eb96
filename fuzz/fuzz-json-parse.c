/* The bounded JSON parser both ways on the same bytes: with the byte-array
 * pre-decoding (what an attestation body gets) and without (json-c alone).
 * They must agree on every input: both fail at the same place with the
 * same words, or both succeed with trees that hold the same values, a
 * decoded byte array standing for the array of the same numbers. Any
 * difference aborts. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_tree(json_object *a, json_object *b) {
        const uint8_t *d;
        size_t n;

        if (json_byte_array(a, &d, &n)) {
                if (n < JSON_BYTE_ARRAY_MIN || !json_object_is_type(b, json_type_array) ||
                    json_object_array_length(b) != n)
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
                        if (!same_tree(json_object_array_get_idx(a, i),
                                       json_object_array_get_idx(b, i)))
                                return false;
                return true;
        }
        if (json_object_is_type(a, json_type_object)) {
                if (json_object_object_length(a) != json_object_object_length(b))
                        return false;
                json_object_object_foreach(a, k, v) {
                        json_object *w;

                        if (!json_object_object_get_ex(b, k, &w) || !same_tree(v, w))
                                return false;
                }
                return true;
        }
        return json_object_equal(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const JsonParseLimits plain = {.max_size = 1 << 20, .max_depth = 16, .max_values = 1 << 16};
        JsonParseLimits bytes = plain;
        _cleanup_(json_object_putp) json_object *a = NULL, *b = NULL;
        ParseError ea = {}, eb = {};
        int ra, rb;

        bytes.byte_arrays = true;
        ra = json_parse_bounded(data, size, &bytes, &a, &ea);
        rb = json_parse_bounded(data, size, &plain, &b, &eb);
        if (ra != rb)
                abort();
        if (ra < 0) {
                if (ra != -ENOMEM && (ea.offset != eb.offset || strcmp(ea.what, eb.what) != 0))
                        abort();
                return 0;
        }
        if (!same_tree(a, b))
                abort();
        return 0;
}
