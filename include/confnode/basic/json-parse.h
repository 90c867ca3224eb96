#pragma once

/* JSON from untrusted bytes (HTTP bodies, JOSE headers) with bounds that
 * hold before json-c builds a tree: the size of the text, how deep arrays
 * and objects nest, and how many values there are at most. A pre-scan
 * through the Reader checks the last two, so a body of a million '[' or a
 * million tiny values costs a pass over the bytes and no allocation. */

#include <stddef.h>

#include <json-c/json.h>

#include "confnode/basic/reader.h"

typedef struct JsonParseLimits {
        size_t max_size;    /* bytes of text */
        unsigned max_depth; /* nested arrays/objects; 1 allows {"a":1} but not {"a":{}} */
        size_t max_values;  /* upper bound on the values (members and elements) */
} JsonParseLimits;

/* Parses exactly one JSON value (whitespace around it allowed) with
 * json-c in strict mode, validating UTF-8. -E2BIG if the text or its
 * number of values is over the limit, -EBADMSG if it is not JSON or nests
 * too deep; err (may be NULL) says where and why. -ENOMEM. */
int json_parse_bounded(const void *data, size_t size, const JsonParseLimits *limits,
                       json_object **ret, ParseError *err);
