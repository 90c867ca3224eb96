#pragma once

/* Public keys as JSON Web Keys (RFC 7517, RFC 7518 section 6) in the two
 * shapes the KBS protocol carries as "tee-pubkey":
 *   {"kty":"EC","crv":"P-256","alg":"ECDH-ES+A256KW","x":…,"y":…}
 *   {"kty":"RSA","alg":"RSA-OAEP-256","n":…,"e":…}
 * and back into EVP_PKEYs, validated before anything is derived from them. */

#include <errno.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/types.h>

/* RSA moduli outside this range are refused: below it the key is weak,
 * above it a hostile JWK only makes us do slow arithmetic. */
#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BITS 8192
#define JWK_THUMBPRINT_SIZE 32

/* The key management algorithms a tee-pubkey may name. RSA1_5 is not one:
 * PKCS #1 v1.5 encryption invites padding oracles (RFC 8017 section 7.2),
 * and Trustee only still offers it as deprecated. */
typedef enum JwkAlg {
        JWK_ALG_ECDH_ES_A256KW,
        JWK_ALG_RSA_OAEP_256,
        _JWK_ALG_MAX,
        _JWK_ALG_INVALID = -EINVAL,
} JwkAlg;

const char *jwk_alg_to_string(JwkAlg a);
JwkAlg jwk_alg_from_string(const char *s);

/* What was wrong with a JWK: the member and a phrase, both static. */
typedef struct JwkError {
        const char *member;
        const char *what;
} JwkError;

/* The public JWK of an EC P-256 key (alg ECDH-ES+A256KW, x and y 32 bytes
 * each) or an RSA key (alg RSA-OAEP-256). -EOPNOTSUPP for other keys,
 * -ENOMEM. Never exports private members. */
int jwk_from_pkey(EVP_PKEY *key, json_object **ret);

/* A tee-pubkey JWK as an EVP_PKEY and the algorithm it names. "alg" is
 * required and must fit the key type; EC must be P-256 with a point on the
 * curve; RSA n and e must be minimal big-endian and n within
 * JWK_RSA_MIN_BITS..JWK_RSA_MAX_BITS; private members are refused.
 * -EBADMSG malformed, -EOPNOTSUPP an algorithm, key type or curve we do not
 * take (RSA1_5 among them), -EKEYREJECTED a key too weak; err (may be
 * NULL) names the member. -ENOMEM. */
int jwk_to_pkey(json_object *jwk, EVP_PKEY **ret, JwkAlg *ret_alg, JwkError *err);

/* The "epk" of a JWE header: an EC P-256 public JWK without "alg". Same
 * checks and errors as jwk_to_pkey(). */
int jwk_epk_to_pkey(json_object *jwk, EVP_PKEY **ret, JwkError *err);

/* RFC 7638 thumbprint: SHA-256 over the required members in canonical
 * form. Short and stable, so logs and session records can name a key
 * without printing it. -EBADMSG if a required member is missing. */
int jwk_thumbprint(json_object *jwk, uint8_t ret[static JWK_THUMBPRINT_SIZE]);
