#pragma once

/* Shared by jwk.c, jwe.c and ephemeral-key.c: cleanup helpers for the
 * OpenSSL types they use and typed access to JSON members. Private to
 * src/crypto, so another module may define the same helpers for itself. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/openssl-cleanup.h"


/* Keys made by jwk_to_pkey() passed the checks jwe_encrypt() would
 * otherwise repeat on every use (curve or RSA size, point on the curve);
 * jwk_to_pkey() marks them with their algorithm, which never changes for
 * the life of the key. jose_pkey_checked_alg() returns the mark or
 * _JWK_ALG_INVALID for a key that carries none. */
void jose_pkey_mark_checked(EVP_PKEY *key, int alg);
int jose_pkey_checked_alg(EVP_PKEY *key);

/* The public point of a P-256 key, uncompressed (0x04 || X || Y, 65
 * bytes). jwk_to_pkey() keeps a copy with each EC key it makes, set
 * before the key is handed out, so threads sharing the key only read it;
 * for other keys the point is taken out through the provider (a few
 * microseconds). -EINVAL if key is not a P-256 key. */
int jose_pkey_p256_point(EVP_PKEY *key, uint8_t ret[static 65]);

/* The string member name of obj: -ENOENT if absent (or null), -EBADMSG if
 * not a string. The pointer stays valid as long as obj. */
static inline int jose_get_string(json_object *obj, const char *name, const char **ret,
                                  size_t *ret_len) {
        json_object *v;

        if (!json_object_object_get_ex(obj, name, &v) || !v)
                return -ENOENT;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = json_object_get_string(v);
        if (ret_len)
                *ret_len = (size_t)json_object_get_string_len(v);
        return 0;
}

/* True if the member is a string equal to want (and holds no NUL). */
static inline bool jose_string_is(const char *s, size_t len, const char *want) {
        return len == strlen(want) && memcmp(s, want, len) == 0;
}
