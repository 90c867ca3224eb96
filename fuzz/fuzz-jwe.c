/* The flattened JWE parser and the decrypt path. Inputs starting with
 * 0xff do not stand for themselves: they edit a valid JWE made at start-up
 * for our own P-256 (or, with bit 0 of the next byte, RSA) key, as pairs of
 * a 16-bit offset and a byte to XOR there, so the fuzzer also reaches the
 * key unwrap and the GCM check, which random JSON never does. Inputs
 * starting with 0xfe encrypt the rest of the input to one of the keys (bit
 * 0 of the next byte; bit 1 adds an "aad") and must decrypt to it again. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/secret.h"
#include "confnode/crypto/ephemeral-key.h"
#include "confnode/crypto/jwe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EphemeralKey *fuzz_key[2];
static char *fuzz_valid[2];
static size_t fuzz_valid_size[2];

static int fuzz_jwe_init(void) {
        static const char secret[] =
                "join bundle: https://10.0.0.1:6443, token abcdef.0123456789abcdef";

        if (ephemeral_key_new(EPHEMERAL_KEY_P256, &fuzz_key[0]) < 0 ||
            ephemeral_key_new(EPHEMERAL_KEY_RSA3072, &fuzz_key[1]) < 0)
                return -1;
        for (int i = 0; i < 2; i++)
                if (jwe_encrypt(ephemeral_key_pkey(fuzz_key[i]), ephemeral_key_alg(fuzz_key[i]),
                                secret, sizeof(secret) - 1, i == 0 ? "YWFk" : NULL, &fuzz_valid[i],
                                &fuzz_valid_size[i]) < 0)
                        return -1;
        return 0;
}

static void fuzz_jwe_one(const uint8_t *data, size_t size) {
        _cleanup_(jwe_freep) Jwe *jwe = NULL;

        if (jwe_parse(data, size, &jwe, NULL) < 0)
                return;
        for (int i = 0; i < 2; i++) {
                _cleanup_(secret_freep) Secret *s = NULL;

                (void)jwe_decrypt(jwe, ephemeral_key_pkey(fuzz_key[i]), &s, NULL);
        }
}

static void fuzz_jwe_roundtrip(int which, bool aad, const uint8_t *data, size_t size) {
        _cleanup_(secret_freep) Secret *s = NULL;
        _cleanup_free_ char *json = NULL;
        size_t n = 0;

        if (size == 0)
                return;
        if (jwe_encrypt(ephemeral_key_pkey(fuzz_key[which]), ephemeral_key_alg(fuzz_key[which]),
                        data, size, aad ? "YWFk" : NULL, &json, &n) < 0 ||
            n != strlen(json))
                abort();
        if (jwe_decrypt_json(json, n, ephemeral_key_pkey(fuzz_key[which]), &s, NULL) < 0 ||
            s->size != size || memcmp(s->data, data, size) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ uint8_t *edited = NULL;
        size_t n;
        int which;

        if (!fuzz_key[0] && fuzz_jwe_init() < 0)
                abort();
        if (size >= 2 && data[0] == 0xfe) {
                fuzz_jwe_roundtrip(data[1] & 1, data[1] & 2, data + 2, size - 2);
                return 0;
        }
        if (size < 2 || data[0] != 0xff) {
                fuzz_jwe_one(data, size);
                return 0;
        }
        which = data[1] & 1;
        n = fuzz_valid_size[which];
        edited = malloc(n);
        if (!edited)
                return 0;
        memcpy(edited, fuzz_valid[which], n);
        for (size_t i = 2; i + 3 <= size; i += 3) {
                size_t off = ((size_t)data[i] << 8 | data[i + 1]) % n;

                edited[off] ^= data[i + 2];
        }
        fuzz_jwe_one(edited, n);
        return 0;
}
