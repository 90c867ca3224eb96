#pragma once

/* ECDSA P-384 signature verification of our own, variable-time, for the
 * verifier's hot path (the SEV-SNP report signature). Every input of a
 * verification is public, so the code branches and indexes tables on the
 * values; it must never be used with anything secret (no signing, no key
 * agreement).
 *
 * Two ways in: p384_verify() for a key seen once (the generator's table is
 * built once per process, the key's multiple is computed on the fly), and a
 * P384Key for a key used again and again (a VCEK the verifier caches): it
 * carries its own table of multiples, 195 KiB, so that both halves of the
 * check are table lookups and additions. */

#include <stdint.h>

#include "confnode/basic/cleanup.h"

#define P384_POINT_SIZE 97 /* 0x04 || X || Y, big-endian */
#define P384_SCALAR_SIZE 48

typedef struct P384Key P384Key;

/* A key with its table from an uncompressed point. -EINVAL if the encoding
 * is not 0x04 || X || Y, a coordinate is not below p, or the point is not on
 * the curve (the point at infinity has no such encoding); -ENOMEM. */
int p384_key_new(const uint8_t point[static P384_POINT_SIZE], P384Key **ret);
P384Key *p384_key_free(P384Key *k);
DEFINE_CLEANUP(P384Key, p384_key_free)

/* Whether (r, s), big-endian, is a signature of the 48-byte digest (the
 * SHA-384 of the message, taken as an integer as ECDSA does) under the key.
 * 0 if it is, -EKEYREJECTED if not, also for r or s of 0 or n and above. */
int p384_key_verify(const P384Key *k, const uint8_t digest[static P384_SCALAR_SIZE],
                    const uint8_t r[static P384_SCALAR_SIZE],
                    const uint8_t s[static P384_SCALAR_SIZE]);

/* The same without a key table. -EINVAL for a point p384_key_new() refuses. */
int p384_verify(const uint8_t point[static P384_POINT_SIZE],
                const uint8_t digest[static P384_SCALAR_SIZE],
                const uint8_t r[static P384_SCALAR_SIZE], const uint8_t s[static P384_SCALAR_SIZE]);
