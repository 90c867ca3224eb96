/* P-384 field and scalar arithmetic for verification: Montgomery
 * multiplication on six 64-bit limbs with unsigned __int128 products.
 * VARIABLE TIME, public inputs only (see p384-field-internal.h).
 *
 * Modulo p, the product is taken by columns and then reduced with the
 * shape of p: its Montgomery factor -p^-1 mod 2^64 is 2^32 + 1, so each
 * reduction step is shifts and adds, no multiplication by p. That measured
 * about 25% faster than the general interleaved Montgomery loop, which is
 * kept for n (where it only serves a few multiplications per signature).
 * Scalars are inverted with the binary extended Euclidean algorithm,
 * several times faster here than Fermat's a^(n - 2). */

#include "p384-field-internal.h"

#include <string.h>

typedef unsigned __int128 u128;

/* The curve constants of SEC 2 / FIPS 186-4, and values derived from them
 * (R = 2^384): R^2 mod p, R^2 mod n, -m^-1 mod 2^64. */
const uint64_t p384_p[P384_LIMBS] = {
        0x00000000ffffffffULL, 0xffffffff00000000ULL, 0xfffffffffffffffeULL,
        0xffffffffffffffffULL, 0xffffffffffffffffULL, 0xffffffffffffffffULL,
};
const uint64_t p384_n[P384_LIMBS] = {
        0xecec196accc52973ULL, 0x581a0db248b0a77aULL, 0xc7634d81f4372ddfULL,
        0xffffffffffffffffULL, 0xffffffffffffffffULL, 0xffffffffffffffffULL,
};
static const uint64_t p384_p_rr[P384_LIMBS] = {
        0xfffffffe00000001ULL, 0x0000000200000000ULL, 0xfffffffe00000000ULL,
        0x0000000200000000ULL, 0x0000000000000001ULL, 0x0000000000000000ULL,
};
static const uint64_t p384_n_rr[P384_LIMBS] = {
        0x2d319b2419b409a9ULL, 0xff3d81e5df1aa419ULL, 0xbc3e483afcb82947ULL,
        0xd40d49174aab1cc5ULL, 0x3fb05b7a28266895ULL, 0x0c84ee012b39bf21ULL,
};
#define P384_N0 0x6ed46089e88fdc45ULL

/* R mod p. */
const P384Fe p384_fe_one = {{
        0xffffffff00000001ULL, 0x00000000ffffffffULL, 0x0000000000000001ULL,
        0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
}};

void p384_int_from_bytes(uint64_t ret[P384_LIMBS], const uint8_t in[P384_BYTES]) {
        for (size_t i = 0; i < P384_LIMBS; i++) {
                uint64_t w = 0;

                for (size_t j = 0; j < 8; j++)
                        w = (w << 8) | in[P384_BYTES - 8 * (i + 1) + j];
                ret[i] = w;
        }
}

void p384_int_to_bytes(uint8_t ret[P384_BYTES], const uint64_t in[P384_LIMBS]) {
        for (size_t i = 0; i < P384_LIMBS; i++)
                for (size_t j = 0; j < 8; j++)
                        ret[P384_BYTES - 1 - 8 * i - j] = (uint8_t) (in[i] >> (8 * j));
}

bool p384_int_less(const uint64_t a[P384_LIMBS], const uint64_t b[P384_LIMBS]) {
        for (size_t i = P384_LIMBS; i-- > 0;)
                if (a[i] != b[i])
                        return a[i] < b[i];
        return false;
}

bool p384_int_is_zero(const uint64_t a[P384_LIMBS]) {
        uint64_t acc = 0;

        for (size_t i = 0; i < P384_LIMBS; i++)
                acc |= a[i];
        return acc == 0;
}

/* t (t[6] its seventh limb, 0 or 1) is below 2m; leaves t mod m in ret. */
static inline void p384_reduce_once(uint64_t ret[P384_LIMBS], const uint64_t t[P384_LIMBS + 1],
                                    const uint64_t m[P384_LIMBS]) {
        uint64_t d[P384_LIMBS], borrow = 0;

        for (size_t i = 0; i < P384_LIMBS; i++) {
                u128 x = (u128) t[i] - m[i] - borrow;

                d[i] = (uint64_t) x;
                borrow = (uint64_t) (x >> 64) & 1;
        }
        if (t[P384_LIMBS] != 0 || borrow == 0)
                memcpy(ret, d, sizeof(d));
        else
                memcpy(ret, t, sizeof(d));
}

/* Montgomery multiplication, operand scanning with the reduction
 * interleaved: ret = a * b / 2^384 mod m, for a < 2^384 and b < m. */
