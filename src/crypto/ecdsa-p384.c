#include "confnode/crypto/ecdsa-p384.h"

#include <errno.h>
#include <string.h>

#include <gmp.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/sha2.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "confnode/basic/cleanup.h"

#define P384_COORD_SIZE 48

/* The public point as OpenSSL encodes it: 0x04 || X || Y. */
static int ecdsa_p384_public_point(EVP_PKEY *key, uint8_t out[static 1 + 2 * P384_COORD_SIZE]) {
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
                                            1 + 2 * P384_COORD_SIZE, &n) != 1 ||
            n != 1 + 2 * P384_COORD_SIZE || out[0] != 0x04) {
                ERR_clear_error();
                return -EOPNOTSUPP;
        }
        return 0;
}

int ecdsa_p384_verify_sha384(EVP_PKEY *key, const void *msg, size_t size, const uint8_t *r,
                             size_t r_size, const uint8_t *s, size_t s_size) {
        uint8_t point[1 + 2 * P384_COORD_SIZE], digest[SHA384_DIGEST_SIZE];
        const struct ecc_curve *curve = nettle_get_secp_384r1();
        struct sha384_ctx sha;
        struct ecc_point pub;
        struct dsa_signature sig;
        mpz_t x, y;
        int r_ok, ok;

        if (!key || (!msg && size > 0) || !r || !s)
                return -EINVAL;
        int e = ecdsa_p384_public_point(key, point);
        if (e < 0)
                return e;

        sha384_init(&sha);
        sha384_update(&sha, size, msg);
        sha384_digest(&sha, sizeof(digest), digest);

        mpz_inits(x, y, NULL);
        mpz_import(x, P384_COORD_SIZE, 1, 1, 1, 0, point + 1);
        mpz_import(y, P384_COORD_SIZE, 1, 1, 1, 0, point + 1 + P384_COORD_SIZE);
        ecc_point_init(&pub, curve);
        /* Checks that the point is on the curve. */
        r_ok = ecc_point_set(&pub, x, y);
        mpz_clears(x, y, NULL);
        if (!r_ok) {
                ecc_point_clear(&pub);
                return -EOPNOTSUPP;
        }

        dsa_signature_init(&sig);
        mpz_import(sig.r, r_size, 1, 1, 1, 0, r);
        mpz_import(sig.s, s_size, 1, 1, 1, 0, s);
        /* nettle rejects r or s outside [1, q-1] itself. */
        ok = ecdsa_verify(&pub, sizeof(digest), digest, &sig);
        dsa_signature_clear(&sig);
        ecc_point_clear(&pub);
        return ok ? 0 : -EKEYREJECTED;
}
