#pragma once

/* JSON from untrusted bytes (HTTP bodies, JOSE headers) with bounds that
 * hold before json-c builds a tree: the size of the text, how deep arrays
 * and objects nest, and how many values there are at most. A pre-scan
 * through the Reader checks the last two, so a body of a million '[' or a
 * million tiny values costs a pass over the bytes and no allocation. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/basic/reader.h"

typedef struct JsonParseLimits {
        size_t max_size;    /* bytes of text */
        unsigned max_depth; /* nested arrays/objects; 1 allows {"a":1} but not {"a":{}} */
        size_t max_values;  /* upper bound on the values (members and elements) */
        /* Arrays of at least JSON_BYTE_ARRAY_MIN integers 0-255 (how serde
         * writes a Vec<u8> or [u8; N]: an SEV-SNP report and its
         * certificates arrive that way, some 5,000 numbers) are decoded by
         * the pre-scan into bytes instead of one json-c object per number;
         * json_byte_array() gives them back. Everything else about the tree
         * is the same, except that such an array has no elements for
         * json_object_array_length() and friends. */
        bool byte_arrays;
        /* String values of at least JSON_LONG_STRING_MIN bytes between their
         * quotes that are ASCII with only the short escapes (\" \\ \/ \b
         * \f \n \r \t) are unescaped by the pre-scan, a word at a time,
         * and json-c gets a short placeholder in their place, so it never
         * walks them a character at a time (an Attestation's
         * additional_evidence is a 60 KB JSON text in a string, full of
         * \"). The tree is exactly the one json-c alone makes; only the
         * work differs. Any other string is left to json-c. */
        bool long_strings;
} JsonParseLimits;

#define JSON_BYTE_ARRAY_MIN 8
#define JSON_LONG_STRING_MIN 32

/* Parses exactly one JSON value (whitespace around it allowed) with
 * json-c in strict mode, validating UTF-8. -E2BIG if the text or its
 * number of values is over the limit, -EBADMSG if it is not JSON or nests
 * too deep; err (may be NULL) says where and why. -ENOMEM. */
int json_parse_bounded(const void *data, size_t size, const JsonParseLimits *limits,
                       json_object **ret, ParseError *err);

/* If v is an array that json_parse_bounded() decoded as bytes (byte_arrays
 * set), its bytes (borrowed from v) and true. False for anything else,
 * including a byte array the pre-scan left to json-c (shorter than
 * JSON_BYTE_ARRAY_MIN): the caller reads that one element by element. */
bool json_byte_array(json_object *v, const uint8_t **ret_data, size_t *ret_size);

/* Whether a, parsed with byte_arrays, holds the same values as b, parsed
 * without: a decoded byte array stands for the array of the same numbers,
 * everything else compares as json_object_equal() does. For tests and fuzz
 * targets that hold the two parsers to each other. */
bool json_equal_byte_arrays(json_object *a, json_object *b);
