#pragma once

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of n bytes into a newly allocated string (NULL on ENOMEM). */
char *hex_encode(const void *data, size_t n);
/* Writes 2n+1 bytes into buf. */
void hex_encode_to(const void *data, size_t n, char *buf);
/* Decodes hex (either case, even length, optional "0x" prefix). -EINVAL on bad
 * input. On success *ret is malloc()ed and *ret_size set. */
int hex_decode(const char *s, uint8_t **ret, size_t *ret_size);
/* The value of one hex digit (either case), or -1. */
int hex_digit_value(char c);
