#pragma once

/* HTTP/1.1 requests as the verifier's HTTPS front reads them (RFC 9112):
 * the request head (request line, header fields, cookies) and chunked
 * request bodies. Pure parsing over the bounded cursor, no I/O, so it is
 * fuzzed on its own (fuzz/fuzz-http-request.c).
 *
 * What is refused, with the status the server answers:
 *   400  a request line or field that is not HTTP/1.x syntax, obsolete
 *        line folding, a bare CR or LF, NUL or other controls, a
 *        Content-Length that is not a number or appears twice with two
 *        values, Content-Length together with Transfer-Encoding (request
 *        smuggling), a target that is not origin-form ("/...");
 *   431  a head over HTTP_HEAD_MAX bytes or with over HTTP_MAX_FIELDS fields;
 *   501  a Transfer-Encoding other than "chunked";
 *   505  an HTTP version other than 1.0 and 1.1. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX (16u * 1024)
#define HTTP_MAX_FIELDS 64u
#define HTTP_MAX_COOKIES 32u

typedef struct HttpField {
        const char *name; /* as sent; compare without case */
        const char *value; /* leading and trailing whitespace removed */
} HttpField;

typedef struct HttpHead {
        char *buf; /* owned: the head with NULs written in */
        size_t buf_size;
        const char *method;
        const char *target; /* as sent */
        const char *path;   /* the target up to '?' */
        unsigned minor;     /* HTTP/1.<minor> */
        HttpField fields[HTTP_MAX_FIELDS];
        size_t n_fields;
        HttpField cookies[HTTP_MAX_COOKIES]; /* from every Cookie field */
        size_t n_cookies;
        bool has_length;
        uint64_t content_length;
        bool chunked;
        bool expect_continue; /* "Expect: 100-continue" */
        bool keep_alive;      /* false: close after the answer */
} HttpHead;

typedef struct HttpHeadError {
        unsigned status; /* 400, 431, 501, 505 */
        char what[160];
} HttpHeadError;

/* Parses a complete head: data[0..size) ends with the blank line
 * ("\r\n\r\n"). On failure ret is left empty and err says why. */
int http_head_parse(const uint8_t *data, size_t size, HttpHead *ret, HttpHeadError *err);
void http_head_done(HttpHead *h);

/* The value of the first field named name (case-insensitive), or NULL. */
const char *http_head_field(const HttpHead *h, const char *name);
/* The value of the first cookie named name (case-sensitive), or NULL. */
const char *http_head_cookie(const HttpHead *h, const char *name);

/* A chunked body decoder that can be fed a body in any pieces. */
typedef enum HttpChunkedState {
        HTTP_CHUNK_SIZE,
        HTTP_CHUNK_DATA,
        HTTP_CHUNK_DATA_END,
        HTTP_CHUNK_TRAILER,
        HTTP_CHUNK_DONE,
} HttpChunkedState;

typedef struct HttpChunked {
        HttpChunkedState state;
        uint64_t left;     /* of the current chunk's data */
        uint64_t total;    /* data bytes decoded so far */
        size_t trailer;    /* trailer bytes so far */
} HttpChunked;

/* Decodes what it can of in[0..n): sets *ret_consumed to the input bytes
 * used (a size line or trailer line split across feeds is left for the
 * next feed, whole) and calls sink for each run of data bytes (sink may be
 * NULL: the data is counted and dropped). Returns 1 when the last chunk and
 * the trailer are done, 0 when it needs more input, -EBADMSG on a malformed
 * body (err says why), or sink's negative return. */
typedef int (*HttpChunkSink)(void *userdata, const uint8_t *data, size_t n);
int http_chunked_feed(HttpChunked *c, const uint8_t *in, size_t n, HttpChunkSink sink,
                      void *userdata, size_t *ret_consumed, char *err, size_t err_size);
