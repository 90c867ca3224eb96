#include "confnode/crypto/jwe.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "ecdh-p256-internal.h"
#include "jose-internal.h"

#define JWE_CEK_SIZE 32                /* A256GCM */
#define JWE_GCM_IV_SIZE 12             /* RFC 7518 5.3: 96-bit IV */
#define JWE_GCM_TAG_SIZE 16            /* RFC 7518 5.3: 128-bit tag */
#define JWE_KW_SIZE (JWE_CEK_SIZE + 8) /* RFC 3394: n 64-bit blocks + 1 */
#define JWE_MAX_APX 256u               /* bytes of apu / apv we hash */
/* What jwe_encrypt() draws at once: CEK || IV || ECDH-ES scalar. */
#define JWE_FRESH_K (JWE_CEK_SIZE + JWE_GCM_IV_SIZE)
#define JWE_FRESH_SIZE (JWE_FRESH_K + ECDH_P256_SCALAR_SIZE)
/* The protected header we write: 173 characters for ECDH-ES+A256KW. */
#define JWE_HEADER_MAX 256
#define JWE_HEADER_B64_MAX (JWE_HEADER_MAX / 3 * 4 + 4)

static const JsonParseLimits jwe_json_limits = {
        .max_size = JWE_MAX_SIZE,
        /* Flat, but one level more lets "header":{…} reach our explicit refusal. */
        .max_depth = 2,
        .max_values = 64,
};

static const JsonParseLimits jwe_header_limits = {
        .max_size = JWE_MAX_PROTECTED,
        .max_depth = 3, /* {"epk":{…}} and room for one more */
        .max_values = 128,
};

/* Records a reason, logs it at debug level and returns r. */
static int jwe_fail(const char **ret_reason, int r, const char *reason, const char *what) {
        if (ret_reason)
                *ret_reason = reason;
        log_debug("JWE rejected (%s): %s", reason, what);
        return r;
}

void jwe_free(Jwe *jwe) {
        if (!jwe)
                return;
        free(jwe->protected_b64);
        json_object_put(jwe->header);
        free(jwe->encrypted_key);
        free(jwe->iv);
        free(jwe->ciphertext);
        free(jwe->tag);
        free(jwe->aad_b64);
        free(jwe);
}

/* A required base64url member of the flattened JSON, decoded. */
static int jwe_member_bytes(json_object *obj, const char *name, size_t max, uint8_t **ret,
                            size_t *ret_size, const char **ret_reason) {
        const char *s;
        size_t len;
        int r;

        r = jose_get_string(obj, name, &s, &len);
        if (r < 0) {
                log_debug("JWE member %s: %s.", name, r == -ENOENT ? "missing" : "not a string");
                return jwe_fail(ret_reason, -EBADMSG, "jwe.malformed", name);
        }
        r = base64url_decode(s, len, max, ret, ret_size);
        if (r == -E2BIG)
                return jwe_fail(ret_reason, -E2BIG, "jwe.too_large", name);
        if (r == -EBADMSG) {
                log_debug("JWE member %s: not base64url without padding.", name);
                return jwe_fail(ret_reason, r, "jwe.malformed", name);
        }
        return r;
}

static int jwe_parse_header(Jwe *jwe, const char **ret_reason) {
        _cleanup_free_ uint8_t *text = NULL;
        size_t text_size;
        int r;

        r = base64url_decode(jwe->protected_b64, strlen(jwe->protected_b64), JWE_MAX_PROTECTED,
                             &text, &text_size);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.header_malformed",
                                "protected is not base64url");
        r = json_parse_bounded(text, text_size, &jwe_header_limits, &jwe->header, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !json_object_is_type(jwe->header, json_type_object))
                return jwe_fail(ret_reason, -EBADMSG, "jwe.header_malformed",
                                "protected header is not a JSON object");
        if (jose_get_string(jwe->header, "alg", &jwe->alg, &jwe->alg_len) < 0)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.header_malformed",
                                "alg missing or not a string");
        if (jose_get_string(jwe->header, "enc", &jwe->enc, &jwe->enc_len) < 0)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.header_malformed",
                                "enc missing or not a string");
        return 0;
}

