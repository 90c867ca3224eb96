/* ECDSA P-384 verification: points, tables and the check itself.
 *
 * VARIABLE TIME, for public inputs only: the additions branch on the values
 * and the tables are indexed by scalar digits. A signature check has no
 * secret in it; nothing else may call this.
 *
 * The check computes u1 * G + u2 * Q. Each fixed point P has a table of
 * affine multiples d * 2^(wi) * P for d = 1..2^(w-1): a scalar recoded
 * into signed w-bit digits is then the sum of one table entry (negated for
 * a negative digit) per digit, with no doublings. G's table is built on
 * first use, once per process under pthread_once (a few milliseconds,
 * rather than a 330 KiB generated source file and its generator in the
 * build); a P384Key carries one for its Q. Without a key table, u2 * Q is
 * a width-5 wNAF double-and-add. */

#include "confnode/crypto/p384.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "p384-field-internal.h"

/* A table for window w holds 2^(w-1) multiples at each of ceil(385 / w)
 * positions (385: the top digit may take a carry). G's, built once: w = 7,
 * 55 x 64 points, 330 KiB. A key's: w = 6, 65 x 32 points, 195 KiB, within
 * the 200 KB a cached key may cost; w = 5 would be 115.5 KiB and 77
 * instead of 65 additions a signature. */
#define P384_G_WINDOW 7
#define P384_KEY_WINDOW 6
#define P384_MIN_WINDOW 5
#define P384_POSITIONS(w) ((385 + (w) - 1) / (w))
#define P384_ENTRIES(w) ((size_t) 1 << ((w) - 1))
#define P384_TABLE_POINTS(w) (P384_POSITIONS(w) * P384_ENTRIES(w))
#define P384_WNAF_WINDOW 5
#define P384_WNAF_ODD 8 /* Q, 3Q, ..., 15Q */

typedef struct P384Affine {
        P384Fe x, y;
} P384Affine;

/* (X, Y, Z) is (X / Z^2, Y / Z^3); Z = 0 is the point at infinity. */
typedef struct P384Jac {
        P384Fe x, y, z;
} P384Jac;

struct P384Key {
        P384Affine q;
        P384Affine table[P384_TABLE_POINTS(P384_KEY_WINDOW)];
};

/* The generator and b of SEC 2, section 2.5.1. */
static const uint8_t p384_g_encoded[P384_POINT_SIZE] = {
        0x04,
        0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e,
        0xf3, 0x20, 0xad, 0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98,
        0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a, 0x38, 0x55, 0x02, 0xf2, 0x5d,
        0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a, 0xb7,
        0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98, 0xbf,
        0x92, 0x92, 0xdc, 0x29, 0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14, 0x7c,
        0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8, 0xc0, 0x0a, 0x60, 0xb1, 0xce,
        0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e, 0x5f,
};
static const uint8_t p384_b_encoded[P384_BYTES] = {
        0xb3, 0x31, 0x2f, 0xa7, 0xe2, 0x3e, 0xe7, 0xe4, 0x98, 0x8e, 0x05, 0x6b,
        0xe3, 0xf8, 0x2d, 0x19, 0x18, 0x1d, 0x9c, 0x6e, 0xfe, 0x81, 0x41, 0x12,
        0x03, 0x14, 0x08, 0x8f, 0x50, 0x13, 0x87, 0x5a, 0xc6, 0x56, 0x39, 0x8d,
        0x8a, 0x2e, 0xd1, 0x9d, 0x2a, 0x85, 0xc8, 0xed, 0xd3, 0xec, 0x2a, 0xef,
};

/* ret = a + b and a - b on 384-bit integers; the carry or borrow out. */
static uint64_t p384_int_add(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS],
                             const uint64_t b[P384_LIMBS]) {
        unsigned __int128 c = 0;

        for (size_t i = 0; i < P384_LIMBS; i++) {
                c += (unsigned __int128) a[i] + b[i];
                ret[i] = (uint64_t) c;
                c >>= 64;
        }
        return (uint64_t) c;
}

