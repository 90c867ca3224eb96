#include "confnode/crypto/jwk.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/canonical-json.h"
#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "jose-internal.h"

#define JWK_P256_COORD 32
#define JWK_P256_POINT (1 + 2 * JWK_P256_COORD)
#define JWK_RSA_MAX_BYTES (JWK_RSA_MAX_BITS / 8)
/* Public exponents longer than 8 bytes are not used by anyone honest. */
#define JWK_RSA_MAX_E_BYTES 8

static const char *const jwk_alg_names[_JWK_ALG_MAX] = {
        [JWK_ALG_ECDH_ES_A256KW] = "ECDH-ES+A256KW",
        [JWK_ALG_RSA_OAEP_256] = "RSA-OAEP-256",
};

const char *jwk_alg_to_string(JwkAlg a) {
        if (a < 0 || a >= _JWK_ALG_MAX)
                return NULL;
        return jwk_alg_names[a];
}

JwkAlg jwk_alg_from_string(const char *s) {
        if (!s)
                return _JWK_ALG_INVALID;
        for (JwkAlg a = 0; a < _JWK_ALG_MAX; a++)
                if (strcmp(jwk_alg_names[a], s) == 0)
                        return a;
        return _JWK_ALG_INVALID;
}

static int jwk_checked_index = -1, jwk_point_index = -1;
static pthread_once_t jwk_ex_once = PTHREAD_ONCE_INIT;

static void jwk_point_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                           void *argp) {
        (void)parent;
        (void)ad;
        (void)idx;
        (void)argl;
        (void)argp;
        free(ptr);
}

/* EVP_PKEY_dup() copies ex_data pointers as they are; without this the
 * copy and the original would both free the one point. The copy gets its
 * own, or none if memory is short: it is only looked up again then. */
static int jwk_point_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx,
                         long argl, void *argp) {
        void *copy = NULL;

        (void)to;
        (void)from;
        (void)idx;
        (void)argl;
        (void)argp;
        if (*from_d) {
                copy = malloc(JWK_P256_POINT);
                if (copy)
                        memcpy(copy, *from_d, JWK_P256_POINT);
        }
        *from_d = copy;
        return 1;
}

static void jwk_ex_index_init(void) {
        jwk_checked_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_EVP_PKEY, 0, NULL, NULL, NULL,
                                                    NULL);
        jwk_point_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_EVP_PKEY, 0, NULL, NULL,
                                                  jwk_point_dup, jwk_point_free);
}

void jose_pkey_mark_checked(EVP_PKEY *key, int alg) {
        if (pthread_once(&jwk_ex_once, jwk_ex_index_init) != 0 || jwk_checked_index < 0)
                return;
        /* Without the mark the key is only checked again: nothing to report. */
        if (EVP_PKEY_set_ex_data(key, jwk_checked_index, (void *)(uintptr_t)(alg + 1)) != 1)
                ERR_clear_error();
}

int jose_pkey_checked_alg(EVP_PKEY *key) {
        uintptr_t v;

        if (pthread_once(&jwk_ex_once, jwk_ex_index_init) != 0 || jwk_checked_index < 0)
                return _JWK_ALG_INVALID;
        v = (uintptr_t)EVP_PKEY_get_ex_data(key, jwk_checked_index);
        if (v == 0 || v > _JWK_ALG_MAX)
                return _JWK_ALG_INVALID;
        return (int)(v - 1);
}

/* Called only on a key nobody else holds yet: ex_data is not locked. */
static void jwk_keep_point(EVP_PKEY *key, const uint8_t point[static JWK_P256_POINT]) {
        uint8_t *copy;

        if (pthread_once(&jwk_ex_once, jwk_ex_index_init) != 0 || jwk_point_index < 0)
                return;
        copy = malloc(JWK_P256_POINT);
        if (!copy)
                return;
        memcpy(copy, point, JWK_P256_POINT);
        /* Without the copy the point is only taken out of the key again. */
        if (EVP_PKEY_set_ex_data(key, jwk_point_index, copy) != 1) {
                free(copy);
                ERR_clear_error();
        }
}

