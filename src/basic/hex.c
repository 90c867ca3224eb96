#include "confnode/basic/hex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void hex_encode_to(const void *data, size_t n, char *buf) {
        static const char hexd[] = "0123456789abcdef";
        const uint8_t *p = data;

        for (size_t i = 0; i < n; i++) {
                buf[2 * i] = hexd[p[i] >> 4];
                buf[2 * i + 1] = hexd[p[i] & 15];
        }
        buf[2 * n] = 0;
}

char *hex_encode(const void *data, size_t n) {
        char *s;

        if (n > (SIZE_MAX - 1) / 2)
                return NULL;
        s = malloc(2 * n + 1);
        if (!s)
                return NULL;
        hex_encode_to(data, n, s);
        return s;
}

int hex_digit_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int hex_decode(const char *s, uint8_t **ret, size_t *ret_size) {
        size_t len;
        uint8_t *buf;

        if (!s)
                return -EINVAL;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        len = strlen(s);
        if (len % 2 != 0)
                return -EINVAL;
        buf = malloc(len / 2 + 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < len / 2; i++) {
                int hi = hex_digit_value(s[2 * i]), lo = hex_digit_value(s[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        free(buf);
                        return -EINVAL;
                }
                buf[i] = (uint8_t)((hi << 4) | lo);
        }
        *ret = buf;
        *ret_size = len / 2;
        return 0;
}
