/* TPMT_PUBLIC to OpenSSL and back out as SubjectPublicKeyInfo, through the
 * OpenSSL 3 provider interfaces, no deprecated RSA/EC key types. The
 * verifier does this for every attestation, so the common cases skip
 * OpenSSL's slow generic paths: EC keys are copies of curve parameters made
 * once (not EVP_PKEY_fromdata() or the DER decoder), and the
 * SubjectPublicKeyInfo of RSA and NIST EC keys is written here (not by the
 * encoder), byte for byte what OpenSSL would make of them. */

#include "confnode/tpm/tpm-public-key.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "confnode/basic/evp-fetch.h"
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

/* The NIST curves a TPM may hold, with what a SubjectPublicKeyInfo names
 * them by (RFC 5480 2.1.1.1: id-ecPublicKey, then the named curve). */
typedef struct TpmEcCurve {
        uint16_t tpm_curve;
        EvpFetchCurve fetch;
        const char *group;
        size_t field;
        const uint8_t *alg_id; /* the contents of the AlgorithmIdentifier SEQUENCE */
        size_t alg_id_size;
} TpmEcCurve;

static const uint8_t tpm_spki_ec_p256[] = {
        0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,       /* id-ecPublicKey */
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, /* prime256v1 */
};
static const uint8_t tpm_spki_ec_p384[] = {
        0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, /* id-ecPublicKey */
        0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,             /* secp384r1 */
};
static const uint8_t tpm_spki_ec_p521[] = {
        0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, /* id-ecPublicKey */
        0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23,             /* secp521r1 */
};
static const uint8_t tpm_spki_rsa_alg_id[] = {
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, /* rsaEncryption */
        0x05, 0x00,                                                       /* NULL */
};

static const TpmEcCurve tpm_ec_curves[] = {
        { TPM_ECC_NIST_P256, EVP_FETCH_P256, "prime256v1", 32, tpm_spki_ec_p256,
          sizeof(tpm_spki_ec_p256) },
        { TPM_ECC_NIST_P384, EVP_FETCH_P384, "secp384r1", 48, tpm_spki_ec_p384,
          sizeof(tpm_spki_ec_p384) },
        { TPM_ECC_NIST_P521, EVP_FETCH_P521, "secp521r1", 66, tpm_spki_ec_p521,
          sizeof(tpm_spki_ec_p521) },
};

/* point is an X9.62 point (0x04 || X || Y); OpenSSL checks that it lies on
 * the curve, as EVP_PKEY_fromdata() does. -EBADMSG if it does not. The
 * curve's parameters are made once (EVP_PKEY_fromdata() builds them from
 * the name for every key, 16 us for P-256). */
static int tpm_public_key_ec_import(size_t curve, const uint8_t *point, size_t size,
                                    EVP_PKEY **ret) {
        int r = evp_fetch_ec_public_key(tpm_ec_curves[curve].fetch, point, size, ret);

        if (r == -EOPNOTSUPP)
                return log_debug_errno(EOPNOTSUPP, "OpenSSL has no curve %s",
                                       tpm_ec_curves[curve].group);
        if (r == -EBADMSG)
                return log_debug_errno(EBADMSG, "OpenSSL refused the EC public key");
        return r;
}

static int tpm_public_key_from_tpmt_ecc(const TpmPublic *pub, EVP_PKEY **ret) {
        uint8_t point[1 + 2 * TPM_MAX_ECC_BYTES] = {0x04};
        const char *group;
        size_t field, curve;

        for (curve = 0; curve < ELEMENTSOF(tpm_ec_curves); curve++)
                if (tpm_ec_curves[curve].tpm_curve == pub->ecc_curve)
                        break;
        if (curve == ELEMENTSOF(tpm_ec_curves))
                return log_debug_errno(EOPNOTSUPP, "Unsupported ECC curve 0x%04x", pub->ecc_curve);
        group = tpm_ec_curves[curve].group;
        field = tpm_ec_curves[curve].field;
        if (pub->ecc_x_size == 0 || pub->ecc_y_size == 0 || pub->ecc_x_size > field ||
            pub->ecc_y_size > field)
                return log_debug_errno(EBADMSG,
                                       "ECC point coordinates of %zu and %zu bytes do not fit %s",
                                       pub->ecc_x_size, pub->ecc_y_size, group);
        /* The TPM strips nothing, but a coordinate may legally be shorter
         * than the field; the uncompressed point needs both full width. */
        memcpy(point + 1 + field - pub->ecc_x_size, pub->ecc_x, pub->ecc_x_size);
        memcpy(point + 1 + 2 * field - pub->ecc_y_size, pub->ecc_y, pub->ecc_y_size);
        return tpm_public_key_ec_import(curve, point, 1 + 2 * field, ret);
}

