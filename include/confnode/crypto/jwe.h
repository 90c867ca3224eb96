#pragma once

/* JSON Web Encryption (RFC 7516) in the flattened JSON serialization the
 * KBS protocol uses for released resources:
 *   {"protected","encrypted_key"[,"aad"],"iv","ciphertext","tag"}
 * with enc A256GCM and alg ECDH-ES+A256KW (P-256, Concat KDF then AES key
 * wrap of a random content key) or RSA-OAEP-256. The agent decrypts into
 * locked memory; the verifier encrypts to the agent's tee-pubkey.
 *
 * Every failure has a stable reason, logged at debug level and returned
 * through ret_reason:
 *   jwe.too_large          the JSON or a member exceeds its bound
 *   jwe.malformed          not a flattened JWE: JSON, member types, base64url
 *   jwe.unsupported_member "recipients", "header" or "unprotected" present
 *   jwe.header_malformed   the protected header is not a JSON object with alg, enc
 *   jwe.header_unsupported "crit" or "zip" in the header
 *   jwe.alg_refused        alg RSA1_5
 *   jwe.alg_unsupported    another alg we do not implement
 *   jwe.enc_unsupported    enc other than A256GCM
 *   jwe.key_mismatch       alg does not fit the private key
 *   jwe.epk_invalid        ECDH-ES: epk missing, not P-256 or not on the curve
 *   jwe.encrypted_key_size encrypted_key of the wrong length for alg
 *   jwe.unwrap_failed      the content key does not unwrap (wrong key, or
 *                          encrypted_key or epk altered)
 *   jwe.iv_size            iv not 96 bits
 *   jwe.tag_size           tag not 128 bits
 *   jwe.auth_failed        the GCM tag does not verify. One tag covers iv,
 *                          AAD (protected header, aad) and ciphertext, so a
 *                          change to any of them ends here by design.
 *   jwe.empty              an authentic but empty plaintext
 * Errors: -E2BIG too large, -EOPNOTSUPP for the *_unsupported, alg_refused
 * and unsupported_member reasons, -EBADMSG for all other reasons, -ENOMEM,
 * -EIO when OpenSSL fails on its own. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/types.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/secret.h"
#include "confnode/crypto/jwk.h"

/* Bounds on what we parse. A released resource is a disk key or a join
 * bundle (a kubeconfig with a CA): far below a megabyte. */
#define JWE_MAX_SIZE (1024u * 1024)
#define JWE_MAX_PROTECTED 8192u     /* base64url characters */
#define JWE_MAX_ENCRYPTED_KEY 1024u /* bytes: one RSA-8192 block */
#define JWE_MAX_IV 64u
#define JWE_MAX_TAG 64u
#define JWE_MAX_AAD 65536u /* base64url characters */

typedef struct Jwe {
        char *protected_b64; /* as received: the AAD is computed from these bytes */
        json_object *header; /* the decoded protected header */
        const char *alg;     /* header's "alg" and "enc", owned by header */
        size_t alg_len;
        const char *enc;
        size_t enc_len;
        uint8_t *encrypted_key;
        size_t encrypted_key_size;
        uint8_t *iv;
        size_t iv_size;
        uint8_t *ciphertext;
        size_t ciphertext_size;
        uint8_t *tag;
        size_t tag_size;
        char *aad_b64; /* NULL if absent; kept encoded, as it enters the AAD */
} Jwe;

/* Parses the flattened JSON serialization. The algorithms are not judged
 * here (jwe_decrypt() does), so a well-formed JWE for alg "fakealg" parses. */
int jwe_parse(const void *data, size_t size, Jwe **ret, const char **ret_reason);
void jwe_free(Jwe *jwe);
DEFINE_CLEANUP(Jwe, jwe_free)

/* Decrypts with the agent's private key (EC P-256 or RSA) into a Secret.
 * The content key and every intermediate key are wiped before return. */
int jwe_decrypt(const Jwe *jwe, EVP_PKEY *key, Secret **ret, const char **ret_reason);

/* jwe_parse() and jwe_decrypt() in one step. */
int jwe_decrypt_json(const void *data, size_t size, EVP_PKEY *key, Secret **ret,
                     const char **ret_reason);

/* Encrypts plaintext to the recipient's public key with alg (the key must
 * fit: P-256 for ECDH-ES+A256KW, RSA of at least JWK_RSA_MIN_BITS for
 * RSA-OAEP-256) and A256GCM. aad_b64, if not NULL, is base64url and goes
 * out as the "aad" member. The protected header is written in the form
 * Trustee's clients re-serialize it to (see docs/kbs-protocol.md), so they
 * compute the same AAD. ret is NUL-terminated JSON. -EINVAL for a key that
 * does not fit alg or bad aad_b64. */
int jwe_encrypt(EVP_PKEY *recipient, JwkAlg alg, const void *plaintext, size_t size,
                const char *aad_b64, char **ret, size_t *ret_size);

/* jwe_encrypt() to a tee-pubkey JWK with the algorithm it names. Errors
 * as jwk_to_pkey(). */
int jwe_encrypt_to_jwk(json_object *jwk, const void *plaintext, size_t size, char **ret,
                       size_t *ret_size);
