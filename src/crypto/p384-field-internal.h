#pragma once

/* Arithmetic modulo the P-384 prime p = 2^384 - 2^128 - 2^96 + 2^32 - 1 and
 * modulo the group order n, for signature verification only (p384.c).
 *
 * VARIABLE TIME: the branches and the exponent walk depend on the values.
 * Every input of a signature check is public, so this leaks nothing there;
 * these functions must never see a private key, a nonce or anything else
 * secret.
 *
 * Numbers are six 64-bit limbs, least significant first. Field elements
 * and scalars live in Montgomery form (a * 2^384 mod m) and are always
 * fully reduced, so equal values have equal limbs. */

#include <stdbool.h>
#include <stdint.h>

#define P384_LIMBS 6
#define P384_BYTES 48

typedef struct P384Fe {
        uint64_t v[P384_LIMBS];
} P384Fe;

/* Plain integers (not Montgomery form) of 384 bits. */
extern const uint64_t p384_p[P384_LIMBS];
extern const uint64_t p384_n[P384_LIMBS];

/* Big-endian bytes to limbs and back; no reduction. */
void p384_int_from_bytes(uint64_t ret[P384_LIMBS], const uint8_t in[P384_BYTES]);
void p384_int_to_bytes(uint8_t ret[P384_BYTES], const uint64_t in[P384_LIMBS]);
/* a < b, a == 0, as integers. */
bool p384_int_less(const uint64_t a[P384_LIMBS], const uint64_t b[P384_LIMBS]);
bool p384_int_is_zero(const uint64_t a[P384_LIMBS]);

/* Modulo p. p384_fe_from_int() wants x < p. */
extern const P384Fe p384_fe_one;
void p384_fe_from_int(P384Fe *ret, const uint64_t x[P384_LIMBS]);
void p384_fe_to_int(uint64_t ret[P384_LIMBS], const P384Fe *a);
void p384_fe_add(P384Fe *ret, const P384Fe *a, const P384Fe *b);
void p384_fe_sub(P384Fe *ret, const P384Fe *a, const P384Fe *b);
void p384_fe_neg(P384Fe *ret, const P384Fe *a);
void p384_fe_mul(P384Fe *ret, const P384Fe *a, const P384Fe *b);
void p384_fe_sqr(P384Fe *ret, const P384Fe *a);
/* a^-1; 0 for a = 0. */
void p384_fe_inv(P384Fe *ret, const P384Fe *a);
bool p384_fe_is_zero(const P384Fe *a);
bool p384_fe_equal(const P384Fe *a, const P384Fe *b);

/* Modulo n. p384_sc_from_int() wants x < n. p384_sc_mul_plain() gives
 * a * b mod n for a plain a and a Montgomery b, as a plain integer. */
void p384_sc_from_int(P384Fe *ret, const uint64_t x[P384_LIMBS]);
void p384_sc_mul_plain(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS], const P384Fe *b);
/* a^-1 mod n for a plain 0 <= a < n, plain; 0 for a = 0. */
void p384_sc_inv(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS]);