static uint64_t p384_int_sub(uint64_t ret[P384_LIMBS], const uint64_t a[P384_LIMBS],
                             const uint64_t b[P384_LIMBS]) {
        uint64_t borrow = 0;

        for (size_t i = 0; i < P384_LIMBS; i++) {
                unsigned __int128 x = (unsigned __int128) a[i] - b[i] - borrow;

                ret[i] = (uint64_t) x;
                borrow = (uint64_t) (x >> 64) & 1;
        }
        return borrow;
}

/* An uncompressed point on the curve y^2 = x^3 - 3x + b, coordinates below
 * p. P-384's cofactor is 1, so any such point is in the group of order n. */
static bool p384_point_decode(const uint8_t in[static P384_POINT_SIZE], P384Affine *ret) {
        uint64_t x[P384_LIMBS], y[P384_LIMBS], b[P384_LIMBS];
        P384Fe fx, fy, fb, lhs, rhs, t;

        if (in[0] != 0x04)
                return false;
        p384_int_from_bytes(x, in + 1);
        p384_int_from_bytes(y, in + 1 + P384_BYTES);
        if (!p384_int_less(x, p384_p) || !p384_int_less(y, p384_p))
                return false;
        p384_int_from_bytes(b, p384_b_encoded);
        p384_fe_from_int(&fx, x);
        p384_fe_from_int(&fy, y);
        p384_fe_from_int(&fb, b);

        p384_fe_sqr(&lhs, &fy);
        /* x^3 - 3x + b = (x^2 - 3) x + b. */
        p384_fe_sqr(&rhs, &fx);
        p384_fe_sub(&rhs, &rhs, &p384_fe_one);
        p384_fe_sub(&rhs, &rhs, &p384_fe_one);
        p384_fe_sub(&rhs, &rhs, &p384_fe_one);
        p384_fe_mul(&t, &rhs, &fx);
        p384_fe_add(&rhs, &t, &fb);
        if (!p384_fe_equal(&lhs, &rhs))
                return false;
        *ret = (P384Affine){fx, fy};
        return true;
}

static void p384_jac_set_infinity(P384Jac *r) {
        *r = (P384Jac){p384_fe_one, p384_fe_one, {{0}}};
}

static bool p384_jac_is_infinity(const P384Jac *a) {
        return p384_fe_is_zero(&a->z);
}

/* 2a, for a curve with a = -3 (3M + 5S). Infinity doubles to Z = 0, and no
 * point of odd order has Y = 0, so there is no other special case. */
static void p384_jac_double(P384Jac *r, const P384Jac *a) {
        P384Fe delta, gamma, beta, alpha, t, u, x3, y3, z3;

        p384_fe_sqr(&delta, &a->z);
        p384_fe_sqr(&gamma, &a->y);
        p384_fe_mul(&beta, &a->x, &gamma);
        /* alpha = 3 (X - delta) (X + delta) */
        p384_fe_sub(&t, &a->x, &delta);
        p384_fe_add(&u, &a->x, &delta);
        p384_fe_mul(&alpha, &t, &u);
        p384_fe_add(&t, &alpha, &alpha);
        p384_fe_add(&alpha, &t, &alpha);
        /* X3 = alpha^2 - 8 beta */
        p384_fe_add(&beta, &beta, &beta);
        p384_fe_add(&beta, &beta, &beta);
        p384_fe_sqr(&x3, &alpha);
        p384_fe_sub(&x3, &x3, &beta);
        p384_fe_sub(&x3, &x3, &beta);
        /* Z3 = (Y + Z)^2 - gamma - delta */
        p384_fe_add(&t, &a->y, &a->z);
        p384_fe_sqr(&z3, &t);
        p384_fe_sub(&z3, &z3, &gamma);
        p384_fe_sub(&z3, &z3, &delta);
        /* Y3 = alpha (4 beta - X3) - 8 gamma^2 */
        p384_fe_sub(&t, &beta, &x3);
        p384_fe_mul(&y3, &alpha, &t);
        p384_fe_sqr(&t, &gamma);
        p384_fe_add(&t, &t, &t);
        p384_fe_add(&t, &t, &t);
        p384_fe_add(&t, &t, &t);
        p384_fe_sub(&y3, &y3, &t);
        *r = (P384Jac){x3, y3, z3};
}

