#include "confnode/basic/evp-fetch.h"

#include <errno.h>
#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "confnode/basic/cleanup.h"

static const char *const evp_fetch_md_names[_EVP_FETCH_MD_MAX] = {
        [EVP_FETCH_SHA1] = "SHA1",           [EVP_FETCH_SHA256] = "SHA2-256",
        [EVP_FETCH_SHA384] = "SHA2-384",     [EVP_FETCH_SHA512] = "SHA2-512",
        [EVP_FETCH_SM3] = "SM3",             [EVP_FETCH_SHA3_256] = "SHA3-256",
        [EVP_FETCH_SHA3_384] = "SHA3-384",   [EVP_FETCH_SHA3_512] = "SHA3-512",
};

static const char *const evp_fetch_cipher_names[_EVP_FETCH_CIPHER_MAX] = {
        [EVP_FETCH_AES_256_GCM] = "AES-256-GCM",
        [EVP_FETCH_AES_256_WRAP] = "AES-256-WRAP",
};

static const char *const evp_fetch_kdf_names[_EVP_FETCH_KDF_MAX] = {
        [EVP_FETCH_HKDF] = "HKDF",
        [EVP_FETCH_SSKDF] = "SSKDF",
};

static const size_t evp_fetch_curve_fields[_EVP_FETCH_CURVE_MAX] = {
        [EVP_FETCH_P256] = 32,
        [EVP_FETCH_P384] = 48,
        [EVP_FETCH_P521] = 66,
};

static const char *const evp_fetch_curve_names[_EVP_FETCH_CURVE_MAX] = {
        [EVP_FETCH_P256] = "prime256v1",
        [EVP_FETCH_P384] = "secp384r1",
        [EVP_FETCH_P521] = "secp521r1",
};

static pthread_once_t evp_fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *evp_fetch_mds[_EVP_FETCH_MD_MAX];
static EVP_CIPHER *evp_fetch_ciphers[_EVP_FETCH_CIPHER_MAX];
static EVP_KDF *evp_fetch_kdfs[_EVP_FETCH_KDF_MAX];
static EVP_PKEY *evp_fetch_curves[_EVP_FETCH_CURVE_MAX];

static void evp_fetch_curves_make(void) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

        if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
                for (size_t i = 0; i < _EVP_FETCH_CURVE_MAX; i++) {
                        OSSL_PARAM params[] = {
                                OSSL_PARAM_construct_utf8_string(
                                        OSSL_PKEY_PARAM_GROUP_NAME,
                                        (char *)evp_fetch_curve_names[i], 0),
                                OSSL_PARAM_construct_end(),
                        };

                        if (EVP_PKEY_fromdata(ctx, &evp_fetch_curves[i], EVP_PKEY_KEY_PARAMETERS,
                                              params) != 1)
                                evp_fetch_curves[i] = NULL;
                }
        EVP_PKEY_CTX_free(ctx);
}

/* All of them at once: a few microseconds, once. They stay fetched for the
 * life of the process (freeing them at exit would race threads still
 * hashing, and OpenSSL's own atexit handler tears the providers down). An
 * algorithm a provider lacks (SM3 in a FIPS setup) stays NULL, and its
 * callers report it unsupported as before. */
static void evp_fetch_all(void) {
        for (size_t i = 0; i < _EVP_FETCH_MD_MAX; i++)
                evp_fetch_mds[i] = EVP_MD_fetch(NULL, evp_fetch_md_names[i], NULL);
        for (size_t i = 0; i < _EVP_FETCH_CIPHER_MAX; i++)
                evp_fetch_ciphers[i] = EVP_CIPHER_fetch(NULL, evp_fetch_cipher_names[i], NULL);
        for (size_t i = 0; i < _EVP_FETCH_KDF_MAX; i++)
                evp_fetch_kdfs[i] = EVP_KDF_fetch(NULL, evp_fetch_kdf_names[i], NULL);
        evp_fetch_curves_make();
        ERR_clear_error();
}

const EVP_MD *evp_fetch_md(EvpFetchMd id) {
        if (id < 0 || id >= _EVP_FETCH_MD_MAX)
                return NULL;
        (void)pthread_once(&evp_fetch_once, evp_fetch_all);
        return evp_fetch_mds[id];
}

const EVP_CIPHER *evp_fetch_cipher(EvpFetchCipher id) {
        if (id < 0 || id >= _EVP_FETCH_CIPHER_MAX)
                return NULL;
        (void)pthread_once(&evp_fetch_once, evp_fetch_all);
        return evp_fetch_ciphers[id];
}

EVP_KDF *evp_fetch_kdf(EvpFetchKdf id) {
        if (id < 0 || id >= _EVP_FETCH_KDF_MAX)
                return NULL;
        (void)pthread_once(&evp_fetch_once, evp_fetch_all);
        return evp_fetch_kdfs[id];
}

int evp_fetch_sha256_digest(const void *data, size_t size, uint8_t ret[static 32]) {
        const EVP_MD *md = evp_fetch_sha256();
        unsigned n = 0;

        if (!md || EVP_Digest(data, size, ret, &n, md, NULL) != 1 || n != 32) {
                ERR_clear_error();
                return -EIO;
        }
        return 0;
}

static EVP_PKEY *evp_fetch_curve(EvpFetchCurve curve) {
        if (curve < 0 || curve >= _EVP_FETCH_CURVE_MAX)
                return NULL;
        (void)pthread_once(&evp_fetch_once, evp_fetch_all);
        return evp_fetch_curves[curve];
}

int evp_fetch_ec_public_key(EvpFetchCurve curve, const uint8_t *point, size_t size,
                            EVP_PKEY **ret) {
        EVP_PKEY *params = evp_fetch_curve(curve), *key;

        if (!params)
                return -EOPNOTSUPP;
        /* Uncompressed points only: OpenSSL would take the point at
         * infinity (one byte 0x00) as a public key. */
        if (size != 1 + 2 * evp_fetch_curve_fields[curve] || point[0] != 0x04)
                return -EBADMSG;
        /* A copy of the parameters with the point set is the key fromdata
         * makes; setting it checks that the point is on the curve. */
        key = EVP_PKEY_dup(params);
        if (!key)
                return -ENOMEM;
        if (EVP_PKEY_set1_encoded_public_key(key, point, size) != 1) {
                EVP_PKEY_free(key);
                ERR_clear_error();
                return -EBADMSG;
        }
        *ret = key;
        return 0;
}

int evp_fetch_ec_generate(EvpFetchCurve curve, EVP_PKEY **ret) {
        EVP_PKEY *params = evp_fetch_curve(curve), *key = NULL;
        EVP_PKEY_CTX *ctx;
        int ok;

        if (!params)
                return -EOPNOTSUPP;
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
        if (!ctx)
                return -ENOMEM;
        ok = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_generate(ctx, &key) == 1;
        EVP_PKEY_CTX_free(ctx);
        if (!ok) {
                EVP_PKEY_free(key);
                ERR_clear_error();
                return -EIO;
        }
        *ret = key;
        return 0;
}
