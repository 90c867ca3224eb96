#pragma once

/* Cleanup helpers for the OpenSSL types the TDX and Azure code uses, and
 * the ECDSA helpers both need. Private to src/evidence: the public headers
 * leave these types opaque, and another module may define the same
 * helpers for itself. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/openssl-cleanup.h"


/* An uncompressed P-256 point (x || y, 32 bytes each, big-endian) as a
 * public key. -EBADMSG if it is not a point on the curve, -ENOMEM. */
int tdx_openssl_p256_key(const uint8_t xy[static 64], EVP_PKEY **ret);

/* Verifies an ECDSA signature given as r || s (big-endian, 32 bytes each)
 * over data with SHA-256. 0 if valid, -EKEYREJECTED if not (a key that is
 * not EC included), -ENOMEM. */
int tdx_openssl_verify_p256(EVP_PKEY *key, const uint8_t rs[static 64], const uint8_t *data,
                            size_t size);

/* SHA-256, SHA-384 or SHA-512 of data by digest size (32, 48, 64) into
 * ret. -EINVAL for another size, -ENOMEM. */
int tdx_openssl_digest(size_t digest_size, const void *data, size_t size, uint8_t *ret);