/* The end of both additions: (X3, Y3, Z3) from U1, S1, H = U2 - U1,
 * R = S2 - S1 and the Z factor zh = Z1 Z2 H (or Z1 H). */
static void p384_jac_add_finish(P384Jac *r, const P384Fe *u1, const P384Fe *s1, const P384Fe *h,
                                const P384Fe *rr, const P384Fe *zh) {
        P384Fe hh, hhh, v, t, x3, y3;

        p384_fe_sqr(&hh, h);
        p384_fe_mul(&hhh, h, &hh);
        p384_fe_mul(&v, u1, &hh);
        p384_fe_sqr(&x3, rr);
        p384_fe_sub(&x3, &x3, &hhh);
        p384_fe_sub(&x3, &x3, &v);
        p384_fe_sub(&x3, &x3, &v);
        p384_fe_sub(&t, &v, &x3);
        p384_fe_mul(&y3, rr, &t);
        p384_fe_mul(&t, s1, &hhh);
        p384_fe_sub(&y3, &y3, &t);
        *r = (P384Jac){x3, y3, *zh};
}

/* a + (x2, y2), the second point affine and not infinity (8M + 3S). */
static void p384_jac_add_affine(P384Jac *r, const P384Jac *a, const P384Fe *x2, const P384Fe *y2) {
        P384Fe z1z1, u2, s2, h, rr, zh;

        if (p384_jac_is_infinity(a)) {
                *r = (P384Jac){*x2, *y2, p384_fe_one};
                return;
        }
        p384_fe_sqr(&z1z1, &a->z);
        p384_fe_mul(&u2, x2, &z1z1);
        p384_fe_mul(&s2, &a->z, &z1z1);
        p384_fe_mul(&s2, &s2, y2);
        p384_fe_sub(&h, &u2, &a->x);
        p384_fe_sub(&rr, &s2, &a->y);
        if (p384_fe_is_zero(&h)) {
                /* Same x: the same point (double it) or its negation. */
                if (p384_fe_is_zero(&rr)) {
                        P384Jac b = {*x2, *y2, p384_fe_one};

                        p384_jac_double(r, &b);
                } else
                        p384_jac_set_infinity(r);
                return;
        }
        p384_fe_mul(&zh, &a->z, &h);
        p384_jac_add_finish(r, &a->x, &a->y, &h, &rr, &zh);
}

/* a + b, both Jacobian (12M + 4S). */
static void p384_jac_add(P384Jac *r, const P384Jac *a, const P384Jac *b) {
        P384Fe z1z1, z2z2, u1, u2, s1, s2, h, rr, zh;

        if (p384_jac_is_infinity(a)) {
                *r = *b;
                return;
        }
        if (p384_jac_is_infinity(b)) {
                *r = *a;
                return;
        }
        p384_fe_sqr(&z1z1, &a->z);
        p384_fe_sqr(&z2z2, &b->z);
        p384_fe_mul(&u1, &a->x, &z2z2);
        p384_fe_mul(&u2, &b->x, &z1z1);
        p384_fe_mul(&s1, &b->z, &z2z2);
        p384_fe_mul(&s1, &s1, &a->y);
        p384_fe_mul(&s2, &a->z, &z1z1);
        p384_fe_mul(&s2, &s2, &b->y);
        p384_fe_sub(&h, &u2, &u1);
        p384_fe_sub(&rr, &s2, &s1);
        if (p384_fe_is_zero(&h)) {
                if (p384_fe_is_zero(&rr))
                        p384_jac_double(r, a);
                else
                        p384_jac_set_infinity(r);
                return;
        }
        p384_fe_mul(&zh, &a->z, &b->z);
        p384_fe_mul(&zh, &zh, &h);
        p384_jac_add_finish(r, &u1, &s1, &h, &rr, &zh);
}

/* Fills t with d * 2^(wi) * p, entry i * 2^(w-1) + d - 1. The multiples are made in Jacobian
 * coordinates, then all made affine with one inversion (Montgomery's
 * trick: the running products, one inverse, and two multiplications back
 * per point). */