static int jwk_fail(JwkError *err, int r, const char *member, const char *what) {
        if (err)
                *err = (JwkError){.member = member, .what = what};
        log_debug("JWK member %s: %s", member, what);
        return r;
}

static int jwk_add_b64(json_object *obj, const char *name, const uint8_t *data, size_t n) {
        _cleanup_free_ char *s = base64url_encode(data, n);

        if (!s)
                return -ENOMEM;
        return json_add_string(obj, name, s);
}

static bool jwk_is_p256(EVP_PKEY *key) {
        char group[64];

        if (!EVP_PKEY_is_a(key, "EC"))
                return false;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           NULL) != 1) {
                ERR_clear_error();
                return false;
        }
        return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

int jose_pkey_p256_point(EVP_PKEY *key, uint8_t ret[static JWK_P256_POINT]) {
        const uint8_t *kept = NULL;
        size_t n = 0;

        if (pthread_once(&jwk_ex_once, jwk_ex_index_init) == 0 && jwk_point_index >= 0)
                kept = EVP_PKEY_get_ex_data(key, jwk_point_index);
        if (kept) {
                memcpy(ret, kept, JWK_P256_POINT);
                return 0;
        }
        if (!jwk_is_p256(key))
                return -EINVAL;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, ret,
                                            JWK_P256_POINT, &n) != 1 ||
            n != JWK_P256_POINT || ret[0] != 0x04) {
                ERR_clear_error();
                return -EINVAL;
        }
        return 0;
}

static int jwk_from_ec(EVP_PKEY *key, json_object *jwk) {
        uint8_t point[1 + 2 * JWK_P256_COORD];
        const uint8_t *xb = point + 1, *yb = point + 1 + JWK_P256_COORD;
        size_t n = 0;
        int r;

        /* The uncompressed point holds x and y at full width: one call,
         * where asking for each coordinate as a BIGNUM costs four times
         * as much. */
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                            sizeof(point), &n) != 1 ||
            n != sizeof(point) || point[0] != 0x04) {
                ERR_clear_error();
                return -EINVAL;
        }
        /* Members in the order Trustee's guest components write them; the
         * binding hashes the canonical form, so the order is cosmetic. */
        if ((r = json_add_string(jwk, "kty", "EC")) < 0 ||
            (r = json_add_string(jwk, "crv", "P-256")) < 0 ||
            (r = json_add_string(jwk, "alg", jwk_alg_to_string(JWK_ALG_ECDH_ES_A256KW))) < 0 ||
            (r = jwk_add_b64(jwk, "x", xb, JWK_P256_COORD)) < 0 ||
            (r = jwk_add_b64(jwk, "y", yb, JWK_P256_COORD)) < 0)
                return r;
        return 0;
}

static int jwk_from_rsa(EVP_PKEY *key, json_object *jwk) {
        _cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
        _cleanup_free_ uint8_t *nb = NULL, *eb = NULL;
        int nlen, elen, r;

        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
                ERR_clear_error();
                return -EINVAL;
        }
        nlen = BN_num_bytes(n);
        elen = BN_num_bytes(e);
        if (nlen <= 0 || elen <= 0)
                return -EINVAL;
        nb = malloc((size_t)nlen);
        eb = malloc((size_t)elen);
        if (!nb || !eb)
                return -ENOMEM;
        /* BN_bn2bin writes the minimal big-endian form RFC 7518 6.3.1 asks for. */
        BN_bn2bin(n, nb);
        BN_bn2bin(e, eb);
        if ((r = json_add_string(jwk, "kty", "RSA")) < 0 ||
            (r = json_add_string(jwk, "alg", jwk_alg_to_string(JWK_ALG_RSA_OAEP_256))) < 0 ||
            (r = jwk_add_b64(jwk, "n", nb, (size_t)nlen)) < 0 ||
            (r = jwk_add_b64(jwk, "e", eb, (size_t)elen)) < 0)
                return r;
        return 0;
}

