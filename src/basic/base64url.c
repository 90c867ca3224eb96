#include "confnode/basic/base64url.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static const char base64url_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char base64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64url_encoded_size(size_t n) {
        return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t base64url_decoded_size(size_t len) {
        /* One character left over carries only 6 bits: never a whole byte. */
        if (len % 4 == 1)
                return SIZE_MAX;
        return len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
}

static char *base64url_encode_with(const char *alphabet, bool pad, const void *data, size_t n) {
        const uint8_t *p = data;
        size_t len, o = 0, i;
        char *s;

        if (n > (SIZE_MAX - 8) / 4 * 3)
                return NULL;
        len = pad ? (n + 2) / 3 * 4 : base64url_encoded_size(n);
        s = malloc(len + 1);
        if (!s)
                return NULL;
        for (i = 0; i + 3 <= n; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

                s[o++] = alphabet[v >> 18];
                s[o++] = alphabet[(v >> 12) & 63];
                s[o++] = alphabet[(v >> 6) & 63];
                s[o++] = alphabet[v & 63];
        }
        if (n - i == 1) {
                s[o++] = alphabet[p[i] >> 2];
                s[o++] = alphabet[(p[i] & 3) << 4];
                if (pad) {
                        s[o++] = '=';
                        s[o++] = '=';
                }
        } else if (n - i == 2) {
                uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

                s[o++] = alphabet[v >> 10];
                s[o++] = alphabet[(v >> 4) & 63];
                s[o++] = alphabet[(v & 15) << 2];
                if (pad)
                        s[o++] = '=';
        }
        s[o] = 0;
        return s;
}

char *base64url_encode(const void *data, size_t n) {
        return base64url_encode_with(base64url_alphabet, false, data, n);
}

char *base64url_encode_std(const void *data, size_t n) {
        return base64url_encode_with(base64_alphabet, true, data, n);
}

static int base64url_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

bool base64url_is_alphabet(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (base64url_value(s[i]) < 0)
                        return false;
        return true;
}

bool base64url_is_valid(const char *s, size_t len) {
        uint32_t last;

        if (base64url_decoded_size(len) == SIZE_MAX || (len > 0 && !s))
                return false;
        for (size_t i = 0; i < len; i++)
                if (base64url_value(s[i]) < 0)
                        return false;
        if (len % 4 == 0)
                return true;
        /* The last character's low bits beyond the final byte must be zero:
         * 4 of them after 2 characters, 2 after 3. */
        last = (uint32_t)base64url_value(s[len - 1]);
        return (last & (len % 4 == 2 ? 15u : 3u)) == 0;
}

int base64url_decode_to(const char *s, size_t len, uint8_t *buf, size_t size, size_t *ret_size) {
        size_t need = base64url_decoded_size(len), o = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        if (need == SIZE_MAX || (len > 0 && !s))
                return -EBADMSG;
        if (need > size)
                return -E2BIG;
        for (size_t i = 0; i < len; i++) {
                int v = base64url_value(s[i]);

                if (v < 0)
                        return -EBADMSG;
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        buf[o++] = (uint8_t)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        /* Leftover bits that a canonical encoder writes as zero. */
        if (acc != 0)
                return -EBADMSG;
        *ret_size = o;
        return 0;
}

int base64url_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_size) {
        size_t need = base64url_decoded_size(len), n;
        uint8_t *buf;
        int r;

        if (need == SIZE_MAX)
                return -EBADMSG;
        if (need > max)
                return -E2BIG;
        buf = malloc(need + 1);
        if (!buf)
                return -ENOMEM;
        r = base64url_decode_to(s, len, buf, need, &n);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}