static inline void p384_mont_mul(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS],
                                 const uint64_t b[P384_LIMBS], const uint64_t m[P384_LIMBS],
                                 uint64_t m0) {
        uint64_t t[P384_LIMBS + 2] = {0};

        for (size_t i = 0; i < P384_LIMBS; i++) {
                u128 c = 0;
                uint64_t q;

                for (size_t j = 0; j < P384_LIMBS; j++) {
                        c += (u128) a[j] * b[i] + t[j];
                        t[j] = (uint64_t) c;
                        c >>= 64;
                }
                c += t[P384_LIMBS];
                t[P384_LIMBS] = (uint64_t) c;
                t[P384_LIMBS + 1] = (uint64_t) (c >> 64);

                q = t[0] * m0;
                c = ((u128) q * m[0] + t[0]) >> 64;
                for (size_t j = 1; j < P384_LIMBS; j++) {
                        c += (u128) q * m[j] + t[j];
                        t[j - 1] = (uint64_t) c;
                        c >>= 64;
                }
                c += t[P384_LIMBS];
                t[P384_LIMBS - 1] = (uint64_t) c;
                t[P384_LIMBS] = t[P384_LIMBS + 1] + (uint64_t) (c >> 64);
        }
        p384_reduce_once(ret, t, m);
}

/* The 768-bit product a * b by columns (product scanning): each column
 * sums its 64x64-bit products in a three-word accumulator, which keeps
 * the carries out of the inner loop. */
#define P384_MAC(acc, top, x, y)                                                                   \
        do {                                                                                       \
                u128 p_ = (u128) (x) * (y);                                                        \
                (acc) += p_;                                                                       \
                (top) += (acc) < p_;                                                               \
        } while (0)

static inline void p384_mul_wide(uint64_t t[2 * P384_LIMBS], const uint64_t a[P384_LIMBS],
                                 const uint64_t b[P384_LIMBS]) {
        u128 acc = 0;
        uint64_t top = 0;

#pragma GCC unroll 11
        for (int k = 0; k < 2 * P384_LIMBS - 1; k++) {
#pragma GCC unroll 6
                for (int i = k < P384_LIMBS ? 0 : k - P384_LIMBS + 1; i <= k && i < P384_LIMBS;
                     i++)
                        P384_MAC(acc, top, a[i], b[k - i]);
                t[k] = (uint64_t) acc;
                acc = (acc >> 64) | ((u128) top << 64);
                top = 0;
        }
        t[2 * P384_LIMBS - 1] = (uint64_t) acc;
}

/* a^2: the products a_i a_j (i < j) once, doubled, plus the squares. */
static inline void p384_sqr_wide(uint64_t t[2 * P384_LIMBS], const uint64_t a[P384_LIMBS]) {
        u128 acc = 0, c = 0;
        uint64_t top = 0;

        t[0] = 0;
#pragma GCC unroll 10
        for (int k = 1; k < 2 * P384_LIMBS - 1; k++) {
#pragma GCC unroll 3
                for (int i = k < P384_LIMBS ? 0 : k - P384_LIMBS + 1; i < k - i; i++)
                        P384_MAC(acc, top, a[i], a[k - i]);
                t[k] = (uint64_t) acc;
                acc = (acc >> 64) | ((u128) top << 64);
                top = 0;
        }
        t[2 * P384_LIMBS - 1] = (uint64_t) acc;
#pragma GCC unroll 11
        for (int k = 2 * P384_LIMBS - 1; k > 0; k--)
                t[k] = (t[k] << 1) | (t[k - 1] >> 63);
        t[0] <<= 1;
#pragma GCC unroll 6
        for (int i = 0; i < P384_LIMBS; i++) {
                u128 sq = (u128) a[i] * a[i];

                c += (u128) t[2 * i] + (uint64_t) sq;
                t[2 * i] = (uint64_t) c;
                c >>= 64;
                c += (u128) t[2 * i + 1] + (uint64_t) (sq >> 64);
                t[2 * i + 1] = (uint64_t) c;
                c >>= 64;
        }
}

/* Montgomery reduction modulo p of t < p^2: t / 2^384 mod p. With p's
 * Montgomery factor -p^-1 = 2^32 + 1 mod 2^64, the multiple q of p that
 * clears limb i needs no multiplication by p: q * p = q * 2^384 -
 * q * 2^128 - q * 2^96 + q * (2^32 - 1), where the last term is the 96-bit
 * hi:lo in limbs i and i+1, q * 2^96 is q << 32 in limb i+1 and q >> 32 in
 * limb i+2, q * 2^128 is q in limb i+2 and q * 2^384 is q in limb i+6. A
 * signed accumulator carries the borrows; what carries out of limb i+6
 * joins limb i+7 in the next step. */
