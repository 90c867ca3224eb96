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
        if (!json_equal_byte_arrays(a, b))
                abort();
        return 0;
}