int jwk_from_pkey(EVP_PKEY *key, json_object **ret) {
        _cleanup_(json_object_putp) json_object *jwk = json_object_new_object();
        int r;

        if (!jwk)
                return -ENOMEM;
        if (jwk_is_p256(key))
                r = jwk_from_ec(key, jwk);
        else if (EVP_PKEY_is_a(key, "RSA"))
                r = jwk_from_rsa(key, jwk);
        else
                r = -EOPNOTSUPP;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(jwk);
        return 0;
}

/* Decodes a base64url member into buf; *ret_size gets the length. */
static int jwk_member_bytes(json_object *jwk, const char *name, uint8_t *buf, size_t size,
                            size_t *ret_size, JwkError *err) {
        const char *s;
        size_t len;
        int r;

        r = jose_get_string(jwk, name, &s, &len);
        if (r == -ENOENT)
                return jwk_fail(err, -EBADMSG, name, "missing");
        if (r < 0)
                return jwk_fail(err, -EBADMSG, name, "not a string");
        r = base64url_decode_to(s, len, buf, size, ret_size);
        if (r == -E2BIG)
                return jwk_fail(err, -EBADMSG, name, "too long");
        if (r < 0)
                return jwk_fail(err, -EBADMSG, name, "not base64url without padding");
        return 0;
}

/* Public keys carry no private members; one that does was exported by
 * mistake and must not be passed on, so refuse it loudly. */
static int jwk_no_private(json_object *jwk, JwkError *err) {
        static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

        for (size_t i = 0; i < ELEMENTSOF(private_members); i++)
                if (json_object_object_get_ex(jwk, private_members[i], NULL))
                        return jwk_fail(err, -EBADMSG, private_members[i],
                                        "private key member in a public key");
        return 0;
}

/* For EC this is the point-on-curve (and not-infinity) check that keeps
 * invalid-curve attacks away from our ephemeral secrets. P-256 has
 * cofactor 1, so a point on the curve has the group's order and the quick
 * check is the whole validation; the full one multiplies the point by the
 * order, a scalar multiplication per attestation for nothing. */
static int jwk_pkey_check(EVP_PKEY *key, bool ec) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, key,
                                                                                      NULL);

        if (!check)
                return -ENOMEM;
        if ((ec ? EVP_PKEY_public_check_quick(check) : EVP_PKEY_public_check(check)) != 1) {
                ERR_clear_error();
                return -EBADMSG;
        }
        return 0;
}

static int jwk_pkey_fromdata(const char *type, OSSL_PARAM *params, EVP_PKEY **ret) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
                EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        int r;

        if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1)
                return -ENOMEM;
        if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
                ERR_clear_error();
                return -EBADMSG;
        }
        r = jwk_pkey_check(key, strcmp(type, "EC") == 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(key);
        return 0;
}

/* keep_point keeps a copy of the point with the key for
 * jose_pkey_p256_point(): a tee-pubkey is encrypted to twice per node. */
