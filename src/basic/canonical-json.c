#include "confnode/basic/canonical-json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/cleanup.h"

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The text being written: in data, or (write set) handed to write() in
 * pieces as it is made. */
typedef struct CanonicalBuf {
        char *data;
        size_t size;
        size_t allocated;
        int (*write)(void *userdata, const void *p, size_t n);
        void *userdata;
} CanonicalBuf;

static int canonical_buf_put(CanonicalBuf *b, const void *p, size_t n) {
        if (b->write)
                return n > 0 ? b->write(b->userdata, p, n) : 0;
        if (n > SIZE_MAX - b->size - 1)
                return -ENOMEM;
        if (b->size + n + 1 > b->allocated) {
                size_t want = b->allocated ? b->allocated : 256;
                char *d;

                while (want < b->size + n + 1) {
                        if (want > SIZE_MAX / 2)
                                return -ENOMEM;
                        want *= 2;
                }
                d = realloc(b->data, want);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->allocated = want;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        b->data[b->size] = 0;
        return 0;
}

/* Room for n more bytes (and the NUL) at once, so a long string grows the
 * buffer one time rather than by doublings as it is written. */
static int canonical_buf_reserve(CanonicalBuf *b, size_t n) {
        size_t want;
        char *d;

        if (b->write)
                return 0;
        if (n > SIZE_MAX - b->size - 1)
                return -ENOMEM;
        if (b->size + n + 1 <= b->allocated)
                return 0;
        want = b->size + n + 1;
        if (want < b->allocated * 2 && b->allocated <= SIZE_MAX / 2)
                want = b->allocated * 2;
        d = realloc(b->data, want);
        if (!d)
                return -ENOMEM;
        b->data = d;
        b->allocated = want;
        return 0;
}

static int canonical_buf_putc(CanonicalBuf *b, char c) {
        return canonical_buf_put(b, &c, 1);
}

/* Decodes one UTF-8 sequence starting at s[*i] (n bytes in all). Strict:
 * no overlong forms, no surrogates, nothing past U+10FFFF, as RFC 8785
 * section 3.2.2.2 requires I-JSON strings to be. */
static int canonical_json_utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *ret) {
        unsigned char c = s[*i];
        uint32_t cp, min;
        size_t len;

        if (c < 0x80) {
                *ret = c;
                (*i)++;
                return 0;
        }
        if ((c & 0xe0) == 0xc0) {
                len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
                len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
                len = 4, cp = c & 0x07, min = 0x10000;
        } else
                return -EBADMSG;
        if (len > n - *i)
                return -EBADMSG;
        for (size_t k = 1; k < len; k++) {
                unsigned char cc = s[*i + k];

                if ((cc & 0xc0) != 0x80)
                        return -EBADMSG;
                cp = (cp << 6) | (cc & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return -EBADMSG;
        *i += len;
        *ret = cp;
        return 0;
}

/* Compares two member names by UTF-16 code units (RFC 8785 section
 * 3.2.3). Byte order of UTF-8 equals code point order, which differs from
 * UTF-16 order only between U+E000..U+FFFF and the supplementary planes. */
static int canonical_json_key_cmp(const char *a, size_t an, const char *b, size_t bn) {
        const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
        size_t i = 0, j = 0;

        while (i < an && j < bn) {
                uint32_t ca, cb;
                uint16_t ua, ub;

                /* Names were validated before sorting. */
                if (canonical_json_utf8_next(x, an, &i, &ca) < 0 ||
                    canonical_json_utf8_next(y, bn, &j, &cb) < 0)
                        return 0;
                if (ca == cb)
                        continue;
                ua = ca >= 0x10000 ? (uint16_t)(0xd800 + ((ca - 0x10000) >> 10)) : (uint16_t)ca;
                ub = cb >= 0x10000 ? (uint16_t)(0xd800 + ((cb - 0x10000) >> 10)) : (uint16_t)cb;
                if (ua != ub)
                        return ua < ub ? -1 : 1;
                /* Same high surrogate: the low surrogates order as the code points. */
                return ca < cb ? -1 : 1;
        }
        if (i < an)
                return 1;
        if (j < bn)
                return -1;
        return 0;
}

/* The end of the run from i of bytes written as they are without a look
 * at UTF-8: printable ASCII other than '"' and '\\'. Eight bytes at a
 * time while no byte of the word is '"', '\\', below 0x20 or from 0x80
 * (each test exact as a yes/no for the word); a 60 KB string of JSON in
 * the KBS runtime data is mostly such runs. */
static size_t canonical_json_plain_run(const unsigned char *u, size_t i, size_t n) {
        const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);

#if defined(__x86_64__) && defined(__SSE2__)
        /* Sixteen bytes a step with SSE2, which every x86-64 has: a byte
         * stops the run if it is '"', '\\', below 0x20 (min(x, 0x1f) == x)
         * or from 0x80 (its top bit). */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                      ctl = _mm_set1_epi8(0x1f);

        while (n - i >= 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
                __m128i m = _mm_or_si128(
                        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                        _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v), v));
                unsigned bits = (unsigned)_mm_movemask_epi8(m);

                if (bits)
                        return i + (size_t)__builtin_ctz(bits);
                i += 16;
        }