int jwe_parse(const void *data, size_t size, Jwe **ret, const char **ret_reason) {
        static const char *const refused[] = {"recipients", "header", "unprotected"};
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(jwe_freep) Jwe *jwe = NULL;
        const char *s;
        size_t len;
        int r;

        r = json_parse_bounded(data, size, &jwe_json_limits, &j, NULL);
        if (r == -E2BIG)
                return jwe_fail(ret_reason, r, "jwe.too_large", "JSON over its bounds");
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !json_object_is_type(j, json_type_object))
                return jwe_fail(ret_reason, -EBADMSG, "jwe.malformed", "not a JSON object");
        /* The general serialization and unprotected headers would let
         * parameters bypass the integrity the protected header has; Trustee
         * sends neither. */
        for (size_t i = 0; i < ELEMENTSOF(refused); i++)
                if (json_object_object_get_ex(j, refused[i], NULL))
                        return jwe_fail(ret_reason, -EOPNOTSUPP, "jwe.unsupported_member",
                                        refused[i]);

        jwe = calloc(1, sizeof(*jwe));
        if (!jwe)
                return -ENOMEM;
        r = jose_get_string(j, "protected", &s, &len);
        if (r < 0)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.malformed",
                                "protected missing or not a string");
        if (len > JWE_MAX_PROTECTED)
                return jwe_fail(ret_reason, -E2BIG, "jwe.too_large", "protected");
        jwe->protected_b64 = strndup(s, len);
        if (!jwe->protected_b64)
                return -ENOMEM;
        if (strlen(jwe->protected_b64) != len)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.malformed", "protected holds NUL");
        r = jwe_parse_header(jwe, ret_reason);
        if (r < 0)
                return r;

        if ((r = jwe_member_bytes(j, "encrypted_key", JWE_MAX_ENCRYPTED_KEY, &jwe->encrypted_key,
                                  &jwe->encrypted_key_size, ret_reason)) < 0 ||
            (r = jwe_member_bytes(j, "iv", JWE_MAX_IV, &jwe->iv, &jwe->iv_size, ret_reason)) < 0 ||
            (r = jwe_member_bytes(j, "ciphertext", JWE_MAX_SIZE, &jwe->ciphertext,
                                  &jwe->ciphertext_size, ret_reason)) < 0 ||
            (r = jwe_member_bytes(j, "tag", JWE_MAX_TAG, &jwe->tag, &jwe->tag_size, ret_reason)) <
                    0)
                return r;

        r = jose_get_string(j, "aad", &s, &len);
        if (r == -EBADMSG)
                return jwe_fail(ret_reason, r, "jwe.malformed", "aad is not a string");
        if (r == 0) {
                if (len > JWE_MAX_AAD)
                        return jwe_fail(ret_reason, -E2BIG, "jwe.too_large", "aad");
                /* Kept encoded: RFC 7516 5.1 step 14 feeds the encoded
                 * form to the AEAD, so its exact characters are what the
                 * tag covers. Only the alphabet is checked; kbs-types
                 * checks nothing, and its test "fakeaad" is not canonical. */
                if (!base64url_is_alphabet(s, len))
                        return jwe_fail(ret_reason, -EBADMSG, "jwe.malformed",
                                        "aad is not base64url");
                jwe->aad_b64 = strndup(s, len);
                if (!jwe->aad_b64)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(jwe);
        return 0;
}

/* AAD = ASCII(BASE64URL(protected header)) [ || '.' || ASCII(aad) ]. */
static int jwe_aad(const char *protected_b64, const char *aad_b64, char **ret, size_t *ret_size) {
        size_t plen = strlen(protected_b64), alen = aad_b64 ? strlen(aad_b64) : 0;
        size_t n = plen + (aad_b64 ? 1 + alen : 0);
        char *s = malloc(n + 1);

        if (!s)
                return -ENOMEM;
        memcpy(s, protected_b64, plen);
        if (aad_b64) {
                s[plen] = '.';
                memcpy(s + plen + 1, aad_b64, alen);
        }
        s[n] = 0;
        *ret = s;
        *ret_size = n;
        return 0;
}

static int jwe_u32be(uint8_t *p, size_t v) {
        if (v > UINT32_MAX)
                return -E2BIG;
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
        return 0;
}