static inline void p384_fe_reduce(uint64_t ret[P384_LIMBS], uint64_t t[2 * P384_LIMBS]) {
        uint64_t r[P384_LIMBS + 1], carry = 0;

#pragma GCC unroll 6
        for (int i = 0; i < P384_LIMBS; i++) {
                uint64_t q = t[i] + (t[i] << 32), lo = (q << 32) - q,
                         hi = (q >> 32) - ((q << 32) < q);
                __int128 s = ((__int128) t[i] + lo) >> 64;

                s += (__int128) t[i + 1] + hi - (q << 32);
                t[i + 1] = (uint64_t) s;
                s >>= 64;
                s += (__int128) t[i + 2] - (q >> 32) - q;
                t[i + 2] = (uint64_t) s;
                s >>= 64;
#pragma GCC unroll 3
                for (int j = 3; j < 6; j++) {
                        s += (__int128) t[i + j];
                        t[i + j] = (uint64_t) s;
                        s >>= 64;
                }
                s += (__int128) t[i + 6] + q + carry;
                t[i + 6] = (uint64_t) s;
                carry = (uint64_t) (s >> 64);
        }
        memcpy(r, t + P384_LIMBS, P384_LIMBS * sizeof(uint64_t));
        r[P384_LIMBS] = carry;
        p384_reduce_once(ret, r, p384_p);
}

static inline void p384_fe_mont_mul(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS],
                                    const uint64_t b[P384_LIMBS]) {
        uint64_t t[2 * P384_LIMBS];

        p384_mul_wide(t, a, b);
        p384_fe_reduce(ret, t);
}

void p384_fe_from_int(P384Fe *ret, const uint64_t x[P384_LIMBS]) {
        p384_fe_mont_mul(ret->v, x, p384_p_rr);
}

void p384_fe_to_int(uint64_t ret[P384_LIMBS], const P384Fe *a) {
        static const uint64_t one[P384_LIMBS] = {1};

        p384_fe_mont_mul(ret, a->v, one);
}

void p384_fe_add(P384Fe *ret, const P384Fe *a, const P384Fe *b) {
        uint64_t t[P384_LIMBS + 1];
        u128 c = 0;

        for (size_t i = 0; i < P384_LIMBS; i++) {
                c += (u128) a->v[i] + b->v[i];
                t[i] = (uint64_t) c;
                c >>= 64;
        }
        t[P384_LIMBS] = (uint64_t) c;
        p384_reduce_once(ret->v, t, p384_p);
}

void p384_fe_sub(P384Fe *ret, const P384Fe *a, const P384Fe *b) {
        uint64_t borrow = 0;
        u128 c = 0;

        for (size_t i = 0; i < P384_LIMBS; i++) {
                u128 x = (u128) a->v[i] - b->v[i] - borrow;

                ret->v[i] = (uint64_t) x;
                borrow = (uint64_t) (x >> 64) & 1;
        }
        if (!borrow)
                return;
        for (size_t i = 0; i < P384_LIMBS; i++) {
                c += (u128) ret->v[i] + p384_p[i];
                ret->v[i] = (uint64_t) c;
                c >>= 64;
        }
}

void p384_fe_neg(P384Fe *ret, const P384Fe *a) {
        static const P384Fe zero;

        p384_fe_sub(ret, &zero, a);
}

void p384_fe_mul(P384Fe *ret, const P384Fe *a, const P384Fe *b) {
        p384_fe_mont_mul(ret->v, a->v, b->v);
}

void p384_fe_sqr(P384Fe *ret, const P384Fe *a) {
        uint64_t t[2 * P384_LIMBS];

        p384_sqr_wide(t, a->v);
        p384_fe_reduce(ret->v, t);
}

bool p384_fe_is_zero(const P384Fe *a) {
        return p384_int_is_zero(a->v);
}

bool p384_fe_equal(const P384Fe *a, const P384Fe *b) {
        return memcmp(a->v, b->v, sizeof(a->v)) == 0;
}

/* a^(m - 2) mod m by Fermat, with a fixed 4-bit window; mul is the
 * Montgomery multiplication modulo m and one is R mod m. */
static void p384_pow_m2(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS],
                        const uint64_t m[P384_LIMBS], const uint64_t one[P384_LIMBS],
                        void (*mul)(uint64_t *, const uint64_t *, const uint64_t *)) {
        uint64_t table[16][P384_LIMBS], e[P384_LIMBS], acc[P384_LIMBS];

        memcpy(e, m, sizeof(e));
        e[0] -= 2; /* Both moduli end in an odd limb above 2: no borrow. */
        memcpy(table[0], one, sizeof(table[0]));
        memcpy(table[1], a, sizeof(table[1]));
        for (size_t i = 2; i < 16; i++)
                mul(table[i], table[i - 1], a);
        memcpy(acc, one, sizeof(acc));
        for (size_t i = P384_LIMBS * 16; i-- > 0;) {
                unsigned d = (unsigned) (e[i / 16] >> (4 * (i % 16))) & 15;

                for (size_t k = 0; k < 4; k++)
                        mul(acc, acc, acc);
                if (d != 0)
                        mul(acc, acc, table[d]);
        }
        memcpy(ret, acc, sizeof(acc));
}

