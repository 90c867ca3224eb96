/* The bounded JSON parser three ways on the same bytes: with the byte-array
 * pre-decoding, with it and the long strings taken out by the pre-scan
 * (what an attestation body gets), and without either (json-c alone).
 * They must agree on every input: all fail at the same place with the
 * same words, or all succeed with trees that hold the same values, a
 * decoded byte array standing for the array of the same numbers. Any
 * difference aborts. The bytes as one string also go through canonical
 * JSON whole and in pieces (what the binding digest streams). */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/canonical-json.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_same(const uint8_t *data, size_t size, const JsonParseLimits *limits,
                      json_object *b, int rb, const ParseError *eb) {
        _cleanup_(json_object_putp) json_object *a = NULL;
        ParseError ea = {};
        int ra;

        ra = json_parse_bounded(data, size, limits, &a, &ea);
        if (ra == -ENOMEM || rb == -ENOMEM)
                return;
        if (ra != rb)
                abort();
        if (ra < 0) {
                if (ea.offset != eb->offset || strcmp(ea.what, eb->what) != 0)
                        abort();
                return;
        }
        if (!json_equal_byte_arrays(a, b))
                abort();
}

typedef struct FuzzText {
        char *data;
        size_t size, allocated;
} FuzzText;

static int fuzz_text_put(void *userdata, const void *p, size_t n) {
        FuzzText *t = userdata;

        if (t->size + n > t->allocated) {
                size_t want = (t->size + n) * 2;
                char *d = realloc(t->data, want);

                if (!d)
                        return -ENOMEM;
                t->data = d;
                t->allocated = want;
        }
        memcpy(t->data + t->size, p, n);
        t->size += n;
        return 0;
}

/* The canonical form of the bytes as one string, written in pieces
 * (canonical_json_string_write) and whole (canonical_json): the same text,
 * or the same error. */
static void fuzz_canonical_string(const uint8_t *data, size_t size) {
        _cleanup_(json_object_putp) json_object *s = NULL;
        _cleanup_free_ char *whole = NULL;
        FuzzText t = {};
        size_t whole_size = 0;
        int r, rw;

        s = json_object_new_string_len((const char *)data, (int)size);
        if (!s)
                return;
        rw = canonical_json(s, &whole, &whole_size);
        r = canonical_json_string_write((const char *)data, size, fuzz_text_put, &t);
        if (r == -ENOMEM || rw == -ENOMEM) {
                free(t.data);
                return;
        }
        if (r != rw || (r >= 0 && (t.size != whole_size || memcmp(t.data, whole, t.size) != 0)))
                abort();
        free(t.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const JsonParseLimits plain = {.max_size = 1 << 20, .max_depth = 16, .max_values = 1 << 16};
        JsonParseLimits bytes = plain, fast = plain;
        _cleanup_(json_object_putp) json_object *b = NULL;
        ParseError eb = {};
        int rb;

        bytes.byte_arrays = true;
        fast.byte_arrays = true;
        fast.long_strings = true;
        rb = json_parse_bounded(data, size, &plain, &b, &eb);
        fuzz_same(data, size, &bytes, b, rb, &eb);
        fuzz_same(data, size, &fast, b, rb, &eb);
        fuzz_canonical_string(data, size);
        return 0;
}
