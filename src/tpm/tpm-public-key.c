/* TPMT_PUBLIC to OpenSSL and back out as SubjectPublicKeyInfo, through the
 * OpenSSL 3 provider interfaces (EVP_PKEY_fromdata), no deprecated RSA/EC
 * key types. */

#include "confnode/tpm/tpm-public-key.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "confnode/basic/log.h"
#include "tpm-openssl-internal.h"

static const char *const key_formats[_TPM_KEY_FORMAT_MAX] = {
        [TPM_KEY_FORMAT_PEM] = "pem",
        [TPM_KEY_FORMAT_DER] = "der",
        [TPM_KEY_FORMAT_TPMT] = "tpmt_public",
        [TPM_KEY_FORMAT_TPM2B] = "tpm2b_public",
};

const char *tpm_public_key_format_to_string(TpmKeyFormat f) {
        if (f < 0 || f >= _TPM_KEY_FORMAT_MAX)
                return NULL;
        return key_formats[f];
}

static int tpm_public_key_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **ret) {
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *key = NULL;

        params = OSSL_PARAM_BLD_to_param(bld);
        if (!params)
                return -ENOMEM;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        if (!ctx)
                return -ENOMEM;
        if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
                return log_debug_errno(EBADMSG, "OpenSSL refused the %s public key", type);
        *ret = key;
        return 0;
}

static int tpm_public_key_from_tpmt_rsa(const TpmPublic *pub, EVP_PKEY **ret) {
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
        _cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;

        if (pub->rsa_modulus_size == 0 || pub->rsa_key_bits % 8 != 0 ||
            pub->rsa_modulus_size != pub->rsa_key_bits / 8u)
                return log_debug_errno(EBADMSG,
                                       "RSA modulus of %zu bytes does not match key_bits %u",
                                       pub->rsa_modulus_size, pub->rsa_key_bits);
        if (pub->rsa_key_bits < 1024)
                return log_debug_errno(EOPNOTSUPP, "RSA keys of %u bits are too weak",
                                       pub->rsa_key_bits);
        n = BN_bin2bn(pub->rsa_modulus, (int)pub->rsa_modulus_size, NULL);
        e = BN_new();
        bld = OSSL_PARAM_BLD_new();
        if (!n || !e || !bld)
                return -ENOMEM;
        /* An exponent of zero means the TPM default, 2^16 + 1. */
        if (BN_set_word(e, pub->rsa_exponent ? pub->rsa_exponent : 65537) != 1)
                return -ENOMEM;
        if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
                return -ENOMEM;
        return tpm_public_key_fromdata("RSA", bld, ret);
}

static int tpm_public_key_from_tpmt_ecc(const TpmPublic *pub, EVP_PKEY **ret) {
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
        uint8_t point[1 + 2 * TPM_MAX_ECC_BYTES] = {0x04};
        const char *group;
        size_t field;

        switch (pub->ecc_curve) {
        case TPM_ECC_NIST_P256:
                group = "prime256v1";
                field = 32;
                break;
        case TPM_ECC_NIST_P384:
                group = "secp384r1";
                field = 48;
                break;
        case TPM_ECC_NIST_P521:
                group = "secp521r1";
                field = 66;
                break;
        default:
                return log_debug_errno(EOPNOTSUPP, "Unsupported ECC curve 0x%04x", pub->ecc_curve);
        }
        if (pub->ecc_x_size == 0 || pub->ecc_y_size == 0 || pub->ecc_x_size > field ||
            pub->ecc_y_size > field)
                return log_debug_errno(EBADMSG,
                                       "ECC point coordinates of %zu and %zu bytes do not fit %s",
                                       pub->ecc_x_size, pub->ecc_y_size, group);
        /* The TPM strips nothing, but a coordinate may legally be shorter
         * than the field; the uncompressed point needs both full width. */
        memcpy(point + 1 + field - pub->ecc_x_size, pub->ecc_x, pub->ecc_x_size);
        memcpy(point + 1 + 2 * field - pub->ecc_y_size, pub->ecc_y, pub->ecc_y_size);

        bld = OSSL_PARAM_BLD_new();
        if (!bld)
                return -ENOMEM;
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * field) !=
                    1)
                return -ENOMEM;
        return tpm_public_key_fromdata("EC", bld, ret);
}