/* Concat KDF of RFC 7518 4.6.2 (NIST SP 800-56A single-step KDF with
 * SHA-256): OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo ||
 * SuppPubInfo, each datum length-prefixed, SuppPubInfo = 256 (bits). For
 * ECDH-ES+A256KW AlgorithmID is the "alg" value. */
static int jwe_concat_kdf(const Secret *z, const uint8_t *apu, size_t apu_size, const uint8_t *apv,
                          size_t apv_size, Secret *ret_kek) {
        static const char alg[] = "ECDH-ES+A256KW";
        static const uint8_t round1[4] = {0, 0, 0, 1};
        const EVP_MD *md = evp_fetch_sha256();
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        uint8_t info[4 + sizeof(alg) - 1 + 4 + JWE_MAX_APX + 4 + JWE_MAX_APX + 4];
        size_t o = 0;

        if (!md)
                return -EIO;
        if (apu_size > JWE_MAX_APX || apv_size > JWE_MAX_APX)
                return -E2BIG;
        /* The KEK is one SHA-256 output: a single round of the KDF. */
        if (ret_kek->size != JWE_CEK_SIZE || (size_t)EVP_MD_get_size(md) != JWE_CEK_SIZE)
                return -EINVAL;
        ctx = EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        (void)jwe_u32be(info + o, sizeof(alg) - 1);
        memcpy(info + o + 4, alg, sizeof(alg) - 1);
        o += 4 + sizeof(alg) - 1;
        (void)jwe_u32be(info + o, apu_size);
        if (apu_size > 0)
                memcpy(info + o + 4, apu, apu_size);
        o += 4 + apu_size;
        (void)jwe_u32be(info + o, apv_size);
        if (apv_size > 0)
                memcpy(info + o + 4, apv, apv_size);
        o += 4 + apv_size;
        (void)jwe_u32be(info + o, JWE_CEK_SIZE * 8);
        o += 4;

        /* K(1) = H(counter 1 || Z || OtherInfo), hashed here rather than
         * through EVP_KDF "SSKDF", which fetches the KDF and then its
         * digest by name for every key. The context is wiped when freed. */
        if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, round1, 4) != 1 ||
            EVP_DigestUpdate(ctx, z->data, z->size) != 1 || EVP_DigestUpdate(ctx, info, o) != 1 ||
            EVP_DigestFinal_ex(ctx, ret_kek->data, NULL) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        return 0;
}

/* The agent's Z: the x coordinate of our private key times the sender's
 * ephemeral point, which OpenSSL checks once more here. (The verifier's
 * side is ecdh-p256.c.) */
static int jwe_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, Secret **ret) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
                EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
        _cleanup_(secret_freep) Secret *z = NULL;
        size_t len = 0;
        int r;

        if (!ctx)
                return -ENOMEM;
        if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) != 1 ||
            EVP_PKEY_derive(ctx, NULL, &len) != 1 || len == 0) {
                ERR_clear_error();
                return -EBADMSG;
        }
        r = secret_new(len, &z);
        if (r < 0)
                return r;
        if (EVP_PKEY_derive(ctx, z->data, &len) != 1 || len != z->size) {
                ERR_clear_error();
                return -EIO;
        }
        *ret = TAKE_PTR(z);
        return 0;
}

/* RFC 3394 AES key wrap with a 256-bit KEK, either way. Unwrapping checks
 * the integrity value and fails with -EBADMSG if it does not match. */