#endif
        while (n - i >= 8) {
                uint64_t v, q, bs;

                memcpy(&v, u + i, sizeof(v));
                q = v ^ (ones * '"');
                bs = v ^ (ones * '\\');
                if ((((q - ones) & ~q) | ((bs - ones) & ~bs) | ((v - ones * 0x20) & ~v) | v) &
                    highs)
                        break;
                i += 8;
        }
        while (i < n && u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' && u[i] != '\\')
                i++;
        return i;
}

static int canonical_json_string(CanonicalBuf *b, const char *s, size_t n) {
        static const char hexd[] = "0123456789abcdef";
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0;
        int r;

        if ((r = canonical_buf_reserve(b, n + 2)) < 0 || (r = canonical_buf_putc(b, '"')) < 0)
                return r;
        while (i < n) {
                size_t start = i;
                uint32_t cp;
                char esc[7];

                /* A run of characters written as they are (printable ASCII
                 * other than '"' and '\\', and valid UTF-8 sequences), copied
                 * at once. */
                for (;;) {
                        i = canonical_json_plain_run(u, i, n);
                        if (i >= n || u[i] < 0x80)
                                break;
                        r = canonical_json_utf8_next(u, n, &i, &cp);
                        if (r < 0)
                                return r;
                }
                if (i > start && (r = canonical_buf_put(b, s + start, i - start)) < 0)
                        return r;
                if (i >= n)
                        break;
                /* One ASCII character that needs an escape. */
                cp = u[i++];
                switch (cp) {
                case '"':
                        r = canonical_buf_put(b, "\\\"", 2);
                        break;
                case '\\':
                        r = canonical_buf_put(b, "\\\\", 2);
                        break;
                case '\b':
                        r = canonical_buf_put(b, "\\b", 2);
                        break;
                case '\f':
                        r = canonical_buf_put(b, "\\f", 2);
                        break;
                case '\n':
                        r = canonical_buf_put(b, "\\n", 2);
                        break;
                case '\r':
                        r = canonical_buf_put(b, "\\r", 2);
                        break;
                case '\t':
                        r = canonical_buf_put(b, "\\t", 2);
                        break;
                default:
                        memcpy(esc, "\\u00", 4);
                        esc[4] = hexd[cp >> 4];
                        esc[5] = hexd[cp & 15];
                        r = canonical_buf_put(b, esc, 6);
                }
                if (r < 0)
                        return r;
        }
        return canonical_buf_putc(b, '"');
}

int canonical_json_number(double d, char buf[static 32]) {
        char tmp[40], digits[20], *e;
        int k = 0, n, exp10;

        if (isnan(d) || isinf(d))
                return -EDOM;
        if (d == 0) {
                /* Negative zero prints as "0" in ECMAScript. */
                strcpy(buf, "0");
                return 0;
        }
        /* The shortest precision whose correctly rounded decimal reads back
         * as the same double is ECMAScript's k; at that precision printf's
         * rounding picks the closest candidate, as the specification asks. */
        for (int p = 1; p <= 17; p++) {
                snprintf(tmp, sizeof(tmp), "%.*e", p - 1, fabs(d));
                if (strtod(tmp, NULL) == fabs(d))
                        break;
        }
        e = strchr(tmp, 'e');
        if (!e)
                return -EDOM;
        exp10 = atoi(e + 1);
        for (char *p = tmp; p < e; p++)
                if (*p >= '0' && *p <= '9')
                        digits[k++] = *p;
        while (k > 1 && digits[k - 1] == '0')
                k--;
        digits[k] = 0;
        n = exp10 + 1;

        char *o = buf;
        if (d < 0)
                *o++ = '-';
        if (k <= n && n <= 21) {
                memcpy(o, digits, (size_t)k);
                o += k;
                for (int i = 0; i < n - k; i++)
                        *o++ = '0';
        } else if (0 < n && n <= 21) {
                memcpy(o, digits, (size_t)n);
                o += n;
                *o++ = '.';
                memcpy(o, digits + n, (size_t)(k - n));
                o += k - n;
        } else if (-6 < n && n <= 0) {
                *o++ = '0';
                *o++ = '.';
                for (int i = 0; i < -n; i++)
                        *o++ = '0';
                memcpy(o, digits, (size_t)k);
                o += k;
        } else {
                *o++ = digits[0];
                if (k > 1) {
                        *o++ = '.';
                        memcpy(o, digits + 1, (size_t)(k - 1));
                        o += k - 1;
                }
                o += sprintf(o, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
        }
        *o = 0;
        return 0;
}

/* json-c keeps integers as int64 or uint64; ECMAScript sees every number
 * as a double, so an integer beyond 2^53 prints as its nearest double. */
static int canonical_json_int(CanonicalBuf *b, json_object *v) {
        int64_t i = json_object_get_int64(v);
        char buf[32];
        int r;

        if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
                uint64_t u = json_object_get_uint64(v);

                if (u <= (UINT64_C(1) << 53))
                        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u);
                else if ((r = canonical_json_number((double)u, buf)) < 0)
                        return r;
        } else if (i >= -(INT64_C(1) << 53) && i <= (INT64_C(1) << 53))
                snprintf(buf, sizeof(buf), "%lld", (long long)i);
        else if ((r = canonical_json_number((double)i, buf)) < 0)
                return r;
        return canonical_buf_put(b, buf, strlen(buf));
}

