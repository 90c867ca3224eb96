#pragma once

/* base64url without padding (RFC 4648 section 5, as RFC 7515 appendix C
 * writes it for JOSE), and the standard alphabet with padding, which the
 * KBS protocol uses for its nonce. Decoding is strict: only the alphabet,
 * no padding, no whitespace, and the unused low bits of the last character
 * must be zero, so every byte string has exactly one accepted encoding and
 * a value cannot be smuggled past a comparison in a second spelling. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters of the encoding of n bytes, without the NUL. */
size_t base64url_encoded_size(size_t n);

/* A newly allocated NUL-terminated string; NULL on ENOMEM. */
char *base64url_encode(const void *data, size_t n);

/* Writes the encoding of n bytes into buf, which has room for
 * base64url_encoded_size(n) characters, for callers that assemble a
 * larger text in one buffer. No NUL is added; returns the characters
 * written. */
size_t base64url_encode_to(const void *data, size_t n, char *buf);

/* The standard alphabet (RFC 4648 section 4, + and /) with = padding, as
 * Trustee writes its nonce; NULL on ENOMEM. */
char *base64url_encode_std(const void *data, size_t n);

/* Decodes len characters of s into buf (size bytes). -EBADMSG if s is not
 * strict base64url, -E2BIG if the result does not fit; buf may be written
 * partially then, so callers that decode key material wipe it either way. */
int base64url_decode_to(const char *s, size_t len, uint8_t *buf, size_t size, size_t *ret_size);

/* As base64url_decode_to() into a malloc()ed buffer of at most max bytes
 * (one spare byte is allocated so an empty result is not NULL). */
int base64url_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_size);

/* The same two over the standard alphabet ('+' and '/'), still without
 * padding: a caller that takes padded text checks and strips the '='
 * first. Equally strict (alphabet, zero low bits of the last character). */
int base64url_decode_std_to(const char *s, size_t len, uint8_t *buf, size_t size,
                            size_t *ret_size);
int base64url_decode_std(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_size);

/* True if len characters of s are strict base64url (empty included). */
bool base64url_is_valid(const char *s, size_t len);

/* True if every character is of the base64url alphabet. For values that
 * are carried encoded and never decoded (a JWE's "aad"), where the
 * exact characters are what is authenticated. */
bool base64url_is_alphabet(const char *s, size_t len);

/* Bytes that len characters decode to, or SIZE_MAX if no strict encoding
 * has that length. */
size_t base64url_decoded_size(size_t len);