static int jwe_aes_kw(const Secret *kek, bool wrap, const uint8_t *in, size_t in_size, uint8_t *out,
                      size_t *ret_size) {
        const EVP_CIPHER *cipher = evp_fetch_cipher(EVP_FETCH_AES_256_WRAP);
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int outl = 0, finl = 0;

        if (!cipher || !ctx)
                return -ENOMEM;
        EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
        if (EVP_CipherInit_ex2(ctx, cipher, kek->data, NULL, wrap ? 1 : 0, NULL) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        if (EVP_CipherUpdate(ctx, out, &outl, in, (int)in_size) != 1 || outl <= 0 ||
            EVP_CipherFinal_ex(ctx, out + outl, &finl) != 1) {
                ERR_clear_error();
                return -EBADMSG;
        }
        *ret_size = (size_t)outl + (size_t)finl;
        return 0;
}

static int jwe_header_b64(const Jwe *jwe, const char *name, uint8_t *buf, size_t size,
                          size_t *ret_size) {
        const char *s;
        size_t len;
        int r;

        r = jose_get_string(jwe->header, name, &s, &len);
        if (r == -ENOENT) {
                *ret_size = 0;
                return 0;
        }
        if (r < 0)
                return r;
        return base64url_decode_to(s, len, buf, size, ret_size);
}

static int jwe_unwrap_ecdh(const Jwe *jwe, EVP_PKEY *key, Secret *cek, const char **ret_reason) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *epk = NULL;
        _cleanup_(secret_freep) Secret *z = NULL, *kek = NULL, *out = NULL;
        uint8_t apu[JWE_MAX_APX], apv[JWE_MAX_APX];
        size_t apu_size, apv_size, n;
        json_object *epk_json;
        JwkError jerr = {};
        int r;

        if (!json_object_object_get_ex(jwe->header, "epk", &epk_json))
                return jwe_fail(ret_reason, -EBADMSG, "jwe.epk_invalid", "epk missing");
        r = jwk_epk_to_pkey(epk_json, &epk, &jerr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.epk_invalid", jerr.what);
        if (jwe_header_b64(jwe, "apu", apu, sizeof(apu), &apu_size) < 0 ||
            jwe_header_b64(jwe, "apv", apv, sizeof(apv), &apv_size) < 0)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.header_malformed",
                                "apu or apv is not base64url of at most 256 bytes");
        if (jwe->encrypted_key_size != JWE_KW_SIZE)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.encrypted_key_size",
                                "encrypted_key is not a wrapped 256-bit key");

        r = jwe_ecdh(key, epk, &z);
        if (r == -EBADMSG)
                return jwe_fail(ret_reason, r, "jwe.epk_invalid", "ECDH with epk failed");
        if (r < 0)
                return r;
        if ((r = secret_new(JWE_CEK_SIZE, &kek)) < 0 ||
            (r = jwe_concat_kdf(z, apu, apu_size, apv, apv_size, kek)) < 0)
                return r;
        /* Room for a whole extra block, as OpenSSL may write one. */
        if ((r = secret_new(JWE_KW_SIZE + 16, &out)) < 0)
                return r;
        r = jwe_aes_kw(kek, false, jwe->encrypted_key, jwe->encrypted_key_size, out->data, &n);
        if (r == -EBADMSG || (r == 0 && n != JWE_CEK_SIZE))
                return jwe_fail(ret_reason, -EBADMSG, "jwe.unwrap_failed",
                                "AES key unwrap integrity check failed");
        if (r < 0)
                return r;
        memcpy(cek->data, out->data, JWE_CEK_SIZE);
        return 0;
}

static int jwe_oaep_ctx(EVP_PKEY_CTX *ctx) {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_oaep_md(ctx, evp_fetch_sha256()) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, evp_fetch_sha256()) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        return 0;
}

static int jwe_unwrap_rsa(const Jwe *jwe, EVP_PKEY *key, Secret *cek, const char **ret_reason) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
                EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        _cleanup_(secret_freep) Secret *out = NULL;
        size_t len = 0;
        int r;

        if (!ctx)
                return -ENOMEM;
        if (jwe->encrypted_key_size != (size_t)EVP_PKEY_get_size(key))
                return jwe_fail(ret_reason, -EBADMSG, "jwe.encrypted_key_size",
                                "encrypted_key is not one block of the RSA key");
        if (EVP_PKEY_decrypt_init(ctx) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        r = jwe_oaep_ctx(ctx);
        if (r < 0)
                return r;
        if (EVP_PKEY_decrypt(ctx, NULL, &len, jwe->encrypted_key, jwe->encrypted_key_size) != 1 ||
            len == 0) {
                ERR_clear_error();
                return -EIO;
        }
        r = secret_new(len, &out);
        if (r < 0)
                return r;
        if (EVP_PKEY_decrypt(ctx, out->data, &len, jwe->encrypted_key, jwe->encrypted_key_size) !=
                    1 ||
            len != JWE_CEK_SIZE) {
                ERR_clear_error();
                return jwe_fail(ret_reason, -EBADMSG, "jwe.unwrap_failed",
                                "RSA-OAEP-256 decryption of the content key failed");
        }
        memcpy(cek->data, out->data, JWE_CEK_SIZE);
        return 0;
}

