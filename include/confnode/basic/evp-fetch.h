#pragma once

/* OpenSSL 3 algorithms fetched once per process. Passing EVP_sha256() or a
 * name to OpenSSL 3.0 makes it fetch the algorithm again on every use: a
 * provider lookup under a global lock, on the verifier's hot paths many
 * times per attestation. These are fetched on first use and kept until the
 * process exits; callers must not free them. NULL when the providers
 * loaded do not have the algorithm. */

#include <openssl/evp.h>
#include <openssl/kdf.h>

typedef enum EvpFetchMd {
        EVP_FETCH_SHA1,
        EVP_FETCH_SHA256,
        EVP_FETCH_SHA384,
        EVP_FETCH_SHA512,
        EVP_FETCH_SM3,
        EVP_FETCH_SHA3_256,
        EVP_FETCH_SHA3_384,
        EVP_FETCH_SHA3_512,
        _EVP_FETCH_MD_MAX,
        _EVP_FETCH_MD_INVALID = -22,
} EvpFetchMd;

typedef enum EvpFetchCipher {
        EVP_FETCH_AES_256_GCM,
        EVP_FETCH_AES_256_WRAP,
        _EVP_FETCH_CIPHER_MAX,
        _EVP_FETCH_CIPHER_INVALID = -22,
} EvpFetchCipher;

typedef enum EvpFetchKdf {
        EVP_FETCH_HKDF,
        EVP_FETCH_SSKDF,
        _EVP_FETCH_KDF_MAX,
        _EVP_FETCH_KDF_INVALID = -22,
} EvpFetchKdf;

const EVP_MD *evp_fetch_md(EvpFetchMd id);
const EVP_CIPHER *evp_fetch_cipher(EvpFetchCipher id);
/* Not const only because EVP_KDF_CTX_new() takes it so. */
EVP_KDF *evp_fetch_kdf(EvpFetchKdf id);

static inline const EVP_MD *evp_fetch_sha256(void) {
        return evp_fetch_md(EVP_FETCH_SHA256);
}

typedef enum EvpFetchCurve {
        EVP_FETCH_P256,
        EVP_FETCH_P384,
        EVP_FETCH_P521,
        _EVP_FETCH_CURVE_MAX,
        _EVP_FETCH_CURVE_INVALID = -22,
} EvpFetchCurve;

/* EC keys from a key that holds only the curve's parameters, made once:
 * EVP_PKEY_fromdata() and EVP_PKEY_Q_keygen() fetch the key manager and
 * build the curve's group from its name for every key.
 * evp_fetch_ec_public_key() takes an uncompressed X9.62 point (0x04 || X ||
 * Y, each the field's width) and, as fromdata does, returns -EBADMSG if it
 * is not on the curve; any other encoding is -EBADMSG too. evp_fetch_ec_generate() makes a
 * fresh key pair each call, -EIO if OpenSSL fails. -EOPNOTSUPP for a curve
 * OpenSSL lacks. */
int evp_fetch_ec_public_key(EvpFetchCurve curve, const uint8_t *point, size_t size,
                            EVP_PKEY **ret);
int evp_fetch_ec_generate(EvpFetchCurve curve, EVP_PKEY **ret);

/* SHA-256 of data in one call, with the fetched digest. -EIO if OpenSSL
 * fails. */
int evp_fetch_sha256_digest(const void *data, size_t size, uint8_t ret[static 32]);
