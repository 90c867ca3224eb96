/* Our P-384 verification against OpenSSL's on arbitrary bytes: input =
 * point (97) || digest (48) || r (48) || s (48), and the two must agree on
 * every input (a point refused, a signature valid or not), or the target
 * aborts. Random bytes almost never make a point on the curve or a valid
 * signature, so two optional tails steer towards them:
 *   - a point with prefix 0x02 or 0x03 is first decompressed by OpenSSL
 *     from its X (if X is on the curve), and the uncompressed form is used;
 *   - 96 more bytes are a private key d and a nonce k: the point becomes
 *     d G and (r, s) the signature of the digest with k, XORed with the r
 *     and s of the input (zero fields: the signature itself).
 * The key-table path runs too for one digest in 32 (first byte 1 mod 32):
 * a table costs some 50,000 field multiplications to build, slow under the
 * sanitizers; test-p384 runs that path on every case. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/p384.h"

#define FUZZ_P384_INPUT (97 + 3 * 48)
#define FUZZ_P384_SIGNER 96

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EC_GROUP *fuzz_p384_group(void) {
        static EC_GROUP *group;

        if (!group)
                group = EC_GROUP_new_by_curve_name(NID_secp384r1);
        if (!group)
                abort();
        return group;
}

/* X of a compressed point to the uncompressed point, if X is on the curve. */
static void fuzz_p384_decompress(uint8_t point[97]) {
        EC_GROUP *group = fuzz_p384_group();
        EC_POINT *q = EC_POINT_new(group);
        BIGNUM *x = BN_bin2bn(point + 1, 48, NULL);

        if (!q || !x)
                abort();
        if (EC_POINT_set_compressed_coordinates(group, q, x, point[0] & 1, NULL) == 1 &&
            EC_POINT_point2oct(group, q, POINT_CONVERSION_UNCOMPRESSED, point, 97, NULL) != 97)
                abort();
        ERR_clear_error();
        BN_free(x);
        EC_POINT_free(q);
}

/* Q = d G and a signature of digest with nonce k, XORed into r and s. */
static void fuzz_p384_sign(const uint8_t *dk, const uint8_t digest[48], uint8_t point[97],
                           uint8_t r[48], uint8_t s[48]) {
        EC_GROUP *group = fuzz_p384_group();
        const BIGNUM *n = EC_GROUP_get0_order(group);
        BN_CTX *ctx = BN_CTX_new();
        EC_POINT *pt = EC_POINT_new(group);
        BIGNUM *d = BN_bin2bn(dk, 48, NULL), *k = BN_bin2bn(dk + 48, 48, NULL), *x = BN_new(),
               *e = BN_bin2bn(digest, 48, NULL), *t = BN_new();
        uint8_t sr[48], ss[48];

        if (!ctx || !pt || !d || !k || !x || !e || !t || BN_nnmod(d, d, n, ctx) != 1 ||
            BN_nnmod(k, k, n, ctx) != 1)
                abort();
        if (BN_is_zero(d))
                BN_one(d);
        if (BN_is_zero(k))
                BN_one(k);
        if (EC_POINT_mul(group, pt, d, NULL, NULL, ctx) != 1 ||
            EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, point, 97, ctx) != 97 ||
            EC_POINT_mul(group, pt, k, NULL, NULL, ctx) != 1 ||
            EC_POINT_get_affine_coordinates(group, pt, x, NULL, ctx) != 1 ||
            BN_nnmod(x, x, n, ctx) != 1 || BN_mod_mul(t, x, d, n, ctx) != 1 ||
            BN_mod_add(t, t, e, n, ctx) != 1 || !BN_mod_inverse(k, k, n, ctx) ||
            BN_mod_mul(t, t, k, n, ctx) != 1 || BN_bn2binpad(x, sr, 48) != 48 ||
            BN_bn2binpad(t, ss, 48) != 48)
                abort();
        for (size_t i = 0; i < 48; i++) {
                r[i] ^= sr[i];
                s[i] ^= ss[i];
        }
        BN_free(d);
        BN_free(k);
        BN_free(x);
        BN_free(e);
        BN_free(t);
        EC_POINT_free(pt);
        BN_CTX_free(ctx);
}

/* OpenSSL: -EINVAL for a point it does not take, else 0 or -EKEYREJECTED. */
static int fuzz_p384_oracle(const uint8_t point[97], const uint8_t digest[48],
                            const uint8_t r[48], const uint8_t s[48]) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
        BIGNUM *br = BN_bin2bn(r, 48, NULL), *bs = BN_bin2bn(s, 48, NULL);
        unsigned char *der = NULL;
        int n, ok;

        if (!sig || !br || !bs || ECDSA_SIG_set0(sig, br, bs) != 1)
                abort();
        if (evp_fetch_ec_public_key(EVP_FETCH_P384, point, 97, &key) < 0)
                return -EINVAL;
        ctx = EVP_PKEY_CTX_new(key, NULL);
        if (!ctx || EVP_PKEY_verify_init(ctx) != 1)
                abort();
        n = i2d_ECDSA_SIG(sig, &der);
        if (n <= 0)
                abort();
        ok = EVP_PKEY_verify(ctx, der, (size_t) n, digest, 48);
        OPENSSL_free(der);
        ERR_clear_error();
        return ok == 1 ? 0 : -EKEYREJECTED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t point[97], digest[48], r[48], s[48];
        int want, got;

        if (size < FUZZ_P384_INPUT)
                return 0;
        memcpy(point, data, 97);
        memcpy(digest, data + 97, 48);
        memcpy(r, data + 97 + 48, 48);
        memcpy(s, data + 97 + 96, 48);
        if (point[0] == 0x02 || point[0] == 0x03)
                fuzz_p384_decompress(point);
        if (size >= FUZZ_P384_INPUT + FUZZ_P384_SIGNER)
                fuzz_p384_sign(data + FUZZ_P384_INPUT, digest, point, r, s);

        want = fuzz_p384_oracle(point, digest, r, s);
        got = p384_verify(point, digest, r, s);
        if (got != want)
                abort();
        if ((digest[0] & 0x1f) == 1) {
                _cleanup_(p384_key_freep) P384Key *k = NULL;

                got = p384_key_new(point, &k);
                if (got == -ENOMEM)
                        return 0;
                if ((got < 0) != (want == -EINVAL))
                        abort();
                if (k && p384_key_verify(k, digest, r, s) != want)
                        abort();
        }
        return 0;
}