/* AES-256-GCM either way; out has room for in_size bytes. */
static int jwe_gcm(const Secret *cek, bool encrypt, const uint8_t *iv, const char *aad,
                   size_t aad_size, const uint8_t *in, size_t in_size, uint8_t *out,
                   uint8_t tag[static JWE_GCM_TAG_SIZE]) {
        const EVP_CIPHER *cipher = evp_fetch_cipher(EVP_FETCH_AES_256_GCM);
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int outl = 0, finl = 0;

        if (!cipher || !ctx)
                return -ENOMEM;
        if (in_size > INT_MAX || aad_size > INT_MAX)
                return -E2BIG;
        if (EVP_CipherInit_ex2(ctx, cipher, cek->data, iv, encrypt ? 1 : 0, NULL) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        if (!encrypt) {
                OSSL_PARAM params[2] = {
                        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag,
                                                          JWE_GCM_TAG_SIZE),
                        OSSL_PARAM_construct_end(),
                };

                if (EVP_CIPHER_CTX_set_params(ctx, params) != 1) {
                        ERR_clear_error();
                        return -EIO;
                }
        }
        if (EVP_CipherUpdate(ctx, NULL, &outl, (const uint8_t *)aad, (int)aad_size) != 1 ||
            (in_size > 0 && EVP_CipherUpdate(ctx, out, &outl, in, (int)in_size) != 1)) {
                ERR_clear_error();
                return -EIO;
        }
        if (EVP_CipherFinal_ex(ctx, out + (in_size > 0 ? outl : 0), &finl) != 1) {
                ERR_clear_error();
                return -EBADMSG;
        }
        if (encrypt) {
                OSSL_PARAM params[2] = {
                        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag,
                                                          JWE_GCM_TAG_SIZE),
                        OSSL_PARAM_construct_end(),
                };

                if (EVP_CIPHER_CTX_get_params(ctx, params) != 1) {
                        ERR_clear_error();
                        return -EIO;
                }
        }
        return 0;
}

int jwe_decrypt(const Jwe *jwe, EVP_PKEY *key, Secret **ret, const char **ret_reason) {
        _cleanup_(secret_freep) Secret *cek = NULL, *plain = NULL;
        _cleanup_free_ char *aad = NULL;
        size_t aad_size;
        JwkAlg alg;
        int r;

        if (json_object_object_get_ex(jwe->header, "crit", NULL))
                return jwe_fail(ret_reason, -EOPNOTSUPP, "jwe.header_unsupported",
                                "crit names extensions we do not implement");
        if (json_object_object_get_ex(jwe->header, "zip", NULL))
                return jwe_fail(ret_reason, -EOPNOTSUPP, "jwe.header_unsupported",
                                "zip (compression before encryption) is not taken");
        if (jose_string_is(jwe->alg, jwe->alg_len, "RSA1_5"))
                return jwe_fail(ret_reason, -EOPNOTSUPP, "jwe.alg_refused",
                                "RSA1_5 is refused (PKCS #1 v1.5 padding oracles)");
        alg = strlen(jwe->alg) == jwe->alg_len ? jwk_alg_from_string(jwe->alg) : _JWK_ALG_INVALID;
        if (alg < 0)
                return jwe_fail(ret_reason, -EOPNOTSUPP, "jwe.alg_unsupported",
                                "alg is not ECDH-ES+A256KW or RSA-OAEP-256");
        if (!jose_string_is(jwe->enc, jwe->enc_len, "A256GCM"))
                return jwe_fail(ret_reason, -EOPNOTSUPP, "jwe.enc_unsupported",
                                "enc is not A256GCM");
        if ((alg == JWK_ALG_ECDH_ES_A256KW && !EVP_PKEY_is_a(key, "EC")) ||
            (alg == JWK_ALG_RSA_OAEP_256 && !EVP_PKEY_is_a(key, "RSA")))
                return jwe_fail(ret_reason, -EBADMSG, "jwe.key_mismatch",
                                "alg does not fit our key");
        if (jwe->iv_size != JWE_GCM_IV_SIZE)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.iv_size", "iv is not 96 bits");
        if (jwe->tag_size != JWE_GCM_TAG_SIZE)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.tag_size", "tag is not 128 bits");

        r = secret_new(JWE_CEK_SIZE, &cek);
        if (r < 0)
                return r;
        if (alg == JWK_ALG_ECDH_ES_A256KW)
                r = jwe_unwrap_ecdh(jwe, key, cek, ret_reason);
        else
                r = jwe_unwrap_rsa(jwe, key, cek, ret_reason);
        if (r < 0)
                return r;

        if (jwe->ciphertext_size == 0)
                return jwe_fail(ret_reason, -EBADMSG, "jwe.empty", "empty plaintext");
        r = jwe_aad(jwe->protected_b64, jwe->aad_b64, &aad, &aad_size);
        if (r < 0)
                return r;
        /* The plaintext is written straight into locked memory; if the tag
         * fails, secret_free() wipes what GCM already produced. */
        r = secret_new(jwe->ciphertext_size, &plain);
        if (r < 0)
                return r;
        r = jwe_gcm(cek, false, jwe->iv, aad, aad_size, jwe->ciphertext, jwe->ciphertext_size,
                    plain->data, jwe->tag);
        if (r == -EBADMSG)
                return jwe_fail(ret_reason, r, "jwe.auth_failed",
                                "AES-GCM tag does not verify over iv, AAD and ciphertext");
        if (r < 0)
                return r;
        log_debug("JWE decrypted: %s, %zu bytes.", jwk_alg_to_string(alg), plain->size);
        *ret = TAKE_PTR(plain);
        return 0;
}

