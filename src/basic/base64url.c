#include "confnode/basic/base64url.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

/* Writes the encoding of n bytes at s and returns the characters written. */
static size_t base64url_write(const char *alphabet, bool pad, const void *data, size_t n, char *s) {
        const uint8_t *p = data;
        size_t o = 0, i;

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
        return o;
}

static char *base64url_encode_with(const char *alphabet, bool pad, const void *data, size_t n) {
        size_t len;
        char *s;

        if (n > (SIZE_MAX - 8) / 4 * 3)
                return NULL;
        len = pad ? (n + 2) / 3 * 4 : base64url_encoded_size(n);
        s = malloc(len + 1);
        if (!s)
                return NULL;
        s[base64url_write(alphabet, pad, data, n, s)] = 0;
        return s;
}

size_t base64url_encode_to(const void *data, size_t n, char *buf) {
        return base64url_write(base64url_alphabet, false, data, n, buf);
}

char *base64url_encode(const void *data, size_t n) {
        return base64url_encode_with(base64url_alphabet, false, data, n);
}

char *base64url_encode_std(const void *data, size_t n) {
        return base64url_encode_with(base64_alphabet, true, data, n);
}

/* Each character's 6-bit value plus one, or 0 outside the base64url
 * alphabet: one table load per character instead of a chain of range
 * tests. */
static const uint8_t base64url_values[256] = {
        ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
        ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
        ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
        ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
        ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
        ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
        ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
        ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
        ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

static int base64url_value(char c) {
        return (int)base64url_values[(unsigned char)c] - 1;
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

/* The same for the standard alphabet: '+' and '/' in place of '-' and
 * '_'. */
static const uint8_t base64_std_values[256] = {
        ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
        ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
        ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
        ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
        ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
        ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
        ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
        ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
        ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/* The four characters of a group, each at its place in the 24-bit
 * value: table k holds the 6-bit value shifted left by 18 - 6k, or
 * BASE64_BAD for a character outside the alphabet, so a group is four
 * loads and three ORs, and one test after the loop checks the lot. Built
 * at compile time from the two alphabets. */
#define BASE64_BAD UINT32_C(0x80000000)
#define BASE64_VAL(c, c62, c63)                                                                    \
        ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                                    \
         : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                               \
         : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                               \
         : (c) == (c62)             ? 62                                                           \
         : (c) == (c63)             ? 63                                                           \
                                    : -1)
#define BASE64_ENT(c, sh, c62, c63)                                                                \
        (BASE64_VAL(c, c62, c63) < 0 ? BASE64_BAD : (uint32_t)BASE64_VAL(c, c62, c63) << (sh))
#define BASE64_R4(i, sh, a, b)                                                                     \
        BASE64_ENT((i), sh, a, b), BASE64_ENT((i) + 1, sh, a, b), BASE64_ENT((i) + 2, sh, a, b),   \
                BASE64_ENT((i) + 3, sh, a, b)
#define BASE64_R16(i, sh, a, b)                                                                    \
        BASE64_R4(i, sh, a, b), BASE64_R4((i) + 4, sh, a, b), BASE64_R4((i) + 8, sh, a, b),        \
                BASE64_R4((i) + 12, sh, a, b)
#define BASE64_R64(i, sh, a, b)                                                                    \
        BASE64_R16(i, sh, a, b), BASE64_R16((i) + 16, sh, a, b), BASE64_R16((i) + 32, sh, a, b),   \
                BASE64_R16((i) + 48, sh, a, b)
#define BASE64_TABLE(sh, a, b)                                                                     \
        {                                                                                          \
                BASE64_R64(0, sh, a, b), BASE64_R64(64, sh, a, b), BASE64_R64(128, sh, a, b),      \
                        BASE64_R64(192, sh, a, b)                                                  \
        }

static const uint32_t base64url_group[4][256] = {
        BASE64_TABLE(18, '-', '_'),
        BASE64_TABLE(12, '-', '_'),
        BASE64_TABLE(6, '-', '_'),
        BASE64_TABLE(0, '-', '_'),
};
static const uint32_t base64_std_group[4][256] = {
        BASE64_TABLE(18, '+', '/'),
        BASE64_TABLE(12, '+', '/'),
        BASE64_TABLE(6, '+', '/'),
        BASE64_TABLE(0, '+', '/'),
};

static uint32_t base64_group(const uint32_t g[static 4][256], const char *s) {
        return g[0][(unsigned char)s[0]] | g[1][(unsigned char)s[1]] | g[2][(unsigned char)s[2]] |
               g[3][(unsigned char)s[3]];
}

static int base64url_decode_with(const uint8_t values[static 256], const uint32_t g[static 4][256],
                                 const char *s, size_t len, uint8_t *buf, size_t size,
                                 size_t *ret_size) {
        size_t need = base64url_decoded_size(len), o = 0, i = 0;
        uint32_t acc = 0, bad = 0;
        unsigned bits = 0;

        if (need == SIZE_MAX || (len > 0 && !s))
                return -EBADMSG;
        if (need > size)
                return -E2BIG;
                /* Whole groups of four characters make three bytes; while four
                 * bytes of room are left they are stored as one word whose last
                 * byte the next group overwrites. A character outside the alphabet
                 * sets BASE64_BAD, checked once at the end of the stretch. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        for (; i + 8 <= len && o + 7 <= size; i += 8) {
                uint32_t v = base64_group(g, s + i), w = base64_group(g, s + i + 4);
                uint32_t x = __builtin_bswap32(v << 8), y = __builtin_bswap32(w << 8);

                bad |= v | w;
                memcpy(buf + o, &x, 4);
                memcpy(buf + o + 3, &y, 4);
                o += 6;
        }
#endif
        for (; i + 4 <= len; i += 4) {
                uint32_t v = base64_group(g, s + i);

                bad |= v;
                buf[o++] = (uint8_t)(v >> 16);
                buf[o++] = (uint8_t)(v >> 8);
                buf[o++] = (uint8_t)v;
        }
        if (bad & BASE64_BAD)
                return -EBADMSG;

        /* The last 2 or 3 characters, if any. */
        for (; i < len; i++) {
                int v = (int)values[(unsigned char)s[i]] - 1;

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

int base64url_decode_to(const char *s, size_t len, uint8_t *buf, size_t size, size_t *ret_size) {
        return base64url_decode_with(base64url_values, base64url_group, s, len, buf, size,
                                     ret_size);
}

int base64url_decode_std_to(const char *s, size_t len, uint8_t *buf, size_t size,
                            size_t *ret_size) {
        return base64url_decode_with(base64_std_values, base64_std_group, s, len, buf, size,
                                     ret_size);
}

static int base64url_decode_alloc(const uint8_t values[static 256], const uint32_t g[static 4][256],
                                  const char *s, size_t len, size_t max, uint8_t **ret,
                                  size_t *ret_size) {
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
        r = base64url_decode_with(values, g, s, len, buf, need, &n);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}

int base64url_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_size) {
        return base64url_decode_alloc(base64url_values, base64url_group, s, len, max, ret,
                                      ret_size);
}

int base64url_decode_std(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_size) {
        return base64url_decode_alloc(base64_std_values, base64_std_group, s, len, max, ret,
                                      ret_size);
}
