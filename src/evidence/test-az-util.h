#pragma once

/* Test helpers for the Azure HCL tests: a synthetic HCL report with a TDX
 * TD report in its slot (report_data = the hash of the runtime data) and
 * the runtime data given as text, so that each field of the frame and of
 * the JSON can be set on purpose; and an RSA JWK of a fresh key. */

#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "test-tdx-util.h"

typedef struct TestHclOptions {
        uint32_t signature, version, report_type, hash_type;
        /* Added to the sizes the builder computes, to make them lie. */
        int32_t report_size_delta, data_size_delta, runtime_size_delta;
        size_t padding; /* zero bytes after the report */
        bool wrong_hash;
} TestHclOptions;

#define TEST_HCL_DEFAULTS                                                                          \
        (TestHclOptions) {                                                                         \
                .signature = 0x414c4348u, .version = 2, .report_type = 4, .hash_type = 1,          \
        }

static inline void test_hcl_build(TestBuf *b, const TestHclOptions *o, const char *json) {
        size_t len = strlen(json);
        uint8_t slot[1184] = {}, h[64] = {};
        uint32_t data_size = (uint32_t)(20 + len);

        *b = (TestBuf){};
        EVP_Digest(json, len, h, NULL,
                   o->hash_type == 3   ? EVP_sha512()
                   : o->hash_type == 2 ? EVP_sha384()
                                       : EVP_sha256(),
                   NULL);
        if (o->wrong_hash)
                h[0] ^= 1;
        slot[0] = 0x81;
        memcpy(slot + 128, h, 64);
        test_buf_u32(b, o->signature);
        test_buf_u32(b, o->version);
        test_buf_u32(b, (uint32_t)((int64_t)(32 + 1184 + data_size) + o->report_size_delta));
        test_buf_u32(b, 2);
        test_buf_u32(b, 0);
        test_buf_fill(b, 0, 12);
        test_buf_put(b, slot, sizeof(slot));
        test_buf_u32(b, (uint32_t)((int64_t)data_size + o->data_size_delta));
        test_buf_u32(b, 1);
        test_buf_u32(b, o->report_type);
        test_buf_u32(b, o->hash_type);
        test_buf_u32(b, (uint32_t)((int64_t)len + o->runtime_size_delta));
        test_buf_put(b, json, len);
        test_buf_fill(b, 0, o->padding);
}

static inline void test_b64url(const uint8_t *data, size_t n, char *out, size_t max) {
        unsigned char tmp[1024];
        int k;

        if (4 * ((n + 2) / 3) + 1 > sizeof(tmp) || 4 * ((n + 2) / 3) + 1 > max)
                abort();
        k = EVP_EncodeBlock(tmp, data, (int)n);
        for (int i = 0; i < k; i++) {
                char c = (char)tmp[i];

                if (c == '=') {
                        k = i;
                        break;
                }
                out[i] = c == '+' ? '-' : c == '/' ? '_' : c;
        }
        out[k] = 0;
}

/* {"kid":KID,"kty":"RSA","e":…,"n":…} for a fresh 2048-bit key. */
static inline EVP_PKEY *test_rsa_jwk(const char *kid, char *out, size_t max) {
        EVP_PKEY *key = EVP_RSA_gen(2048);
        BIGNUM *n = NULL, *e = NULL;
        uint8_t nb[256], eb[8];
        char n64[400], e64[16];
        int nl, el;

        if (!key || EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
                abort();
        nl = BN_bn2bin(n, nb);
        el = BN_bn2bin(e, eb);
        test_b64url(nb, (size_t)nl, n64, sizeof(n64));
        test_b64url(eb, (size_t)el, e64, sizeof(e64));
        snprintf(
                out, max,
                "{\"kid\":\"%s\",\"key_ops\":[\"sign\"],\"kty\":\"RSA\",\"e\":\"%s\",\"n\":\"%s\"}",
                kid, e64, n64);
        BN_free(n);
        BN_free(e);
        return key;
}