int jwe_decrypt_json(const void *data, size_t size, EVP_PKEY *key, Secret **ret,
                     const char **ret_reason) {
        _cleanup_(jwe_freep) Jwe *jwe = NULL;
        int r;

        r = jwe_parse(data, size, &jwe, ret_reason);
        if (r < 0)
                return r;
        return jwe_decrypt(jwe, key, ret, ret_reason);
}

/* The verifier's side of ECDH-ES+A256KW: k*G as our ephemeral key (its
 * point goes to ret_epk), Z as the x coordinate of k times the
 * recipient's point, the KEK from the Concat KDF, the CEK wrapped. k is
 * fresh for every JWE; if it is out of range another is drawn into k's
 * place. */
static int jwe_wrap_ecdh(EVP_PKEY *recipient, const Secret *cek,
                         uint8_t k[static ECDH_P256_SCALAR_SIZE],
                         uint8_t ret_epk[static ECDH_P256_POINT_SIZE], uint8_t *ret_wrapped,
                         size_t *ret_size) {
        _cleanup_(secret_freep) Secret *z = NULL, *kek = NULL;
        uint8_t peer[ECDH_P256_POINT_SIZE];
        int r;

        r = jose_pkey_p256_point(recipient, peer);
        if (r < 0)
                return r;
        r = secret_new(ECDH_P256_COORD_SIZE, &z);
        if (r < 0)
                return r;
        for (unsigned attempt = 0;; attempt++) {
                r = ecdh_p256_derive(k, peer, ret_epk, z);
                if (r != -ERANGE)
                        break;
                /* Four misses in a row (about 2^-128) mean a broken DRBG. */
                if (attempt >= 3)
                        return -EIO;
                if (RAND_priv_bytes(k, ECDH_P256_SCALAR_SIZE) != 1) {
                        ERR_clear_error();
                        return -EIO;
                }
        }
        if (r == -EBADMSG)
                return -EINVAL;
        if (r < 0)
                return r;
        if ((r = secret_new(JWE_CEK_SIZE, &kek)) < 0 ||
            (r = jwe_concat_kdf(z, NULL, 0, NULL, 0, kek)) < 0)
                return r;
        r = jwe_aes_kw(kek, true, cek->data, cek->size, ret_wrapped, ret_size);
        if (r < 0)
                return r == -EBADMSG ? -EIO : r;
        return 0;
}