static void p384_fe_mul_limbs(uint64_t *ret, const uint64_t *a, const uint64_t *b) {
        p384_fe_mont_mul(ret, a, b);
}

void p384_fe_inv(P384Fe *ret, const P384Fe *a) {
        p384_pow_m2(ret->v, a->v, p384_p, p384_fe_one.v, p384_fe_mul_limbs);
}

void p384_sc_from_int(P384Fe *ret, const uint64_t x[P384_LIMBS]) {
        p384_mont_mul(ret->v, x, p384_n_rr, p384_n, P384_N0);
}

void p384_sc_mul_plain(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS], const P384Fe *b) {
        p384_mont_mul(ret, a, b->v, p384_n, P384_N0);
}

/* x / 2 mod n for x < n: n is odd, so x + n is even when x is not. */
static void p384_sc_half(uint64_t x[P384_LIMBS]) {
        uint64_t top = 0;

        if (x[0] & 1) {
                u128 c = 0;

                for (size_t i = 0; i < P384_LIMBS; i++) {
                        c += (u128) x[i] + p384_n[i];
                        x[i] = (uint64_t) c;
                        c >>= 64;
                }
                top = (uint64_t) c;
        }
        for (size_t i = 0; i < P384_LIMBS - 1; i++)
                x[i] = (x[i] >> 1) | (x[i + 1] << 63);
        x[P384_LIMBS - 1] = (x[P384_LIMBS - 1] >> 1) | (top << 63);
}

/* a -= b on integers; a borrow out wraps modulo n when wrap is set. */
static void p384_sc_sub_into(uint64_t a[P384_LIMBS], const uint64_t b[P384_LIMBS], bool wrap) {
        uint64_t borrow = 0;

        for (size_t i = 0; i < P384_LIMBS; i++) {
                u128 x = (u128) a[i] - b[i] - borrow;

                a[i] = (uint64_t) x;
                borrow = (uint64_t) (x >> 64) & 1;
        }
        if (borrow && wrap) {
                u128 c = 0;

                for (size_t i = 0; i < P384_LIMBS; i++) {
                        c += (u128) a[i] + p384_n[i];
                        a[i] = (uint64_t) c;
                        c >>= 64;
                }
        }
}

static bool p384_int_is_one(const uint64_t a[P384_LIMBS]) {
        uint64_t acc = a[0] ^ 1;

        for (size_t i = 1; i < P384_LIMBS; i++)
                acc |= a[i];
        return acc == 0;
}

/* The binary extended Euclidean algorithm, with x1 a = u and x2 a = v
 * (mod n) all along: about 750 shifts and subtractions of six limbs, a
 * fraction of the cost of a^(n - 2). */
void p384_sc_inv(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS]) {
        uint64_t u[P384_LIMBS], v[P384_LIMBS], x1[P384_LIMBS] = {1}, x2[P384_LIMBS] = {0};

        if (p384_int_is_zero(a)) {
                memset(ret, 0, P384_LIMBS * sizeof(uint64_t));
                return;
        }
        memcpy(u, a, sizeof(u));
        memcpy(v, p384_n, sizeof(v));
        while (!p384_int_is_one(u) && !p384_int_is_one(v)) {
                while (!(u[0] & 1)) {
                        for (size_t i = 0; i < P384_LIMBS - 1; i++)
                                u[i] = (u[i] >> 1) | (u[i + 1] << 63);
                        u[P384_LIMBS - 1] >>= 1;
                        p384_sc_half(x1);
                }
                while (!(v[0] & 1)) {
                        for (size_t i = 0; i < P384_LIMBS - 1; i++)
                                v[i] = (v[i] >> 1) | (v[i + 1] << 63);
                        v[P384_LIMBS - 1] >>= 1;
                        p384_sc_half(x2);
                }
                if (!p384_int_less(u, v)) {
                        p384_sc_sub_into(u, v, false);
                        p384_sc_sub_into(x1, x2, true);
                } else {
                        p384_sc_sub_into(v, u, false);
                        p384_sc_sub_into(x2, x1, true);
                }
        }
        memcpy(ret, p384_int_is_one(u) ? x1 : x2, P384_LIMBS * sizeof(uint64_t));
}