size_t tpm_der_header_size(size_t len) {
        return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5;
}

size_t tpm_der_header(uint8_t *p, uint8_t tag, size_t len) {
        size_t n = tpm_der_header_size(len);

        p[0] = tag;
        if (n == 2) {
                p[1] = (uint8_t)len;
                return n;
        }
        p[1] = (uint8_t)(0x80 | (n - 2));
        for (size_t i = 0; i < n - 2; i++)
                p[n - 1 - i] = (uint8_t)(len >> (8 * i));
        return n;
}

size_t tpm_der_uint(uint8_t *p, const uint8_t *be, size_t size) {
        size_t o, pad, len;

        while (size > 1 && be[0] == 0) {
                be++;
                size--;
        }
        pad = size > 0 && (be[0] & 0x80) ? 1 : 0;
        len = pad + (size ? size : 1);
        if (!p)
                return tpm_der_header_size(len) + len;
        o = tpm_der_header(p, 0x02, len);
        if (pad || size == 0)
                p[o++] = 0;
        memcpy(p + o, be, size);
        return o + size;
}

/* SEQUENCE { SEQUENCE { alg_id }, BIT STRING { 0 unused bits, key } } */
static int tpm_spki_assemble(const uint8_t *alg_id, size_t alg_id_size, const uint8_t *key,
                             size_t key_size, uint8_t *buf, size_t size, size_t *ret_size) {
        size_t alg_len = tpm_der_header_size(alg_id_size) + alg_id_size;
        size_t bits_len = tpm_der_header_size(key_size + 1) + key_size + 1;
        size_t total = tpm_der_header_size(alg_len + bits_len) + alg_len + bits_len, o;

        if (total > size)
                return -ENOBUFS;
        o = tpm_der_header(buf, 0x30, alg_len + bits_len);
        o += tpm_der_header(buf + o, 0x30, alg_id_size);
        memcpy(buf + o, alg_id, alg_id_size);
        o += alg_id_size;
        o += tpm_der_header(buf + o, 0x03, key_size + 1);
        buf[o++] = 0;
        memcpy(buf + o, key, key_size);
        *ret_size = o + key_size;
        return 0;
}

static int tpm_spki_ec(EVP_PKEY *key, uint8_t *buf, size_t size, size_t *ret_size) {
        char group[32] = "", encoding[32] = "";
        uint8_t point[1 + 2 * TPM_MAX_ECC_BYTES];
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                 sizeof(group)),
                OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                                 sizeof(encoding)),
                /* In the key's own point form, as i2d_PUBKEY() writes it. */
                OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
                OSSL_PARAM_construct_end(),
        };

        if (EVP_PKEY_get_params(key, params) != 1 || !OSSL_PARAM_modified(&params[0]) ||
            !OSSL_PARAM_modified(&params[1]) || !OSSL_PARAM_modified(&params[2])) {
                ERR_clear_error();
                return -EOPNOTSUPP;
        }
        /* Explicit curve parameters are written out in full; leave them
         * to OpenSSL's encoder. */
        if (strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
                return -EOPNOTSUPP;
        for (size_t i = 0; i < ELEMENTSOF(tpm_ec_curves); i++)
                if (strcmp(group, tpm_ec_curves[i].group) == 0)
                        return tpm_spki_assemble(tpm_ec_curves[i].alg_id,
                                                 tpm_ec_curves[i].alg_id_size, point,
                                                 params[2].return_size, buf, size, ret_size);
        return -EOPNOTSUPP;
}