static int jwk_ec_to_pkey(json_object *jwk, bool keep_point, EVP_PKEY **ret, JwkError *err) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        uint8_t point[1 + 2 * JWK_P256_COORD];
        const char *crv;
        size_t len, n;
        int r;

        r = jose_get_string(jwk, "crv", &crv, &len);
        if (r == -ENOENT)
                return jwk_fail(err, -EBADMSG, "crv", "missing");
        if (r < 0)
                return jwk_fail(err, -EBADMSG, "crv", "not a string");
        if (!jose_string_is(crv, len, "P-256"))
                return jwk_fail(err, -EOPNOTSUPP, "crv", "not \"P-256\"");

        point[0] = 0x04; /* uncompressed: x || y follow */
        r = jwk_member_bytes(jwk, "x", point + 1, JWK_P256_COORD, &n, err);
        if (r < 0)
                return r;
        if (n != JWK_P256_COORD)
                return jwk_fail(err, -EBADMSG, "x", "not 32 bytes");
        r = jwk_member_bytes(jwk, "y", point + 1 + JWK_P256_COORD, JWK_P256_COORD, &n, err);
        if (r < 0)
                return r;
        if (n != JWK_P256_COORD)
                return jwk_fail(err, -EBADMSG, "y", "not 32 bytes");

        /* From P-256's parameters made once: EVP_PKEY_fromdata() would
         * build the curve from its name for every key. */
        r = evp_fetch_ec_public_key(EVP_FETCH_P256, point, sizeof(point), &key);
        if (r >= 0)
                r = jwk_pkey_check(key, true);
        if (r == -EBADMSG)
                return jwk_fail(err, r, "x", "x and y are not a point on P-256");
        if (r < 0)
                return r == -ENOMEM ? r : -EIO;
        if (keep_point)
                jwk_keep_point(key, point);
        *ret = TAKE_PTR(key);
        return 0;
}

static int jwk_rsa_to_pkey(json_object *jwk, EVP_PKEY **ret, JwkError *err) {
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
        _cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
        _cleanup_free_ uint8_t *nb = malloc(JWK_RSA_MAX_BYTES);
        uint8_t eb[JWK_RSA_MAX_E_BYTES];
        size_t nlen, elen;
        int r;

        if (!nb)
                return -ENOMEM;
        r = jwk_member_bytes(jwk, "n", nb, JWK_RSA_MAX_BYTES, &nlen, err);
        if (r < 0)
                return r;
        if (nlen == 0 || nb[0] == 0)
                return jwk_fail(err, -EBADMSG, "n", "empty or with a leading zero byte");
        if (nlen * 8 < JWK_RSA_MIN_BITS)
                return jwk_fail(err, -EKEYREJECTED, "n", "modulus shorter than 2048 bits");
        r = jwk_member_bytes(jwk, "e", eb, sizeof(eb), &elen, err);
        if (r < 0)
                return r;
        if (elen == 0 || eb[0] == 0)
                return jwk_fail(err, -EBADMSG, "e", "empty or with a leading zero byte");

        n = BN_bin2bn(nb, (int)nlen, NULL);
        e = BN_bin2bn(eb, (int)elen, NULL);
        if (!n || !e)
                return -ENOMEM;
        /* A leading byte of 0x01 gives fewer bits than 8 * bytes. */
        if (BN_num_bits(n) < JWK_RSA_MIN_BITS)
                return jwk_fail(err, -EKEYREJECTED, "n", "modulus shorter than 2048 bits");
        bld = OSSL_PARAM_BLD_new();
        if (!bld || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
                return -ENOMEM;
        params = OSSL_PARAM_BLD_to_param(bld);
        if (!params)
                return -ENOMEM;
        r = jwk_pkey_fromdata("RSA", params, ret);
        if (r == -EBADMSG)
                return jwk_fail(err, r, "n", "n and e are not an RSA public key");
        return r;
}

static int jwk_kty(json_object *jwk, const char **ret, size_t *ret_len, JwkError *err) {
        int r;

        if (!json_object_is_type(jwk, json_type_object))
                return jwk_fail(err, -EBADMSG, "kty", "the key is not a JSON object");
        r = jose_get_string(jwk, "kty", ret, ret_len);
        if (r == -ENOENT)
                return jwk_fail(err, -EBADMSG, "kty", "missing");
        if (r < 0)
                return jwk_fail(err, -EBADMSG, "kty", "not a string");
        return 0;
}

int jwk_to_pkey(json_object *jwk, EVP_PKEY **ret, JwkAlg *ret_alg, JwkError *err) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        const char *kty, *alg_name;
        size_t kty_len, alg_len;
        JwkAlg alg;
        int r;

        r = jwk_kty(jwk, &kty, &kty_len, err);
        if (r < 0)
                return r;
        r = jose_get_string(jwk, "alg", &alg_name, &alg_len);
        if (r == -ENOENT)
                return jwk_fail(err, -EBADMSG, "alg", "missing");
        if (r < 0)
                return jwk_fail(err, -EBADMSG, "alg", "not a string");
        if (jose_string_is(alg_name, alg_len, "RSA1_5"))
                return jwk_fail(err, -EOPNOTSUPP, "alg",
                                "RSA1_5 is refused (PKCS #1 v1.5 padding oracles)");
        alg = strlen(alg_name) == alg_len ? jwk_alg_from_string(alg_name) : _JWK_ALG_INVALID;
        if (alg < 0)
                return jwk_fail(err, -EOPNOTSUPP, "alg",
                                "not \"ECDH-ES+A256KW\" or \"RSA-OAEP-256\"");
        r = jwk_no_private(jwk, err);
        if (r < 0)
                return r;

        if (jose_string_is(kty, kty_len, "EC")) {
                if (alg != JWK_ALG_ECDH_ES_A256KW)
                        return jwk_fail(err, -EOPNOTSUPP, "alg", "does not fit an EC key");
                r = jwk_ec_to_pkey(jwk, true, &key, err);
        } else if (jose_string_is(kty, kty_len, "RSA")) {
                if (alg != JWK_ALG_RSA_OAEP_256)
                        return jwk_fail(err, -EOPNOTSUPP, "alg", "does not fit an RSA key");
                r = jwk_rsa_to_pkey(jwk, &key, err);
        } else
                return jwk_fail(err, -EOPNOTSUPP, "kty", "not \"EC\" or \"RSA\"");
        if (r < 0)
                return r;
        jose_pkey_mark_checked(key, alg);
        *ret = TAKE_PTR(key);
        if (ret_alg)
                *ret_alg = alg;
        return 0;
}