static int p384_table_build(P384Affine *t, unsigned w, const P384Affine *p) {
        size_t entries = P384_ENTRIES(w), points = P384_TABLE_POINTS(w);
        _cleanup_free_ P384Fe *z = calloc(2 * points, sizeof(P384Fe));
        _cleanup_free_ P384Jac *m = calloc(entries + 1, sizeof(P384Jac));
        P384Fe *prod, inv;
        P384Jac base = {p->x, p->y, p384_fe_one};

        if (!z || !m)
                return -ENOMEM;
        prod = z + points;
        for (size_t i = 0; i < P384_POSITIONS(w); i++) {
                /* m[d] = d * base. */
                m[1] = base;
                for (size_t d = 2; d <= entries; d++) {
                        if (d % 2 == 0)
                                p384_jac_double(&m[d], &m[d / 2]);
                        else
                                p384_jac_add(&m[d], &m[d - 1], &m[1]);
                }
                for (size_t d = 1; d <= entries; d++) {
                        t[i * entries + d - 1] = (P384Affine){m[d].x, m[d].y};
                        z[i * entries + d - 1] = m[d].z;
                }
                /* The next base is 2^w * base. */
                p384_jac_double(&base, &m[entries]);
        }

        /* Multiples of a point of order n below n are never infinity, so
         * no Z is 0. */
        prod[0] = z[0];
        for (size_t k = 1; k < points; k++)
                p384_fe_mul(&prod[k], &prod[k - 1], &z[k]);
        p384_fe_inv(&inv, &prod[points - 1]);
        for (size_t k = points; k-- > 0;) {
                P384Affine *a = &t[k];
                P384Fe zi, zi2;

                if (k > 0) {
                        p384_fe_mul(&zi, &inv, &prod[k - 1]);
                        p384_fe_mul(&inv, &inv, &z[k]);
                } else
                        zi = inv;
                p384_fe_sqr(&zi2, &zi);
                p384_fe_mul(&a->x, &a->x, &zi2);
                p384_fe_mul(&zi2, &zi2, &zi);
                p384_fe_mul(&a->y, &a->y, &zi2);
        }
        return 0;
}

/* k < 2^384 as ceil(385 / w) signed digits of w bits, k = sum d_i 2^(wi),
 * each d_i in -(2^(w-1) - 1)..2^(w-1): a digit above 2^(w-1) becomes
 * d - 2^w and carries one into the next. The top digit has fewer than w
 * bits of k, so it stays at most 2^(w-1) and nothing carries out. */
static void p384_recode_fixed(int8_t ret[P384_POSITIONS(P384_MIN_WINDOW)], unsigned w,
                              const uint64_t k[P384_LIMBS]) {
        int carry = 0;

        for (size_t i = 0; i < P384_POSITIONS(w); i++) {
                size_t bit = i * w, limb = bit / 64, off = bit % 64;
                uint64_t v = limb < P384_LIMBS ? k[limb] >> off : 0;
                int d;

                if (off > 64 - w && limb + 1 < P384_LIMBS)
                        v |= k[limb + 1] << (64 - off);
                d = (int) (v & ((1u << w) - 1)) + carry;
                carry = d > (int) P384_ENTRIES(w);
                if (carry)
                        d -= 1 << w;
                ret[i] = (int8_t) d;
        }
}

/* acc += k * P, P's table t for window w. */
static void p384_table_mul_add(P384Jac *acc, const P384Affine *t, unsigned w,
                               const uint64_t k[P384_LIMBS]) {
        int8_t d[P384_POSITIONS(P384_MIN_WINDOW)];
        size_t entries = P384_ENTRIES(w);

        p384_recode_fixed(d, w, k);
        for (size_t i = 0; i < P384_POSITIONS(w); i++) {
                const P384Affine *e;
                P384Fe ny;

                if (d[i] == 0)
                        continue;
                if (d[i] > 0) {
                        e = &t[i * entries + (size_t) d[i] - 1];
                        p384_jac_add_affine(acc, acc, &e->x, &e->y);
                } else {
                        e = &t[i * entries + (size_t) -d[i] - 1];
                        p384_fe_neg(&ny, &e->y);
                        p384_jac_add_affine(acc, acc, &e->x, &ny);
                }
        }
}