int tpm_public_key_from_tpmt(const TpmPublic *pub, EVP_PKEY **ret) {
        switch (pub->type) {
        case TPM_ALG_RSA:
                return tpm_public_key_from_tpmt_rsa(pub, ret);
        case TPM_ALG_ECC:
                return tpm_public_key_from_tpmt_ecc(pub, ret);
        default:
                return -EOPNOTSUPP;
        }
}

static bool tpm_public_key_is_pem(const uint8_t *data, size_t size) {
        static const char begin[] = "-----BEGIN ";
        size_t i = 0;

        while (i < size &&
               (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
                i++;
        return size - i >= strlen(begin) && memcmp(data + i, begin, strlen(begin)) == 0;
}

int tpm_public_key_load(const uint8_t *data, size_t size, EVP_PKEY **ret, TpmKeyFormat *ret_format,
                        TpmPublic *ret_pub, bool *ret_has_pub, ParseError *err) {
        TpmKeyFormat format;
        TpmPublic pub;
        EVP_PKEY *key = NULL;
        int r;

        if (size > INT32_MAX)
                return -EFBIG;
        if (tpm_public_key_is_pem(data, size)) {
                _cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(data, (int)size);

                if (!bio)
                        return -ENOMEM;
                key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
                if (!key) {
                        Reader rd;

                        reader_init(&rd, data, size, err);
                        return reader_fail(&rd, NULL,
                                           "not a PEM SubjectPublicKeyInfo (BEGIN PUBLIC KEY)");
                }
                format = TPM_KEY_FORMAT_PEM;
        } else if (size >= 2 && ((size_t)data[0] << 8 | data[1]) == size - 2 &&
                   tpm_attest_public_parse(data + 2, size - 2, &pub, NULL) >= 0) {
                /* A TPMT_PUBLIC never starts with its own length (its first
                 * field is the key type, 0x0001 or 0x0023), so a leading
                 * size equal to the rest marks a TPM2B_PUBLIC. */
                r = tpm_public_key_from_tpmt(&pub, &key);
                if (r < 0)
                        return r;
                format = TPM_KEY_FORMAT_TPM2B;
        } else if ((r = tpm_attest_public_parse(data, size, &pub, err)) >= 0) {
                r = tpm_public_key_from_tpmt(&pub, &key);
                if (r < 0)
                        return r;
                format = TPM_KEY_FORMAT_TPMT;
        } else if (size > 0 && data[0] == 0x30) {
                const unsigned char *p = data;

                key = d2i_PUBKEY(NULL, &p, (long)size);
                if (!key || p != data + size) {
                        Reader rd;

                        EVP_PKEY_free(key);
                        reader_init(&rd, data, size, err);
                        return reader_fail(&rd, NULL,
                                           "neither a TPMT_PUBLIC nor a DER SubjectPublicKeyInfo");
                }
                format = TPM_KEY_FORMAT_DER;
        } else
                return r;

        if (ret_format)
                *ret_format = format;
        if (ret_has_pub)
                *ret_has_pub = format == TPM_KEY_FORMAT_TPMT || format == TPM_KEY_FORMAT_TPM2B;
        if (ret_pub && (format == TPM_KEY_FORMAT_TPMT || format == TPM_KEY_FORMAT_TPM2B))
                *ret_pub = pub;
        *ret = key;
        return 0;
}

int tpm_public_key_to_pem(EVP_PKEY *key, char **ret) {
        _cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
        char *data, *s;
        long n;

        if (!bio)
                return -ENOMEM;
        if (PEM_write_bio_PUBKEY(bio, key) != 1)
                return -EIO;
        n = BIO_get_mem_data(bio, &data);
        if (n <= 0)
                return -EIO;
        s = strndup(data, (size_t)n);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int tpm_public_key_fingerprint(EVP_PKEY *key, char ret[static 17]) {
        unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
        unsigned md_size;
        int n, ok;

        n = i2d_PUBKEY(key, &der);
        if (n <= 0)
                return -EIO;
        ok = EVP_Digest(der, (size_t)n, md, &md_size, EVP_sha256(), NULL);
        OPENSSL_free(der);
        if (ok != 1)
                return -EIO;
        for (int i = 0; i < 8; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}
