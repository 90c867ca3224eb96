#include "http-request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confnode/basic/hex.h"
#include "confnode/basic/reader.h"

/* Strings of the head are copied, NUL-terminated, into one buffer owned by
 * the HttpHead. */
typedef struct Arena {
        char *buf;
        size_t size;
        size_t used;
} Arena;

static const char *arena_put(Arena *a, const uint8_t *p, size_t n) {
        char *s;

        if (n + 1 > a->size - a->used)
                return NULL; /* sized by the caller: cannot happen */
        s = a->buf + a->used;
        if (n > 0)
                memcpy(s, p, n);
        s[n] = '\0';
        a->used += n + 1;
        return s;
}

static int head_fail(HttpHeadError *err, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int head_fail(HttpHeadError *err, unsigned status, const char *fmt, ...) {
        va_list ap;

        if (err) {
                err->status = status;
                va_start(ap, fmt);
                vsnprintf(err->what, sizeof(err->what), fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

/* RFC 9110 5.6.2: tchar. */
static bool is_tchar(uint8_t c) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                return true;
        return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const uint8_t *p, size_t n) {
        Reader rd;
        uint8_t c;

        if (n == 0)
                return false;
        reader_init(&rd, p, n, NULL);
        while (reader_u8(&rd, &c) >= 0)
                if (!is_tchar(c))
                        return false;
        return true;
}

/* A field value: visible characters, obs-text, space and tab. */
static bool is_field_value(const uint8_t *p, size_t n) {
        Reader rd;
        uint8_t c;

        reader_init(&rd, p, n, NULL);
        while (reader_u8(&rd, &c) >= 0)
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return false;
        return true;
}

/* An origin-form target: '/' then visible ASCII. */
static bool is_origin_form(const uint8_t *p, size_t n) {
        Reader rd;
        uint8_t c;

        reader_init(&rd, p, n, NULL);
        if (reader_u8(&rd, &c) < 0 || c != '/')
                return false;
        while (reader_u8(&rd, &c) >= 0)
                if (c <= 0x20 || c >= 0x7f)
                        return false;
        return true;
}

static bool is_ows(uint8_t c) {
        return c == ' ' || c == '\t';
}

/* Cuts optional whitespace off both ends of a span of a Reader. */
static void trim_ows(Reader *rd) {
        const uint8_t *p;
        uint8_t c;

        while (reader_peek(rd, 1, &p) >= 0 && is_ows(p[0]))
                (void)reader_u8(rd, &c);
        /* Trailing: shrink the span from its end. */
        while (reader_left(rd) > 0) {
                Reader probe = *rd;
                const uint8_t *last;

                (void)reader_skip(&probe, reader_left(rd) - 1);
                if (reader_peek(&probe, 1, &last) < 0 || !is_ows(last[0]))
                        break;
                rd->left--;
        }
}

/* One line of the head without its CRLF; a bare LF is refused. */
static int head_line(Reader *rd, Reader *ret, HttpHeadError *err) {
        const uint8_t *line, *cr;
        size_t n;
        Reader lr;

        if (reader_until(rd, '\n', &line, &n) < 0)
                return head_fail(err, 400, "the head does not end with an empty line");
        reader_init(&lr, line, n, NULL);
        lr.offset = reader_offset(rd) - n - 1;
        if (n == 0 || reader_skip(&lr, n - 1) < 0 || reader_peek(&lr, 1, &cr) < 0 || cr[0] != '\r')
                return head_fail(err, 400, "a line of the head ends with a bare LF");
        reader_init(ret, line, n - 1, NULL);
        return 0;
}

static int parse_request_line(Reader *line, Arena *a, HttpHead *h, HttpHeadError *err) {
        const uint8_t *method, *target, *version;
        size_t n_method, n_target, n_version;
        Reader path;
        size_t q;

        if (reader_until(line, ' ', &method, &n_method) < 0 ||
            reader_until(line, ' ', &target, &n_target) < 0)
                return head_fail(err, 400, "the request line is not METHOD SP TARGET SP VERSION");
        reader_rest(line, &version, &n_version);
        if (!is_token(method, n_method))
                return head_fail(err, 400, "the request method is not a token");
        if (!is_origin_form(target, n_target))
                return head_fail(err, 400,
                                 "the request target is not a path starting with '/' of visible "
                                 "ASCII");
        if (n_version != 8 || memcmp(version, "HTTP/1.", 7) != 0) {
                if (n_version == 8 && memcmp(version, "HTTP/", 5) == 0)
                        return head_fail(err, 505, "only HTTP/1.0 and HTTP/1.1 are served");
                return head_fail(err, 400, "the request line does not end with HTTP/1.x");
        }
        if (version[7] != '0' && version[7] != '1')
                return head_fail(err, 505, "only HTTP/1.0 and HTTP/1.1 are served");
        h->minor = (unsigned)(version[7] - '0');
        h->method = arena_put(a, method, n_method);
        h->target = arena_put(a, target, n_target);
        reader_init(&path, target, n_target, NULL);
        if (reader_find(&path, "?", 1, &q) < 0)
                q = n_target;
        h->path = arena_put(a, target, q);
        return 0;
}

/* "a=b; c=d": each pair into h->cookies; pairs without '=' are skipped. */
static int parse_cookies(const char *value, Arena *a, HttpHead *h, HttpHeadError *err) {
        Reader rd;

        reader_init(&rd, value, strlen(value), NULL);
        while (!reader_eof(&rd)) {
                const uint8_t *pair, *name, *v;
                size_t n_pair, n_name, n_v;
                Reader pr;

                if (reader_until(&rd, ';', &pair, &n_pair) < 0)
                        reader_rest(&rd, &pair, &n_pair);
                reader_init(&pr, pair, n_pair, NULL);
                trim_ows(&pr);
                if (reader_until(&pr, '=', &name, &n_name) < 0 || n_name == 0)
                        continue;
                reader_rest(&pr, &v, &n_v);
                if (n_v >= 2 && v[0] == '"' && v[n_v - 1] == '"') {
                        Reader vr;
                        reader_init(&vr, v, n_v, NULL);
                        (void)reader_skip(&vr, 1);
                        (void)reader_bytes(&vr, n_v - 2, &v);
                        n_v -= 2;
                }
                if (h->n_cookies >= HTTP_MAX_COOKIES)
                        return head_fail(err, 431, "more than %u cookies", HTTP_MAX_COOKIES);
                h->cookies[h->n_cookies].name = arena_put(a, name, n_name);
                h->cookies[h->n_cookies].value = arena_put(a, v, n_v);
                h->n_cookies++;
        }
        return 0;
}

static int parse_length(const char *v, uint64_t *ret) {
        uint64_t n = 0;
        size_t i;

        if (!*v)
                return -EINVAL;
        for (i = 0; v[i]; i++) {
                if (v[i] < '0' || v[i] > '9' || i >= 19)
                        return -EINVAL;
                n = n * 10 + (uint64_t)(v[i] - '0');
        }
        *ret = n;
        return 0;
}

/* Does a comma-separated list value hold token (without case)? */
static bool list_has(const char *value, const char *token) {
        Reader rd;

        reader_init(&rd, value, strlen(value), NULL);
        while (!reader_eof(&rd)) {
                const uint8_t *item;
                size_t n;
                Reader ir;

                if (reader_until(&rd, ',', &item, &n) < 0)
                        reader_rest(&rd, &item, &n);
                reader_init(&ir, item, n, NULL);
                trim_ows(&ir);
                reader_rest(&ir, &item, &n);
                if (n == strlen(token) && strncasecmp((const char *)item, token, n) == 0)
                        return true;
        }
        return false;
}

static int apply_field(const HttpField *f, Arena *a, HttpHead *h, HttpHeadError *err) {
        if (strcasecmp(f->name, "Content-Length") == 0) {
                uint64_t n;

                if (parse_length(f->value, &n) < 0)
                        return head_fail(err, 400, "Content-Length is not a decimal number");
                if (h->has_length && n != h->content_length)
                        return head_fail(err, 400, "two Content-Length fields disagree");
                h->has_length = true;
                h->content_length = n;
        } else if (strcasecmp(f->name, "Transfer-Encoding") == 0) {
                if (h->chunked || strcasecmp(f->value, "chunked") != 0)
                        return head_fail(err, 501,
                                         "Transfer-Encoding '%.40s' is not supported (only "
                                         "chunked)",
                                         f->value);
                h->chunked = true;
        } else if (strcasecmp(f->name, "Expect") == 0) {
                if (strcasecmp(f->value, "100-continue") != 0)
                        return head_fail(err, 417, "Expect '%.40s' is not supported", f->value);
                h->expect_continue = true;
        } else if (strcasecmp(f->name, "Connection") == 0) {
                if (list_has(f->value, "close"))
                        h->keep_alive = false;
                else if (list_has(f->value, "keep-alive"))
                        h->keep_alive = true;
        } else if (strcasecmp(f->name, "Cookie") == 0)
                return parse_cookies(f->value, a, h, err);
        return 0;
}

int http_head_parse(const uint8_t *data, size_t size, HttpHead *ret, HttpHeadError *err) {
        HttpHead h = {};
        Arena a = {};
        Reader rd, line;
        bool host = false;
        int r;

        *ret = (HttpHead){};
        if (size > HTTP_HEAD_MAX)
                return head_fail(err, 431, "the request head is over %u bytes", HTTP_HEAD_MAX);
        /* The head's own strings fit in size + 1; the cookies are copied
         * once more. */
        a.size = 2 * size + 16;
        a.buf = malloc(a.size);
        if (!a.buf)
                return -ENOMEM;
        h.buf = a.buf;
        h.buf_size = a.size;

        reader_init(&rd, data, size, NULL);
        r = head_line(&rd, &line, err);
        if (r >= 0)
                r = parse_request_line(&line, &a, &h, err);
        if (r < 0)
                goto fail;
        h.keep_alive = h.minor >= 1;
        for (;;) {
                const uint8_t *name, *value, *first;
                size_t n_name, n_value;
                HttpField *f;

                r = head_line(&rd, &line, err);
                if (r < 0)
                        goto fail;
                if (reader_eof(&line))
                        break;
                if (reader_peek(&line, 1, &first) >= 0 && is_ows(first[0])) {
                        r = head_fail(err, 400, "obsolete line folding in the head");
                        goto fail;
                }
                if (reader_until(&line, ':', &name, &n_name) < 0 || !is_token(name, n_name)) {
                        r = head_fail(err, 400, "a header line is not NAME: VALUE");
                        goto fail;
                }
                trim_ows(&line);
                reader_rest(&line, &value, &n_value);
                if (!is_field_value(value, n_value)) {
                        r = head_fail(err, 400, "a header value holds a control character");
                        goto fail;
                }
                if (h.n_fields >= HTTP_MAX_FIELDS) {
                        r = head_fail(err, 431, "more than %u header fields", HTTP_MAX_FIELDS);
                        goto fail;
                }
                f = &h.fields[h.n_fields++];
                f->name = arena_put(&a, name, n_name);
                f->value = arena_put(&a, value, n_value);
                if (strcasecmp(f->name, "Host") == 0)
                        host = true;
                r = apply_field(f, &a, &h, err);
                if (r < 0)
                        goto fail;
        }
        if (!reader_eof(&rd)) {
                r = head_fail(err, 400, "bytes after the end of the head");
                goto fail;
        }
        if (h.has_length && h.chunked) {
                r = head_fail(err, 400, "both Content-Length and Transfer-Encoding");
                goto fail;
        }
        if (h.minor >= 1 && !host) {
                r = head_fail(err, 400, "an HTTP/1.1 request without Host");
                goto fail;
        }
        *ret = h;
        return 0;
fail:
        free(a.buf);
        return r;
}

void http_head_done(HttpHead *h) {
        if (!h)
                return;
        if (h->buf) {
                /* Cookies and the Authorization field are credentials. */
                explicit_bzero(h->buf, h->buf_size);
                free(h->buf);
        }
        *h = (HttpHead){};
}

const char *http_head_field(const HttpHead *h, const char *name) {
        for (size_t i = 0; i < h->n_fields; i++)
                if (strcasecmp(h->fields[i].name, name) == 0)
                        return h->fields[i].value;
        return NULL;
}

const char *http_head_cookie(const HttpHead *h, const char *name) {
        for (size_t i = 0; i < h->n_cookies; i++)
                if (strcmp(h->cookies[i].name, name) == 0)
                        return h->cookies[i].value;
        return NULL;
}

/* ---- chunked bodies ---- */

#define CHUNK_LINE_MAX 1024u      /* a size line with its extensions */
#define CHUNK_TRAILER_MAX (8u * 1024)

static int chunk_fail(char *err, size_t err_size, const char *what) {
        if (err && err_size)
                snprintf(err, err_size, "%s", what);
        return -EBADMSG;
}

/* "1a2b[;ext...]\r": the size, extensions ignored. */
static int chunk_size(const uint8_t *line, size_t n, uint64_t *ret) {
        Reader rd;
        uint64_t v = 0;
        size_t digits = 0;
        uint8_t c;

        reader_init(&rd, line, n, NULL);
        while (reader_u8(&rd, &c) >= 0) {
                int d = hex_digit_value((char)c);

                if (d < 0) {
                        if (digits == 0 || (c != ';' && c != '\r' && !is_ows(c)))
                                return -EBADMSG;
                        break;
                }
                if (++digits > 15)
                        return -EBADMSG;
                v = v * 16 + (uint64_t)d;
        }
        if (digits == 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int http_chunked_feed(HttpChunked *c, const uint8_t *in, size_t n, HttpChunkSink sink,
                      void *userdata, size_t *ret_consumed, char *err, size_t err_size) {
        Reader rd;
        int r;

        reader_init(&rd, in, n, NULL);
        *ret_consumed = 0;
        for (;;) {
                const uint8_t *line, *data;
                size_t len;

                switch (c->state) {
                case HTTP_CHUNK_SIZE:
                        if (reader_until(&rd, '\n', &line, &len) < 0) {
                                if (reader_left(&rd) > CHUNK_LINE_MAX)
                                        return chunk_fail(err, err_size,
                                                          "a chunk size line is too long");
                                goto more;
                        }
                        if (len > CHUNK_LINE_MAX)
                                return chunk_fail(err, err_size, "a chunk size line is too long");
                        if (len == 0 || line[len - 1] != '\r')
                                return chunk_fail(err, err_size,
                                                  "a chunk size line ends with a bare LF");
                        if (chunk_size(line, len, &c->left) < 0)
                                return chunk_fail(err, err_size,
                                                  "a chunk does not start with a hex size");
                        c->state = c->left ? HTTP_CHUNK_DATA : HTTP_CHUNK_TRAILER;
                        break;
                case HTTP_CHUNK_DATA:
                        len = reader_left(&rd) < c->left ? reader_left(&rd) : (size_t)c->left;
                        if (len == 0)
                                goto more;
                        (void)reader_peek(&rd, len, &data);
                        if (sink) {
                                /* Refused data stays unconsumed: the caller
                                 * may feed it again (to drop it). */
                                r = sink(userdata, data, len);
                                if (r < 0) {
                                        *ret_consumed = reader_offset(&rd);
                                        return r;
                                }
                        }
                        (void)reader_skip(&rd, len);
                        c->left -= len;
                        c->total += len;
                        if (c->left == 0)
                                c->state = HTTP_CHUNK_DATA_END;
                        break;
                case HTTP_CHUNK_DATA_END:
                        if (reader_left(&rd) < 2)
                                goto more;
                        (void)reader_bytes(&rd, 2, &data);
                        if (data[0] != '\r' || data[1] != '\n')
                                return chunk_fail(err, err_size,
                                                  "a chunk's data is not followed by CRLF");
                        c->state = HTTP_CHUNK_SIZE;
                        break;
                case HTTP_CHUNK_TRAILER:
                        if (reader_until(&rd, '\n', &line, &len) < 0) {
                                if (c->trailer + reader_left(&rd) > CHUNK_TRAILER_MAX)
                                        return chunk_fail(err, err_size,
                                                          "the chunked trailer is too long");
                                goto more;
                        }
                        c->trailer += len + 1;
                        if (c->trailer > CHUNK_TRAILER_MAX)
                                return chunk_fail(err, err_size, "the chunked trailer is too long");
                        if (len == 1 && line[0] == '\r') {
                                c->state = HTTP_CHUNK_DONE;
                                *ret_consumed = reader_offset(&rd);
                                return 1;
                        }
                        if (len == 0 || line[len - 1] != '\r')
                                return chunk_fail(err, err_size,
                                                  "a trailer line ends with a bare LF");
                        break;
                case HTTP_CHUNK_DONE:
                        *ret_consumed = reader_offset(&rd);
                        return 1;
                }
        }
more:
        *ret_consumed = reader_offset(&rd);
        return 0;
}