int jwk_epk_to_pkey(json_object *jwk, EVP_PKEY **ret, JwkError *err) {
        const char *kty;
        size_t kty_len;
        int r;

        r = jwk_kty(jwk, &kty, &kty_len, err);
        if (r < 0)
                return r;
        if (!jose_string_is(kty, kty_len, "EC"))
                return jwk_fail(err, -EOPNOTSUPP, "kty", "not \"EC\"");
        r = jwk_no_private(jwk, err);
        if (r < 0)
                return r;
        return jwk_ec_to_pkey(jwk, false, ret, err);
}

int jwk_thumbprint(json_object *jwk, uint8_t ret[static JWK_THUMBPRINT_SIZE]) {
        static const char *const ec_members[] = {"crv", "kty", "x", "y"};
        static const char *const rsa_members[] = {"e", "kty", "n"};
        _cleanup_(json_object_putp) json_object *req = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        const char *const *members;
        size_t n_members, len, text_size;
        const char *kty;
        int r;

        if (!req)
                return -ENOMEM;
        r = jwk_kty(jwk, &kty, &len, NULL);
        if (r < 0)
                return r;
        if (jose_string_is(kty, len, "EC"))
                members = ec_members, n_members = ELEMENTSOF(ec_members);
        else if (jose_string_is(kty, len, "RSA"))
                members = rsa_members, n_members = ELEMENTSOF(rsa_members);
        else
                return -EOPNOTSUPP;
        for (size_t i = 0; i < n_members; i++) {
                const char *s;

                if (jose_get_string(jwk, members[i], &s, &len) < 0)
                        return -EBADMSG;
                r = json_add(req, members[i], json_object_new_string_len(s, (int)len));
                if (r < 0)
                        return r;
        }
        r = canonical_json(req, &text, &text_size);
        if (r < 0)
                return r;
        r = evp_fetch_sha256_digest(text, text_size, ret);
        if (r < 0)
                return r;
        return 0;
}
