#include "confnode/crypto/ephemeral-key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "confnode/basic/log.h"
#include "jose-internal.h"

/* 3072 bits: the NIST SP 800-57 match for 128-bit security, the level of
 * the AES-256-GCM content key's own margin and of P-256. */
#define EPHEMERAL_KEY_RSA_BITS 3072

struct EphemeralKey {
        EphemeralKeyType type;
        EVP_PKEY *pkey;
};

static const char *const ephemeral_key_type_names[_EPHEMERAL_KEY_TYPE_MAX] = {
        [EPHEMERAL_KEY_P256] = "p256",
        [EPHEMERAL_KEY_RSA3072] = "rsa3072",
};

const char *ephemeral_key_type_to_string(EphemeralKeyType t) {
        if (t < 0 || t >= _EPHEMERAL_KEY_TYPE_MAX)
                return NULL;
        return ephemeral_key_type_names[t];
}

EphemeralKeyType ephemeral_key_type_from_string(const char *s) {
        if (!s)
                return _EPHEMERAL_KEY_TYPE_INVALID;
        for (EphemeralKeyType t = 0; t < _EPHEMERAL_KEY_TYPE_MAX; t++)
                if (strcmp(ephemeral_key_type_names[t], s) == 0)
                        return t;
        return _EPHEMERAL_KEY_TYPE_INVALID;
}

int ephemeral_key_new(EphemeralKeyType type, EphemeralKey **ret) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
        EphemeralKey *k;

        switch (type) {
        case EPHEMERAL_KEY_P256:
                pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
                break;
        case EPHEMERAL_KEY_RSA3072:
                pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)EPHEMERAL_KEY_RSA_BITS);
                break;
        default:
                return -EINVAL;
        }
        if (!pkey) {
                ERR_clear_error();
                return log_debug_errno(EIO, "Generating a %s ephemeral key failed.",
                                       ephemeral_key_type_to_string(type));
        }
        k = calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        *k = (EphemeralKey){.type = type, .pkey = TAKE_PTR(pkey)};
        *ret = k;
        return 0;
}

void ephemeral_key_free(EphemeralKey *k) {
        if (!k)
                return;
        EVP_PKEY_free(k->pkey);
        free(k);
}

EphemeralKeyType ephemeral_key_type(const EphemeralKey *k) {
        return k->type;
}

JwkAlg ephemeral_key_alg(const EphemeralKey *k) {
        return k->type == EPHEMERAL_KEY_RSA3072 ? JWK_ALG_RSA_OAEP_256 : JWK_ALG_ECDH_ES_A256KW;
}

EVP_PKEY *ephemeral_key_pkey(const EphemeralKey *k) {
        return k->pkey;
}

int ephemeral_key_to_jwk(const EphemeralKey *k, json_object **ret) {
        return jwk_from_pkey(k->pkey, ret);
}
