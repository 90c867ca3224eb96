#pragma once

/* The agent's ephemeral key pair for one KBS session: its public half
 * goes to the verifier as "tee-pubkey" and is bound into the TEE report;
 * the verifier encrypts released resources to it. P-256 (ECDH-ES+A256KW)
 * is the default, as in Trustee's guest components; RSA-3072
 * (RSA-OAEP-256) is there for verifiers that only wrap with RSA. */

#include <errno.h>

#include <json-c/json.h>
#include <openssl/types.h>

#include "confnode/basic/cleanup.h"
#include "confnode/crypto/jwk.h"

typedef enum EphemeralKeyType {
        EPHEMERAL_KEY_P256,
        EPHEMERAL_KEY_RSA3072,
        _EPHEMERAL_KEY_TYPE_MAX,
        _EPHEMERAL_KEY_TYPE_INVALID = -EINVAL,
} EphemeralKeyType;

/* "p256", "rsa3072": the spelling a config file uses. */
const char *ephemeral_key_type_to_string(EphemeralKeyType t);
EphemeralKeyType ephemeral_key_type_from_string(const char *s);

typedef struct EphemeralKey EphemeralKey;

/* A fresh key from the default provider's DRBG. -EINVAL for an unknown
 * type, -EIO if OpenSSL fails, -ENOMEM. */
int ephemeral_key_new(EphemeralKeyType type, EphemeralKey **ret);
/* OpenSSL clears the private key's numbers when the last reference goes. */
void ephemeral_key_free(EphemeralKey *k);
DEFINE_CLEANUP(EphemeralKey, ephemeral_key_free)

EphemeralKeyType ephemeral_key_type(const EphemeralKey *k);
JwkAlg ephemeral_key_alg(const EphemeralKey *k);
/* The key pair, borrowed: valid as long as k. */
EVP_PKEY *ephemeral_key_pkey(const EphemeralKey *k);

/* The public JWK, as Trustee's guest components send it (tee-pubkey). */
int ephemeral_key_to_jwk(const EphemeralKey *k, json_object **ret);
