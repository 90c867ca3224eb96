#include "confnode/basic/reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void reader_init(Reader *r, const void *data, size_t size, ParseError *err) {
        *r = (Reader){ .p = data, .left = data ? size : 0, .offset = 0, .err = err };
        if (err)
                *err = (ParseError){ 0 };
}

static int reader_short(Reader *r, size_t n) {
        if (r->err && !r->err->set) {
                r->err->set = true;
                r->err->offset = r->offset;
                r->err->field = NULL;
                snprintf(r->err->what, sizeof(r->err->what), "truncated (needs %zu bytes, %zu left)",
                         n, r->left);
        }
        return -EBADMSG;
}

int reader_fail(Reader *r, const char *field, const char *fmt, ...) {
        if (r->err && !r->err->set) {
                va_list ap;

                r->err->set = true;
                r->err->offset = r->offset;
                r->err->field = field;
                va_start(ap, fmt);
                vsnprintf(r->err->what, sizeof(r->err->what), fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

int reader_field(Reader *rd, int r, const char *field) {
        if (r < 0 && rd->err && rd->err->set && !rd->err->field)
                rd->err->field = field;
        return r;
}

int reader_peek(const Reader *r, size_t n, const uint8_t **ret) {
        if (n > r->left)
                return reader_short((Reader *) r, n);
        *ret = r->p;
        return 0;
}

int reader_bytes(Reader *r, size_t n, const uint8_t **ret) {
        if (n > r->left)
                return reader_short(r, n);
        *ret = r->p;
        r->p += n;
        r->left -= n;
        r->offset += n;
        return 0;
}

int reader_copy(Reader *r, void *dst, size_t n) {
        const uint8_t *p;
        int k = reader_bytes(r, n, &p);
        if (k < 0)
                return k;
        if (n > 0)
                memcpy(dst, p, n);
        return 0;
}

int reader_skip(Reader *r, size_t n) {
        const uint8_t *p;
        return reader_bytes(r, n, &p);
}

int reader_sub(Reader *r, size_t n, Reader *ret) {
        size_t off = r->offset;
        const uint8_t *p;
        int k = reader_bytes(r, n, &p);
        if (k < 0)
                return k;
        *ret = (Reader){ .p = p, .left = n, .offset = off, .err = r->err };
        return 0;
}

int reader_tpm2b(Reader *r, Reader *ret) {
        Reader save = *r;
        uint16_t n;
        int k = reader_u16be(r, &n);
        if (k < 0)
                return k;
        k = reader_sub(r, n, ret);
        if (k < 0)
                *r = save;
        return k;
}

void reader_rest(Reader *r, const uint8_t **ret, size_t *ret_size) {
        *ret = r->p;
        *ret_size = r->left;
        r->p += r->left;
        r->offset += r->left;
        r->left = 0;
}

int reader_u8(Reader *r, uint8_t *ret) {
        return reader_copy(r, ret, 1);
}

#define READ_INT(name, type, n, expr)                                                              \
        int name(Reader *r, type *ret) {                                                           \
                const uint8_t *b;                                                                  \
                int k = reader_bytes(r, n, &b);                                                    \
                if (k < 0)                                                                         \
                        return k;                                                                  \
                *ret = (expr);                                                                     \
                return 0;                                                                          \
        }

READ_INT(reader_u16le, uint16_t, 2, (uint16_t)(b[0] | (b[1] << 8)))
READ_INT(reader_u16be, uint16_t, 2, (uint16_t)((b[0] << 8) | b[1]))
READ_INT(reader_u32le, uint32_t, 4,
         (uint32_t) b[0] | ((uint32_t) b[1] << 8) | ((uint32_t) b[2] << 16) | ((uint32_t) b[3] << 24))
READ_INT(reader_u32be, uint32_t, 4,
         (uint32_t) b[3] | ((uint32_t) b[2] << 8) | ((uint32_t) b[1] << 16) | ((uint32_t) b[0] << 24))

int reader_u64le(Reader *r, uint64_t *ret) {
        const uint8_t *b;
        uint64_t v = 0;
        int k = reader_bytes(r, 8, &b);
        if (k < 0)
                return k;
        for (int i = 7; i >= 0; i--)
                v = (v << 8) | b[i];
        *ret = v;
        return 0;
}

int reader_u64be(Reader *r, uint64_t *ret) {
        const uint8_t *b;
        uint64_t v = 0;
        int k = reader_bytes(r, 8, &b);
        if (k < 0)
                return k;
        for (int i = 0; i < 8; i++)
                v = (v << 8) | b[i];
        *ret = v;
        return 0;
}

const char *parse_error_string(const ParseError *e, char *buf, size_t size) {
        if (!e || !e->set)
                snprintf(buf, size, "malformed input");
        else if (e->field)
                snprintf(buf, size, "offset 0x%zx: %s: %s", e->offset, e->field, e->what);
        else
                snprintf(buf, size, "offset 0x%zx: %s", e->offset, e->what);
        return buf;
}

int reader_find(const Reader *r, const void *needle, size_t n, size_t *ret_pos) {
        const uint8_t *hit;

        if (n == 0 || n > r->left)
                return -ENOENT;
        hit = memmem(r->p, r->left, needle, n);
        if (!hit)
                return -ENOENT;
        *ret_pos = (size_t)(hit - r->p);
        return 0;
}

int reader_until(Reader *r, uint8_t delim, const uint8_t **ret, size_t *ret_size) {
        const uint8_t *hit = r->left > 0 ? memchr(r->p, delim, r->left) : NULL;
        size_t n;

        if (!hit)
                return -ENOENT;
        n = (size_t)(hit - r->p);
        *ret = r->p;
        *ret_size = n;
        r->p += n + 1;
        r->left -= n + 1;
        r->offset += n + 1;
        return 0;
}
