#pragma once

/* The JSON Canonicalization Scheme (RFC 8785) of a json-c value: object
 * members sorted by the UTF-16 code units of their names, no whitespace,
 * strings with the minimal escaping of ECMAScript's JSON.stringify, and
 * numbers as ECMAScript prints an IEEE 754 double. Trustee hashes the KBS
 * runtime data in this form, so the bytes must match serde_json_canonicalizer
 * exactly: one differing byte and the report_data binding fails. */

#include <stddef.h>

#include <json-c/json.h>

/* Nesting beyond this is refused (-ELOOP) rather than recursed into. */
#define CANONICAL_JSON_MAX_DEPTH 64u

/* A newly allocated NUL-terminated string and its length. -EBADMSG if a
 * string or member name is not valid UTF-8 (or holds a surrogate code
 * point), -EDOM for NaN or an infinity (JSON has no spelling for them),
 * -ELOOP past CANONICAL_JSON_MAX_DEPTH, -ENOMEM. */
int canonical_json(json_object *value, char **ret, size_t *ret_size);

/* ECMAScript Number::toString of d into buf (25 bytes always suffice):
 * shortest round-trip digits, exponent form below 1e-6 and from 1e21.
 * -EDOM for NaN and infinities. Exposed for tests. */
int canonical_json_number(double d, char buf[static 32]);

/* The canonical form of the string of n bytes at s (quotes included), as
 * canonical_json() writes a json-c string of those bytes, handed to
 * write() in pieces, which returns >= 0 or a -errno that stops the walk
 * and is returned. So a long string can be hashed without an escaped
 * copy. -EBADMSG for bytes that are not UTF-8 (nothing said so far is to
 * be used then), -EINVAL without write. */
int canonical_json_string_write(const char *s, size_t n,
                                int (*write)(void *userdata, const void *p, size_t size),
                                void *userdata);
