#include "ecdh-p256-internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "confnode/basic/openssl-cleanup.h"

static pthread_once_t ecdh_p256_once = PTHREAD_ONCE_INIT;
static EC_GROUP *ecdh_p256_group;

/* The group is made once and kept for the life of the process, as
 * evp-fetch.c keeps what it fetches. EC_POINT_mul() and the conversions
 * only read it, so threads share it without a lock. */
static void ecdh_p256_group_make(void) {
        ecdh_p256_group = EC_GROUP_new_by_curve_name_ex(NULL, NULL, NID_X9_62_prime256v1);
        ERR_clear_error();
}

int ecdh_p256_derive(const uint8_t k[static ECDH_P256_SCALAR_SIZE],
                     const uint8_t peer[static ECDH_P256_POINT_SIZE],
                     uint8_t ret_epk[static ECDH_P256_POINT_SIZE], Secret *ret_z) {
        _cleanup_(BN_CTX_freep) BN_CTX *ctx = NULL;
        _cleanup_(BN_clear_freep) BIGNUM *scalar = NULL;
        _cleanup_(EC_POINT_clear_freep) EC_POINT *q = NULL, *e = NULL, *s = NULL;
        uint8_t epk[ECDH_P256_POINT_SIZE], shared[ECDH_P256_POINT_SIZE];
        const EC_GROUP *group;
        int ok;

        if (!ret_z || ret_z->size != ECDH_P256_COORD_SIZE)
                return -EINVAL;
        if (pthread_once(&ecdh_p256_once, ecdh_p256_group_make) != 0 || !ecdh_p256_group)
                return -EIO;
        group = ecdh_p256_group;
        /* Uncompressed only, as JWKs carry it: no 0x00 (the point at
         * infinity) and no compressed forms. */
        if (peer[0] != 0x04)
                return -EBADMSG;

        ctx = BN_CTX_new();
        scalar = BN_new();
        q = EC_POINT_new(group);
        e = EC_POINT_new(group);
        s = EC_POINT_new(group);
        if (!ctx || !scalar || !q || !e || !s)
                return -ENOMEM;
        /* Setting the coordinates checks that they are on the curve. A
         * point off it lies on another curve, perhaps in a small subgroup
         * where k*peer, and with it Z and the KEK, takes only a few values
         * anyone could try. */
        if (EC_POINT_oct2point(group, q, peer, ECDH_P256_POINT_SIZE, ctx) != 1) {
                ERR_clear_error();
                return -EBADMSG;
        }

        if (!BN_bin2bn(k, ECDH_P256_SCALAR_SIZE, scalar))
                return -ENOMEM;
        BN_set_flags(scalar, BN_FLG_CONSTTIME);
        /* A scalar of 2^256 random bits lands at or above the order with a
         * chance near 2^-32; it is refused, not reduced, so every scalar
         * used is uniform in [1, n-1]. The comparison can only tell that a
         * scalar was thrown away. */
        if (BN_is_zero(scalar) || BN_cmp(scalar, EC_GROUP_get0_order(group)) >= 0)
                return -ERANGE;

        /* On x86-64 OpenSSL's P-256 group runs EC_POINT_mul() in its
         * constant-time nistz256 code for both products: a fixed window
         * over a precomputed table for k*G, and a constant-time window
         * over the peer's point for k*peer. Builds without it take
         * another constant-time P-256 or the generic Montgomery ladder.
         * The temporaries of the BN_CTX (Z among them, as the affine x)
         * are cleared when it is freed; k and the points are cleared by
         * their cleanup functions. */
        ok = EC_POINT_mul(group, e, scalar, NULL, NULL, ctx) == 1 &&
             EC_POINT_mul(group, s, NULL, q, scalar, ctx) == 1 &&
             EC_POINT_point2oct(group, e, POINT_CONVERSION_UNCOMPRESSED, epk, sizeof(epk), ctx) ==
                     sizeof(epk) &&
             EC_POINT_point2oct(group, s, POINT_CONVERSION_UNCOMPRESSED, shared, sizeof(shared),
                                ctx) == sizeof(shared);
        if (!ok) {
                memory_wipe(shared, sizeof(shared));
                ERR_clear_error();
                return -EIO;
        }
        memcpy(ret_epk, epk, sizeof(epk));
        memcpy(ret_z->data, shared + 1, ECDH_P256_COORD_SIZE);
        memory_wipe(shared, sizeof(shared));
        return 0;
}