typedef struct CanonicalMember {
        const char *name;
        size_t len;
        json_object *value;
} CanonicalMember;

static int canonical_json_member_cmp(const void *a, const void *b) {
        const CanonicalMember *x = a, *y = b;

        return canonical_json_key_cmp(x->name, x->len, y->name, y->len);
}

static int canonical_json_value(CanonicalBuf *b, json_object *v, unsigned depth);

static int canonical_json_object(CanonicalBuf *b, json_object *v, unsigned depth) {
        _cleanup_free_ CanonicalMember *m = NULL;
        size_t n = (size_t)json_object_object_length(v), k = 0;
        int r;

        if (n > 0) {
                m = calloc(n, sizeof(*m));
                if (!m)
                        return -ENOMEM;
        }
        json_object_object_foreach(v, name, value) {
                size_t len = strlen(name), i = 0;
                uint32_t cp;

                if (k >= n)
                        return -EBADMSG;
                while (i < len)
                        if ((r = canonical_json_utf8_next((const unsigned char *)name, len, &i,
                                                          &cp)) < 0)
                                return r;
                m[k++] = (CanonicalMember){.name = name, .len = len, .value = value};
        }
        if (k > 0)
                qsort(m, k, sizeof(*m), canonical_json_member_cmp);
        if ((r = canonical_buf_putc(b, '{')) < 0)
                return r;
        for (size_t i = 0; i < k; i++) {
                if (i > 0 && (r = canonical_buf_putc(b, ',')) < 0)
                        return r;
                if ((r = canonical_json_string(b, m[i].name, m[i].len)) < 0 ||
                    (r = canonical_buf_putc(b, ':')) < 0 ||
                    (r = canonical_json_value(b, m[i].value, depth + 1)) < 0)
                        return r;
        }
        return canonical_buf_putc(b, '}');
}

static int canonical_json_value(CanonicalBuf *b, json_object *v, unsigned depth) {
        char buf[32];
        int r;

        if (depth > CANONICAL_JSON_MAX_DEPTH)
                return -ELOOP;
        switch (json_object_get_type(v)) {
        case json_type_null:
                return canonical_buf_put(b, "null", 4);
        case json_type_boolean:
                return json_object_get_boolean(v) ? canonical_buf_put(b, "true", 4)
                                                  : canonical_buf_put(b, "false", 5);
        case json_type_int:
                return canonical_json_int(b, v);
        case json_type_double:
                r = canonical_json_number(json_object_get_double(v), buf);
                if (r < 0)
                        return r;
                return canonical_buf_put(b, buf, strlen(buf));
        case json_type_string:
                return canonical_json_string(b, json_object_get_string(v),
                                             (size_t)json_object_get_string_len(v));
        case json_type_array: {
                size_t n = json_object_array_length(v);

                if ((r = canonical_buf_putc(b, '[')) < 0)
                        return r;
                for (size_t i = 0; i < n; i++) {
                        if (i > 0 && (r = canonical_buf_putc(b, ',')) < 0)
                                return r;
                        if ((r = canonical_json_value(b, json_object_array_get_idx(v, i),
                                                      depth + 1)) < 0)
                                return r;
                }
                return canonical_buf_putc(b, ']');
        }
        case json_type_object:
                return canonical_json_object(b, v, depth);
        }
        return -EBADMSG;
}

int canonical_json(json_object *value, char **ret, size_t *ret_size) {
        CanonicalBuf b = {0};
        int r;

        r = canonical_json_value(&b, value, 0);
        if (r < 0) {
                free(b.data);
                return r;
        }
        *ret = b.data;
        if (ret_size)
                *ret_size = b.size;
        return 0;
}

int canonical_json_string_write(const char *s, size_t n,
                                int (*write)(void *userdata, const void *p, size_t size),
                                void *userdata) {
        CanonicalBuf b = {.write = write, .userdata = userdata};

        if (!write || (n > 0 && !s))
                return -EINVAL;
        return canonical_json_string(&b, s, n);
}