static int jwe_wrap_rsa(EVP_PKEY *recipient, const Secret *cek, uint8_t *ret_wrapped,
                        size_t *ret_size) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
                EVP_PKEY_CTX_new_from_pkey(NULL, recipient, NULL);
        size_t len = JWE_MAX_ENCRYPTED_KEY;
        int r;

        if (!ctx)
                return -ENOMEM;
        if (EVP_PKEY_encrypt_init(ctx) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        r = jwe_oaep_ctx(ctx);
        if (r < 0)
                return r;
        if (EVP_PKEY_encrypt(ctx, ret_wrapped, &len, cek->data, cek->size) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        *ret_size = len;
        return 0;
}

static int jwe_check_recipient(EVP_PKEY *recipient, JwkAlg alg) {
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *checked = NULL;
        JwkAlg got;
        int r;

        /* A key jwk_to_pkey() made passed these rules when it was made. */
        got = jose_pkey_checked_alg(recipient);
        if (got >= 0)
                return got == alg ? 0 : -EINVAL;
        /* A round trip through the JWK checks applies the same rules (curve,
         * point on it, RSA size) to keys that did not come as JSON. */
        r = jwk_from_pkey(recipient, &jwk);
        if (r == -EOPNOTSUPP)
                return -EINVAL;
        if (r < 0)
                return r;
        r = jwk_to_pkey(jwk, &checked, &got, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || got != alg)
                return -EINVAL;
        return 0;
}

/* Text assembled in a buffer sized beforehand: with p NULL it only
 * counts, so one function both sizes and writes. */
typedef struct JweText {
        char *p;
        size_t n;
} JweText;

static void jwe_put(JweText *t, const char *s) {
        size_t n = strlen(s);

        if (t->p)
                memcpy(t->p + t->n, s, n);
        t->n += n;
}

static void jwe_put_b64(JweText *t, const void *data, size_t size) {
        if (t->p)
                t->n += base64url_encode_to(data, size, t->p + t->n);
        else
                t->n += base64url_encoded_size(size);
}

/* The protected header, written out rather than built as json-c objects
 * and canonicalized. Trustee's clients compute the AAD by re-serializing
 * the header they parsed (serde_json: "alg", "enc", then the other
 * members in sorted order, no whitespace); these members in this order
 * are also the canonical form (RFC 8785), as test-jwe checks, so the AAD
 * they compute is the one we use. epk is the public JWK of the ephemeral
 * key without "alg", as Trustee writes it. Every value is ASCII that JSON
 * needs no escape for. */
static void jwe_header_text(JweText *t, JwkAlg alg, const uint8_t *epk) {
        jwe_put(t, "{\"alg\":\"");
        jwe_put(t, jwk_alg_to_string(alg));
        jwe_put(t, "\",\"enc\":\"A256GCM\"");
        if (epk) {
                jwe_put(t, ",\"epk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
                jwe_put_b64(t, epk + 1, ECDH_P256_COORD_SIZE);
                jwe_put(t, "\",\"y\":\"");
                jwe_put_b64(t, epk + 1 + ECDH_P256_COORD_SIZE, ECDH_P256_COORD_SIZE);
                jwe_put(t, "\"}");
        }
        jwe_put(t, "}");
}

/* The flattened JSON, members in the order Trustee's KBS serializes its
 * Response, as json-c printed it before (plain, no escaped slashes): all
 * values are base64url, which JSON does not escape. */
static void jwe_out_text(JweText *t, const char *protected_b64, const uint8_t *wrapped,
                         size_t wrapped_size, const char *aad_b64, const uint8_t *iv,
                         const uint8_t *ciphertext, size_t size, const uint8_t *tag) {
        jwe_put(t, "{\"protected\":\"");
        jwe_put(t, protected_b64);
        jwe_put(t, "\",\"encrypted_key\":\"");
        jwe_put_b64(t, wrapped, wrapped_size);
        if (aad_b64) {
                jwe_put(t, "\",\"aad\":\"");
                jwe_put(t, aad_b64);
        }
        jwe_put(t, "\",\"iv\":\"");
        jwe_put_b64(t, iv, JWE_GCM_IV_SIZE);
        jwe_put(t, "\",\"ciphertext\":\"");
        jwe_put_b64(t, ciphertext, size);
        jwe_put(t, "\",\"tag\":\"");
        jwe_put_b64(t, tag, JWE_GCM_TAG_SIZE);
        jwe_put(t, "\"}");
}

static void jwe_fresh_wipe(uint8_t (*fresh)[JWE_FRESH_SIZE]) {
        memory_wipe(*fresh, sizeof(*fresh));
}

int jwe_encrypt(EVP_PKEY *recipient, JwkAlg alg, const void *plaintext, size_t size,
                const char *aad_b64, char **ret, size_t *ret_size) {
        _cleanup_(secret_freep) Secret *cek = NULL;
        _cleanup_free_ char *aad = NULL, *out = NULL;
        _cleanup_free_ uint8_t *ciphertext = NULL;
        _cleanup_(jwe_fresh_wipe) uint8_t fresh[JWE_FRESH_SIZE];
        uint8_t wrapped[JWE_MAX_ENCRYPTED_KEY], iv[JWE_GCM_IV_SIZE], tag[JWE_GCM_TAG_SIZE];
        uint8_t epk[ECDH_P256_POINT_SIZE];
        char header[JWE_HEADER_MAX], protected_b64[JWE_HEADER_B64_MAX];
        JweText t = {};
        const char *gcm_aad = protected_b64;
        size_t wrapped_size = 0, aad_size;
        bool ecdh = alg == JWK_ALG_ECDH_ES_A256KW;
        int r;

        if (size == 0 || size > JWE_MAX_SIZE / 2)
                return -EINVAL;
        if (aad_b64 &&
            (strlen(aad_b64) > JWE_MAX_AAD || !base64url_is_valid(aad_b64, strlen(aad_b64))))
                return -EINVAL;
        r = jwe_check_recipient(recipient, alg);
        if (r < 0)
                return r;

        r = secret_new(JWE_CEK_SIZE, &cek);
        if (r < 0)
                return r;
        /* Key, IV and (for ECDH-ES) the ephemeral scalar in one draw from
         * the private DRBG: each call costs a getpid() (OpenSSL's fork
         * check), a syscall. The IV is public; drawing it from the private
         * generator takes nothing from it. The stack copy is wiped once
         * the key is wrapped, and on every early return. */
        if (RAND_priv_bytes(fresh, ecdh ? (int)sizeof(fresh) : JWE_FRESH_K) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        memcpy(cek->data, fresh, JWE_CEK_SIZE);
        memcpy(iv, fresh + JWE_CEK_SIZE, sizeof(iv));
        if (ecdh)
                r = jwe_wrap_ecdh(recipient, cek, fresh + JWE_FRESH_K, epk, wrapped, &wrapped_size);
        else
                r = jwe_wrap_rsa(recipient, cek, wrapped, &wrapped_size);
        memory_wipe(fresh, sizeof(fresh));
        if (r < 0)
                return r;

        t = (JweText){};
        jwe_header_text(&t, alg, ecdh ? epk : NULL);
        if (t.n >= JWE_HEADER_MAX)
                return -EIO;
        t = (JweText){.p = header};
        jwe_header_text(&t, alg, ecdh ? epk : NULL);
        protected_b64[base64url_encode_to(header, t.n, protected_b64)] = 0;
        aad_size = strlen(protected_b64);
        if (aad_b64) {
                r = jwe_aad(protected_b64, aad_b64, &aad, &aad_size);
                if (r < 0)
                        return r;
                gcm_aad = aad;
        }
        ciphertext = malloc(size);
        if (!ciphertext)
                return -ENOMEM;
        r = jwe_gcm(cek, true, iv, gcm_aad, aad_size, plaintext, size, ciphertext, tag);
        if (r < 0)
                return r == -EBADMSG ? -EIO : r;

        /* Sized, then written: one allocation for the whole answer. */
        t = (JweText){};
        jwe_out_text(&t, protected_b64, wrapped, wrapped_size, aad_b64, iv, ciphertext, size, tag);
        out = malloc(t.n + 1);
        if (!out)
                return -ENOMEM;
        t = (JweText){.p = out};
        jwe_out_text(&t, protected_b64, wrapped, wrapped_size, aad_b64, iv, ciphertext, size, tag);
        out[t.n] = 0;
        if (ret_size)
                *ret_size = t.n;
        *ret = TAKE_PTR(out);
        return 0;
}

int jwe_encrypt_to_jwk(json_object *jwk, const void *plaintext, size_t size, char **ret,
                       size_t *ret_size) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        JwkAlg alg;
        int r;

        r = jwk_to_pkey(jwk, &key, &alg, NULL);
        if (r < 0)
                return r;
        return jwe_encrypt(key, alg, plaintext, size, NULL, ret, ret_size);
}
