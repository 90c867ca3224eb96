#pragma once

/* The one bounds-checked cursor through which all untrusted bytes are read.
 * Pointer arithmetic on input lives only in reader.c. A read that would step
 * past the end fails with -EBADMSG and leaves the cursor where it was. When a
 * ParseError is attached, the first failure records its absolute byte offset,
 * the field being read (if the parser names it) and what was wrong, so a
 * malformed input gets an error like
 *   "offset 0x1a4: event_size: truncated (needs 4 bytes, 2 left)". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"

typedef struct ParseError {
        size_t offset;
        const char *field; /* static string, or NULL */
        char what[160];
        bool set;
} ParseError;

typedef struct Reader {
        const uint8_t *p;
        size_t left;
        size_t offset; /* absolute offset of p from the start of the outermost input */
        ParseError *err;
} Reader;

void reader_init(Reader *r, const void *data, size_t size, ParseError *err);

static inline size_t reader_left(const Reader *r) {
        return r->left;
}
static inline size_t reader_offset(const Reader *r) {
        return r->offset;
}
static inline bool reader_eof(const Reader *r) {
        return r->left == 0;
}

int reader_u8(Reader *r, uint8_t *ret);
int reader_u16le(Reader *r, uint16_t *ret);
int reader_u32le(Reader *r, uint32_t *ret);
int reader_u64le(Reader *r, uint64_t *ret);
int reader_u16be(Reader *r, uint16_t *ret);
int reader_u32be(Reader *r, uint32_t *ret);
int reader_u64be(Reader *r, uint64_t *ret);

/* Returns a pointer into the input; -EBADMSG if n > left. */
int reader_bytes(Reader *r, size_t n, const uint8_t **ret);
/* Copies n bytes out; -EBADMSG if n > left. */
int reader_copy(Reader *r, void *dst, size_t n);
int reader_skip(Reader *r, size_t n);
/* Peeks without consuming. */
int reader_peek(const Reader *r, size_t n, const uint8_t **ret);
/* Splits off the next n bytes as a nested reader (length-prefixed structures). */
int reader_sub(Reader *r, size_t n, Reader *ret);
/* TPM2B: a big-endian u16 size, then that many bytes, as a nested reader. */
int reader_tpm2b(Reader *r, Reader *ret);
/* The rest of the input as one span. */
void reader_rest(Reader *r, const uint8_t **ret, size_t *ret_size);

/* Records a parse failure at the cursor (first one wins) and returns -EBADMSG. */
int reader_fail(Reader *r, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Names the field of a failure a read already recorded; returns r unchanged. */
int reader_field(Reader *rd, int r, const char *field);

/* Formats a ParseError as "offset 0x…: field: what". */
const char *parse_error_string(const ParseError *e, char *buf, size_t size);

/* Where the next occurrence of needle (n >= 1 bytes) starts, counted from
 * the cursor, without consuming; -ENOENT (nothing recorded) if it is not
 * in what is left. For protocols whose units end with a delimiter. */
int reader_find(const Reader *r, const void *needle, size_t n, size_t *ret_pos);
/* The bytes up to the next delim byte; consumes them and the delimiter.
 * -ENOENT (cursor unmoved, nothing recorded) if no delim is left. */
int reader_until(Reader *r, uint8_t delim, const uint8_t **ret, size_t *ret_size);
