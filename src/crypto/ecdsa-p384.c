#include "confnode/crypto/ecdsa-p384.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/evp-fetch.h"
#include "confnode/crypto/p384.h"

#define P384_COORD_SIZE 48
#define SHA384_SIZE 48

/* The public point as OpenSSL encodes it: 0x04 || X || Y. */
static int ecdsa_p384_public_point(EVP_PKEY *key, uint8_t out[static P384_POINT_SIZE]) {
        char group[32];
        size_t n = 0;

        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           NULL) != 1 ||
            (strcmp(group, "secp384r1") != 0 && strcmp(group, "P-384") != 0)) {
                ERR_clear_error();
                return -EOPNOTSUPP;
        }
        /* OpenSSL hands out the point in the form it was given; ask for
         * the uncompressed one. */
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
                                            P384_POINT_SIZE, &n) != 1 ||
            n != P384_POINT_SIZE || out[0] != 0x04) {
                ERR_clear_error();
                return -EOPNOTSUPP;
        }
        return 0;
}

int ecdsa_p384_key_new(EVP_PKEY *key, P384Key **ret) {
        uint8_t point[P384_POINT_SIZE];
        int r;

        if (!key || !ret)
                return -EINVAL;
        r = ecdsa_p384_public_point(key, point);
        if (r < 0)
                return r;
        r = p384_key_new(point, ret);
        return r == -EINVAL ? -EOPNOTSUPP : r;
}

/* A big-endian integer of any length as 48 bytes; false if it does not fit,
 * which makes it at least 2^384, above n, so no valid r or s. */
static bool ecdsa_p384_scalar(const uint8_t *in, size_t size, uint8_t out[static P384_SCALAR_SIZE]) {
        while (size > P384_SCALAR_SIZE) {
                if (*in != 0)
                        return false;
                in++;
                size--;
        }
        memset(out, 0, P384_SCALAR_SIZE - size);
        if (size > 0)
                memcpy(out + P384_SCALAR_SIZE - size, in, size);
        return true;
}

int ecdsa_p384_verify_sha384(EVP_PKEY *key, const void *msg, size_t size, const uint8_t *r,
                             size_t r_size, const uint8_t *s, size_t s_size) {
        uint8_t point[P384_POINT_SIZE], digest[SHA384_SIZE], r48[P384_SCALAR_SIZE],
                s48[P384_SCALAR_SIZE];
        const EVP_MD *md;
        int e;

        if (!key || (!msg && size > 0) || !r || !s)
                return -EINVAL;
        e = ecdsa_p384_public_point(key, point);
        if (e < 0)
                return e;

        md = evp_fetch_md(EVP_FETCH_SHA384);
        if (!md || EVP_Digest(size > 0 ? msg : "", size, digest, NULL, md, NULL) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        if (!ecdsa_p384_scalar(r, r_size, r48) || !ecdsa_p384_scalar(s, s_size, s48))
                return -EKEYREJECTED;
        e = p384_verify(point, digest, r48, s48);
        /* A point OpenSSL took but that is not on the curve: the caller may
         * let OpenSSL say no. */
        return e == -EINVAL ? -EOPNOTSUPP : e;
}