/* k < 2^384 in width-5 NAF: digits 0 or odd in -15..15, any nonzero digit
 * followed by at least four zeros. Returns the number of digits (at most
 * 385). */
static size_t p384_recode_wnaf(int8_t ret[P384_BYTES * 8 + 1], const uint64_t k_in[P384_LIMBS]) {
        uint64_t k[P384_LIMBS + 1];
        size_t len = 0;

        memcpy(k, k_in, P384_LIMBS * sizeof(uint64_t));
        k[P384_LIMBS] = 0;
        for (;;) {
                uint64_t any = 0;
                int d = 0;

                for (size_t i = 0; i <= P384_LIMBS; i++)
                        any |= k[i];
                if (!any)
                        break;
                if (k[0] & 1) {
                        d = (int) (k[0] & ((1u << P384_WNAF_WINDOW) - 1));
                        if (d >= 1 << (P384_WNAF_WINDOW - 1))
                                d -= 1 << P384_WNAF_WINDOW;
                        /* k -= d leaves k a multiple of 32. */
                        if (d > 0) {
                                uint64_t borrow = (uint64_t) d;

                                for (size_t i = 0; i <= P384_LIMBS && borrow; i++) {
                                        uint64_t old = k[i];

                                        k[i] = old - borrow;
                                        borrow = old < borrow;
                                }
                        } else {
                                uint64_t carry = (uint64_t) -d;

                                for (size_t i = 0; i <= P384_LIMBS && carry; i++) {
                                        k[i] += carry;
                                        carry = k[i] < carry;
                                }
                        }
                }
                ret[len++] = (int8_t) d;
                for (size_t i = 0; i < P384_LIMBS; i++)
                        k[i] = (k[i] >> 1) | (k[i + 1] << 63);
                k[P384_LIMBS] >>= 1;
        }
        return len;
}

/* ret = k * P by wNAF double-and-add, for a point without a table. */
static void p384_wnaf_mul(P384Jac *ret, const P384Affine *p, const uint64_t k[P384_LIMBS]) {
        int8_t d[P384_BYTES * 8 + 1];
        P384Jac odd[P384_WNAF_ODD], twice, acc;
        size_t len = p384_recode_wnaf(d, k);

        odd[0] = (P384Jac){p->x, p->y, p384_fe_one};
        p384_jac_double(&twice, &odd[0]);
        for (size_t i = 1; i < P384_WNAF_ODD; i++)
                p384_jac_add(&odd[i], &odd[i - 1], &twice);

        p384_jac_set_infinity(&acc);
        for (size_t i = len; i-- > 0;) {
                if (!p384_jac_is_infinity(&acc))
                        p384_jac_double(&acc, &acc);
                if (d[i] > 0)
                        p384_jac_add(&acc, &acc, &odd[d[i] / 2]);
                else if (d[i] < 0) {
                        P384Jac neg = odd[-d[i] / 2];

                        p384_fe_neg(&neg.y, &neg.y);
                        p384_jac_add(&acc, &acc, &neg);
                }
        }
        *ret = acc;
}

static P384Affine p384_g_table[P384_TABLE_POINTS(P384_G_WINDOW)];
static bool p384_g_ready;
static pthread_once_t p384_g_once = PTHREAD_ONCE_INIT;

static void p384_g_init(void) {
        P384Affine g;

        if (!p384_point_decode(p384_g_encoded, &g))
                abort(); /* The constants are wrong. */
        p384_g_ready = p384_table_build(p384_g_table, P384_G_WINDOW, &g) >= 0;
}

/* Whether the affine x of a, reduced mod n, is r (0 < r < n). x = r or, if
 * r + n < p, x = r + n; both are compared as x Z^2 = X, so no inversion. */
