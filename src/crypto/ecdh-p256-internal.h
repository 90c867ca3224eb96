#pragma once

/* The sender's half of ECDH on P-256 (the ECDH-ES of a JWE the verifier
 * makes), on OpenSSL's EC_GROUP and EC_POINT with a group made once per
 * process. No EVP_PKEY is made for the ephemeral key: generating one
 * through the provider costs more than the fixed-base multiplication it
 * wraps. Private to src/crypto. */

#include <stdint.h>

#include "confnode/basic/secret.h"

#define ECDH_P256_SCALAR_SIZE 32 /* bytes of a private scalar, big-endian */
#define ECDH_P256_COORD_SIZE 32
#define ECDH_P256_POINT_SIZE (1 + 2 * ECDH_P256_COORD_SIZE) /* 0x04 || X || Y */

/* From the scalar k (big-endian, ECDH_P256_SCALAR_SIZE random bytes) and
 * the peer's uncompressed point: ret_epk gets k*G uncompressed, and
 * ret_z (ECDH_P256_COORD_SIZE bytes long) the x coordinate of k*peer.
 * -ERANGE if k is 0 or not below the group order (the caller draws
 * another), -EBADMSG if peer is not an uncompressed point on P-256,
 * -ENOMEM, -EIO if OpenSSL fails otherwise. ret_epk and ret_z are written
 * only on success. */
int ecdh_p256_derive(const uint8_t k[static ECDH_P256_SCALAR_SIZE],
                     const uint8_t peer[static ECDH_P256_POINT_SIZE],
                     uint8_t ret_epk[static ECDH_P256_POINT_SIZE], Secret *ret_z);