static int tpm_spki_rsa(EVP_PKEY *key, uint8_t *buf, size_t size, size_t *ret_size) {
        _cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
        uint8_t nb[1024], eb[16], rsa_key[1100];
        int n_size, e_size;
        size_t o, len;

        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
                ERR_clear_error();
                return -EOPNOTSUPP;
        }
        if (BN_num_bytes(n) > (int)sizeof(nb) || BN_num_bytes(e) > (int)sizeof(eb))
                return -EOPNOTSUPP;
        n_size = BN_bn2bin(n, nb);
        e_size = BN_bn2bin(e, eb);
        /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
        len = tpm_der_uint(NULL, nb, (size_t)n_size) + tpm_der_uint(NULL, eb, (size_t)e_size);
        if (tpm_der_header_size(len) + len > sizeof(rsa_key))
                return -EOPNOTSUPP;
        o = tpm_der_header(rsa_key, 0x30, len);
        o += tpm_der_uint(rsa_key + o, nb, (size_t)n_size);
        o += tpm_der_uint(rsa_key + o, eb, (size_t)e_size);
        return tpm_spki_assemble(tpm_spki_rsa_alg_id, sizeof(tpm_spki_rsa_alg_id), rsa_key, o, buf,
                                 size, ret_size);
}

int tpm_public_key_spki(EVP_PKEY *key, uint8_t *buf, size_t size, size_t *ret_size) {
        switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_EC:
                return tpm_spki_ec(key, buf, size, ret_size);
        case EVP_PKEY_RSA:
                return tpm_spki_rsa(key, buf, size, ret_size);
        default:
                return -EOPNOTSUPP;
        }
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

/* The common DER SubjectPublicKeyInfo of an EC key, named curve and
 * uncompressed point, imported without OpenSSL's decoder: d2i_PUBKEY() sets
 * up a decoder chain for every key (100 us for P-256). Exactly these bytes
 * and nothing after them, or -EOPNOTSUPP for d2i_PUBKEY() to decide. */
static int tpm_public_key_from_ec_spki(const uint8_t *data, size_t size, EVP_PKEY **ret) {
        for (size_t i = 0; i < ELEMENTSOF(tpm_ec_curves); i++) {
                size_t point_size = 1 + 2 * tpm_ec_curves[i].field, n;
                uint8_t zero[1 + 2 * TPM_MAX_ECC_BYTES] = {0x04}, want[256];

                /* What tpm_spki_assemble() writes for this curve, with a
                 * point of all zeros: all but the point must match. */
                if (tpm_spki_assemble(tpm_ec_curves[i].alg_id, tpm_ec_curves[i].alg_id_size,
                                      zero, point_size, want, sizeof(want), &n) < 0)
                        continue;
                if (n != size || memcmp(data, want, n - point_size + 1) != 0)
                        continue;
                return tpm_public_key_ec_import(i, data + n - point_size, point_size, ret);
        }
        return -EOPNOTSUPP;
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
        int r, tpmt_r = -EBADMSG;

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
        } else if ((r = tpmt_r = tpm_attest_public_parse(data, size, &pub, err)) >= 0) {
                r = tpm_public_key_from_tpmt(&pub, &key);
                if (r < 0)
                        return r;
                format = TPM_KEY_FORMAT_TPMT;
        } else if ((r = tpm_public_key_from_ec_spki(data, size, &key)) >= 0 || r == -ENOMEM) {
                if (r < 0)
                        return r;
                format = TPM_KEY_FORMAT_DER;
        } else if (size > 0 && data[0] == 0x30) {
                const unsigned char *p = data;

                /* Anything the quick import did not take, a point off the
                 * curve included, gets OpenSSL's decoder and its verdict. */
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
                return tpmt_r;

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
        uint8_t spki[1200], md[32];
        size_t size;
        int r;

        /* i2d_PUBKEY() builds an encoder chain for every call (55 us for a
         * P-256 key); the DER of the keys a TPM has is simple enough to
         * write here, byte for byte what i2d_PUBKEY() writes. */
        r = tpm_public_key_spki(key, spki, sizeof(spki), &size);
        if (r == -EOPNOTSUPP || r == -ENOBUFS) {
                unsigned char *der = NULL;
                int n = i2d_PUBKEY(key, &der);

                if (n <= 0)
                        return -EIO;
                r = evp_fetch_sha256_digest(der, (size_t)n, md);
                OPENSSL_free(der);
        } else if (r >= 0)
                r = evp_fetch_sha256_digest(spki, size, md);
        if (r < 0)
                return r;
        for (int i = 0; i < 8; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}
