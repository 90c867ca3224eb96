/* The ECDSA P-256 primitives of DCAP quotes, over OpenSSL 3 EVP: keys and
 * signatures arrive as raw big-endian coordinates, as Intel lays them out,
 * and OpenSSL wants an encoded point and a DER ECDSA-Sig-Value. */

#include "tdx-openssl-internal.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

int tdx_openssl_p256_key(const uint8_t xy[static 64], EVP_PKEY **ret) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
        EVP_PKEY *key = NULL;
        uint8_t point[65];

        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, xy, 64);
        bld = OSSL_PARAM_BLD_new();
        if (!bld ||
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
                    1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) !=
                    1)
                return -ENOMEM;
        params = OSSL_PARAM_BLD_to_param(bld);
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1)
                return -ENOMEM;
        /* The import decodes the point and refuses one off the curve. */
        if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
                ERR_clear_error();
                return -EBADMSG;
        }
        *ret = key;
        return 0;
}

int tdx_openssl_verify_p256(EVP_PKEY *key, const uint8_t rs[static 64], const uint8_t *data,
                            size_t size) {
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        BIGNUM *r = NULL, *s = NULL;
        unsigned char *der = NULL;
        int n, ok;

        if (!sig || !ctx)
                return -ENOMEM;
        if (!EVP_PKEY_is_a(key, "EC"))
                return -EKEYREJECTED;
        r = BN_bin2bn(rs, 32, NULL);
        s = BN_bin2bn(rs + 32, 32, NULL);
        if (!r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
                BN_free(r);
                BN_free(s);
                return -ENOMEM;
        }
        n = i2d_ECDSA_SIG(sig, &der);
        if (n <= 0)
                return -ENOMEM;
        ok = EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
             EVP_DigestVerify(ctx, der, (size_t)n, data, size) == 1;
        OPENSSL_free(der);
        /* A signature that does not verify leaves errors on the queue that
         * say nothing the result does not. */
        ERR_clear_error();
        return ok ? 0 : -EKEYREJECTED;
}

int tdx_openssl_digest(size_t digest_size, const void *data, size_t size, uint8_t *ret) {
        const char *name;

        switch (digest_size) {
        case 32:
                name = "SHA256";
                break;
        case 48:
                name = "SHA384";
                break;
        case 64:
                name = "SHA512";
                break;
        default:
                return -EINVAL;
        }
        if (EVP_Q_digest(NULL, name, NULL, data, size, ret, NULL) != 1) {
                ERR_clear_error();
                return -ENOMEM;
        }
        return 0;
}