static bool p384_x_matches(const P384Jac *a, const uint64_t r[P384_LIMBS]) {
        uint64_t rn[P384_LIMBS];
        P384Fe z2, fr, t;

        if (p384_jac_is_infinity(a))
                return false;
        p384_fe_sqr(&z2, &a->z);
        p384_fe_from_int(&fr, r);
        p384_fe_mul(&t, &fr, &z2);
        if (p384_fe_equal(&t, &a->x))
                return true;
        if (p384_int_add(rn, r, p384_n) != 0 || !p384_int_less(rn, p384_p))
                return false;
        p384_fe_from_int(&fr, rn);
        p384_fe_mul(&t, &fr, &z2);
        return p384_fe_equal(&t, &a->x);
}

/* 0 < x < n for the 48 big-endian bytes in. */
static bool p384_scalar_decode(const uint8_t in[static P384_SCALAR_SIZE],
                               uint64_t ret[P384_LIMBS]) {
        p384_int_from_bytes(ret, in);
        return !p384_int_is_zero(ret) && p384_int_less(ret, p384_n);
}

static int p384_verify_point(const P384Affine *q, const P384Affine *qt,
                             const uint8_t digest[static P384_SCALAR_SIZE],
                             const uint8_t r[static P384_SCALAR_SIZE],
                             const uint8_t s[static P384_SCALAR_SIZE]) {
        uint64_t ir[P384_LIMBS], is[P384_LIMBS], iw[P384_LIMBS], e[P384_LIMBS], u1[P384_LIMBS],
                u2[P384_LIMBS];
        P384Fe w;
        P384Jac acc;

        if (pthread_once(&p384_g_once, p384_g_init) != 0 || !p384_g_ready)
                return -ENOMEM;
        if (!p384_scalar_decode(r, ir) || !p384_scalar_decode(s, is))
                return -EKEYREJECTED;
        /* The digest is as long as n, so it is used whole, reduced once:
         * e < 2^384 < 2n. */
        p384_int_from_bytes(e, digest);
        if (!p384_int_less(e, p384_n))
                (void) p384_int_sub(e, e, p384_n);

        /* w = s^-1, u1 = e w, u2 = r w (mod n). */
        p384_sc_inv(iw, is);
        p384_sc_from_int(&w, iw);
        p384_sc_mul_plain(u1, e, &w);
        p384_sc_mul_plain(u2, ir, &w);

        p384_jac_set_infinity(&acc);
        p384_table_mul_add(&acc, p384_g_table, P384_G_WINDOW, u1);
        if (qt)
                p384_table_mul_add(&acc, qt, P384_KEY_WINDOW, u2);
        else {
                P384Jac qpart;

                p384_wnaf_mul(&qpart, q, u2);
                p384_jac_add(&acc, &acc, &qpart);
        }
        return p384_x_matches(&acc, ir) ? 0 : -EKEYREJECTED;
}

int p384_key_new(const uint8_t point[static P384_POINT_SIZE], P384Key **ret) {
        _cleanup_free_ P384Key *k = NULL;
        P384Affine q;
        int r;

        if (!ret)
                return -EINVAL;
        if (!p384_point_decode(point, &q))
                return -EINVAL;
        k = malloc(sizeof(*k));
        if (!k)
                return -ENOMEM;
        k->q = q;
        r = p384_table_build(k->table, P384_KEY_WINDOW, &q);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(k);
        return 0;
}

P384Key *p384_key_free(P384Key *k) {
        free(k);
        return NULL;
}

int p384_key_verify(const P384Key *k, const uint8_t digest[static P384_SCALAR_SIZE],
                    const uint8_t r[static P384_SCALAR_SIZE],
                    const uint8_t s[static P384_SCALAR_SIZE]) {
        if (!k)
                return -EINVAL;
        return p384_verify_point(&k->q, k->table, digest, r, s);
}

int p384_verify(const uint8_t point[static P384_POINT_SIZE],
                const uint8_t digest[static P384_SCALAR_SIZE],
                const uint8_t r[static P384_SCALAR_SIZE], const uint8_t s[static P384_SCALAR_SIZE]) {
        P384Affine q;

        if (!p384_point_decode(point, &q))
                return -EINVAL;
        return p384_verify_point(&q, NULL, digest, r, s);
}
