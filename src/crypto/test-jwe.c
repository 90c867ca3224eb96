#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/canonical-json.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/ephemeral-key.h"
#include "confnode/crypto/jwe.h"
#include "confnode/basic/openssl-cleanup.h"
#include "ecdh-p256-internal.h"

static const char plaintext[] = "a LUKS key for the state disk of node-7";

static EphemeralKey *p256, *rsa;

static int setup(void **state) {
        (void)state;
        if (ephemeral_key_new(EPHEMERAL_KEY_P256, &p256) < 0 ||
            ephemeral_key_new(EPHEMERAL_KEY_RSA3072, &rsa) < 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        (void)state;
        ephemeral_key_free(p256);
        ephemeral_key_free(rsa);
        return 0;
}

static char *encrypt_to(EphemeralKey *k, const char *aad_b64) {
        char *out = NULL;
        size_t n;

        assert_int_equal(jwe_encrypt(ephemeral_key_pkey(k), ephemeral_key_alg(k), plaintext,
                                     strlen(plaintext), aad_b64, &out, &n),
                         0);
        assert_int_equal(n, strlen(out));
        return out;
}

static void expect_plaintext(const char *json, EphemeralKey *k) {
        _cleanup_(secret_freep) Secret *s = NULL;
        const char *reason = NULL;

        assert_int_equal(jwe_decrypt_json(json, strlen(json), ephemeral_key_pkey(k), &s, &reason),
                         0);
        assert_null(reason);
        assert_int_equal(s->size, strlen(plaintext));
        assert_memory_equal(s->data, plaintext, s->size);
}

static void expect_failure(const char *json, EphemeralKey *k, int r, const char *reason) {
        _cleanup_(secret_freep) Secret *s = NULL;
        const char *got = NULL;

        assert_int_equal(jwe_decrypt_json(json, strlen(json), ephemeral_key_pkey(k), &s, &got), r);
        assert_null(s);
        assert_non_null(got);
        assert_string_equal(got, reason);
}

static void test_roundtrip_ecdh(void **state) {
        _cleanup_free_ char *j = encrypt_to(p256, NULL);
        _cleanup_free_ char *a = encrypt_to(p256, "c29tZSBjb250ZXh0");
        _cleanup_(jwe_freep) Jwe *jwe = NULL;
        json_object *epk, *v;
        (void)state;

        expect_plaintext(j, p256);
        expect_plaintext(a, p256);

        assert_int_equal(jwe_parse(j, strlen(j), &jwe, NULL), 0);
        assert_string_equal(jwe->alg, "ECDH-ES+A256KW");
        assert_string_equal(jwe->enc, "A256GCM");
        assert_int_equal(jwe->encrypted_key_size, 40);
        assert_int_equal(jwe->iv_size, 12);
        assert_int_equal(jwe->tag_size, 16);
        assert_int_equal(jwe->ciphertext_size, strlen(plaintext));
        assert_null(jwe->aad_b64);
        assert_true(json_object_object_get_ex(jwe->header, "epk", &epk));
        assert_int_equal(json_object_object_length(epk), 4);
        assert_true(json_object_object_get_ex(epk, "crv", &v));
        assert_string_equal(json_object_get_string(v), "P-256");
        assert_false(json_object_object_get_ex(epk, "alg", NULL));
        /* The header is sent as Trustee's clients re-serialize it: alg,
         * enc, then the rest sorted, no whitespace. */
        {
                static const char prefix[] = "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\","
                                             "\"epk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"";
                _cleanup_free_ uint8_t *text = NULL;
                _cleanup_free_ char *canon = NULL;
                size_t n, cn;

                assert_int_equal(base64url_decode(jwe->protected_b64, strlen(jwe->protected_b64),
                                                  4096, &text, &n),
                                 0);
                assert_true(n > sizeof(prefix));
                assert_memory_equal(text, prefix, sizeof(prefix) - 1);
                assert_int_equal(canonical_json(jwe->header, &canon, &cn), 0);
                assert_int_equal(cn, n);
                assert_memory_equal(canon, text, n);
        }
        assert_true(strncmp(j, "{\"protected\":", 13) == 0);
}

static void test_roundtrip_rsa(void **state) {
        _cleanup_free_ char *j = encrypt_to(rsa, NULL);
        _cleanup_free_ char *a = encrypt_to(rsa, "");
        _cleanup_(jwe_freep) Jwe *jwe = NULL;
        (void)state;

        expect_plaintext(j, rsa);
        expect_plaintext(a, rsa);
        assert_int_equal(jwe_parse(j, strlen(j), &jwe, NULL), 0);
        assert_string_equal(jwe->alg, "RSA-OAEP-256");
        assert_int_equal(jwe->encrypted_key_size, 384);
        assert_false(json_object_object_get_ex(jwe->header, "epk", NULL));
        assert_int_equal(json_object_object_length(jwe->header), 2);
}

static void test_encrypt_to_jwk(void **state) {
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        _cleanup_free_ char *j = NULL;
        size_t n;
        (void)state;

        assert_int_equal(ephemeral_key_to_jwk(p256, &jwk), 0);
        assert_int_equal(jwe_encrypt_to_jwk(jwk, plaintext, strlen(plaintext), &j, &n), 0);
        expect_plaintext(j, p256);
        /* A tee-pubkey that asks for RSA1_5 gets nothing. */
        json_object_put(jwk);
        jwk = NULL;
        assert_int_equal(ephemeral_key_to_jwk(rsa, &jwk), 0);
        assert_int_equal(json_add_string(jwk, "alg", "RSA1_5"), 0);
        assert_int_equal(jwe_encrypt_to_jwk(jwk, plaintext, strlen(plaintext), &j, &n),
                         -EOPNOTSUPP);
}

static void test_encrypt_refusals(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *small =
                EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
        char *out = NULL;
        size_t n;
        (void)state;

        assert_int_equal(
                jwe_encrypt(ephemeral_key_pkey(p256), JWK_ALG_RSA_OAEP_256, "x", 1, NULL, &out, &n),
                -EINVAL);
        assert_int_equal(jwe_encrypt(ephemeral_key_pkey(rsa), JWK_ALG_ECDH_ES_A256KW, "x", 1, NULL,
                                     &out, &n),
                         -EINVAL);
        assert_int_equal(jwe_encrypt(small, JWK_ALG_RSA_OAEP_256, "x", 1, NULL, &out, &n), -EINVAL);
        assert_int_equal(jwe_encrypt(ephemeral_key_pkey(p256), JWK_ALG_ECDH_ES_A256KW, "x", 1,
                                     "not base64url", &out, &n),
                         -EINVAL);
        assert_int_equal(jwe_encrypt(ephemeral_key_pkey(p256), JWK_ALG_ECDH_ES_A256KW, "x", 0, NULL,
                                     &out, &n),
                         -EINVAL);
        assert_null(out);
}

/* Helpers that rewrite one member of a JWE's JSON. */
static char *serialize(json_object *o) {
        char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

        assert_non_null(s);
        return s;
}

static char *with_member(const char *json, const char *name, const char *value) {
        _cleanup_(json_object_putp) json_object *o = json_tokener_parse(json);

        assert_non_null(o);
        if (value)
                assert_int_equal(json_add_string(o, name, value), 0);
        else
                json_object_object_del(o, name);
        return serialize(o);
}

static char *flip(const char *json, const char *name, size_t byte) {
        _cleanup_(json_object_putp) json_object *o = json_tokener_parse(json);
        _cleanup_free_ uint8_t *b = NULL;
        _cleanup_free_ char *s = NULL;
        json_object *v;
        size_t n;

        assert_true(json_object_object_get_ex(o, name, &v));
        assert_int_equal(base64url_decode(json_object_get_string(v),
                                          (size_t)json_object_get_string_len(v), 1 << 20, &b, &n),
                         0);
        assert_true(byte < n);
        b[byte] ^= 0x01;
        s = base64url_encode(b, n);
        return with_member(json, name, s);
}

static char *resize(const char *json, const char *name, size_t n) {
        _cleanup_free_ uint8_t *b = calloc(1, n + 1);
        _cleanup_free_ char *s = NULL;

        s = base64url_encode(b, n);
        return with_member(json, name, s);
}

/* Replaces the protected header by the canonical JSON of what edit leaves. */
static char *with_header(const char *json, void (*edit)(json_object *h)) {
        _cleanup_(jwe_freep) Jwe *jwe = NULL;
        _cleanup_free_ char *text = NULL, *b64 = NULL;
        size_t n;

        assert_int_equal(jwe_parse(json, strlen(json), &jwe, NULL), 0);
        edit(jwe->header);
        assert_int_equal(canonical_json(jwe->header, &text, &n), 0);
        b64 = base64url_encode(text, n);
        return with_member(json, "protected", b64);
}

static void add_kid(json_object *h) {
        assert_int_equal(json_add_string(h, "kid", "node-7"), 0);
}

static void new_epk(json_object *h) {
        _cleanup_(ephemeral_key_freep) EphemeralKey *k = NULL;
        json_object *jwk = NULL;

        assert_int_equal(ephemeral_key_new(EPHEMERAL_KEY_P256, &k), 0);
        assert_int_equal(ephemeral_key_to_jwk(k, &jwk), 0);
        json_object_object_del(jwk, "alg");
        assert_int_equal(json_object_object_add(h, "epk", jwk), 0);
}

static void off_curve_epk(json_object *h) {
        json_object *epk;

        assert_true(json_object_object_get_ex(h, "epk", &epk));
        assert_int_equal(json_add_string(epk, "y", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"),
                         0);
}

static void alg_rsa1_5(json_object *h) {
        assert_int_equal(json_add_string(h, "alg", "RSA1_5"), 0);
}

static void alg_rsa_oaep(json_object *h) {
        assert_int_equal(json_add_string(h, "alg", "RSA-OAEP"), 0);
}

static void alg_oaep256(json_object *h) {
        assert_int_equal(json_add_string(h, "alg", "RSA-OAEP-256"), 0);
}

static void enc_cbc(json_object *h) {
        assert_int_equal(json_add_string(h, "enc", "A256CBC-HS512"), 0);
}

static void add_crit(json_object *h) {
        json_object *a = json_object_new_array();

        assert_int_equal(json_object_array_add(a, json_object_new_string("exp")), 0);
        assert_int_equal(json_object_object_add(h, "crit", a), 0);
}

static void add_zip(json_object *h) {
        assert_int_equal(json_add_string(h, "zip", "DEF"), 0);
}

static void add_apu(json_object *h) {
        assert_int_equal(json_add_string(h, "apu", "QWxpY2U"), 0);
}

/* A GCM tag covers iv, AAD and ciphertext together: a flipped bit in any of
 * them fails the same check. Sizes, the header's syntax and the key unwrap
 * are checked earlier and fail with reasons of their own. */
static void tamper(EphemeralKey *k) {
        _cleanup_free_ char *j = encrypt_to(k, "c29tZSBjb250ZXh0");
        struct {
                char *json;
                const char *reason;
        } cases[] = {
                {flip(j, "tag", 15), "jwe.auth_failed"},
                {flip(j, "tag", 0), "jwe.auth_failed"},
                {resize(j, "tag", 15), "jwe.tag_size"},
                {flip(j, "ciphertext", 0), "jwe.auth_failed"},
                {flip(j, "ciphertext", strlen(plaintext) - 1), "jwe.auth_failed"},
                {flip(j, "iv", 11), "jwe.auth_failed"},
                {resize(j, "iv", 16), "jwe.iv_size"},
                {with_member(j, "aad", "b3RoZXIgY29udGV4dA"), "jwe.auth_failed"},
                {with_member(j, "aad", NULL), "jwe.auth_failed"},
                {with_header(j, add_kid), "jwe.auth_failed"},
                {with_member(j, "protected", "e30"), "jwe.header_malformed"},
                {with_member(j, "protected", "eyJhbGciOiJ"), "jwe.header_malformed"},
                {flip(j, "encrypted_key", 0), "jwe.unwrap_failed"},
                {resize(j, "encrypted_key", 39), "jwe.encrypted_key_size"},
        };
        (void)k;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                expect_failure(cases[i].json, k, -EBADMSG, cases[i].reason);
                free(cases[i].json);
        }
}

static void test_tamper_ecdh(void **state) {
        _cleanup_free_ char *j = encrypt_to(p256, NULL);
        _cleanup_free_ char *epk = with_header(j, new_epk);
        _cleanup_free_ char *bad = with_header(j, off_curve_epk);
        _cleanup_free_ char *apu = with_header(j, add_apu);
        _cleanup_free_ char *mismatch = with_header(j, alg_oaep256);
        (void)state;

        tamper(p256);
        /* Another epk derives another KEK: the wrapped key does not unwrap. */
        expect_failure(epk, p256, -EBADMSG, "jwe.unwrap_failed");
        expect_failure(bad, p256, -EBADMSG, "jwe.epk_invalid");
        /* apu enters the Concat KDF, so adding one changes the KEK too. */
        expect_failure(apu, p256, -EBADMSG, "jwe.unwrap_failed");
        expect_failure(mismatch, p256, -EBADMSG, "jwe.key_mismatch");
}

static void test_tamper_rsa(void **state) {
        (void)state;
        tamper(rsa);
}

static void test_wrong_key(void **state) {
        _cleanup_(ephemeral_key_freep) EphemeralKey *other_ec = NULL, *other_rsa = NULL;
        _cleanup_free_ char *e = encrypt_to(p256, NULL);
        _cleanup_free_ char *r = encrypt_to(rsa, NULL);
        (void)state;

        assert_int_equal(ephemeral_key_new(EPHEMERAL_KEY_P256, &other_ec), 0);
        assert_int_equal(ephemeral_key_new(EPHEMERAL_KEY_RSA3072, &other_rsa), 0);
        expect_failure(e, other_ec, -EBADMSG, "jwe.unwrap_failed");
        expect_failure(r, other_rsa, -EBADMSG, "jwe.unwrap_failed");
        expect_failure(e, rsa, -EBADMSG, "jwe.key_mismatch");
        expect_failure(r, p256, -EBADMSG, "jwe.key_mismatch");
}

static void test_refused_algorithms(void **state) {
        _cleanup_free_ char *j = encrypt_to(rsa, NULL);
        _cleanup_free_ char *rsa1_5 = with_header(j, alg_rsa1_5);
        _cleanup_free_ char *oaep = with_header(j, alg_rsa_oaep);
        _cleanup_free_ char *cbc = with_header(j, enc_cbc);
        _cleanup_free_ char *crit = with_header(j, add_crit);
        _cleanup_free_ char *zip = with_header(j, add_zip);
        (void)state;

        expect_failure(rsa1_5, rsa, -EOPNOTSUPP, "jwe.alg_refused");
        expect_failure(oaep, rsa, -EOPNOTSUPP, "jwe.alg_unsupported");
        expect_failure(cbc, rsa, -EOPNOTSUPP, "jwe.enc_unsupported");
        expect_failure(crit, rsa, -EOPNOTSUPP, "jwe.header_unsupported");
        expect_failure(zip, rsa, -EOPNOTSUPP, "jwe.header_unsupported");
}

static void test_malformed(void **state) {
        _cleanup_free_ char *j = encrypt_to(p256, NULL);
        _cleanup_free_ char *no_tag = with_member(j, "tag", NULL);
        _cleanup_free_ char *padded = NULL;
        _cleanup_free_ char *hdr = with_member(j, "header", "x");
        _cleanup_free_ char *recipients = with_member(j, "recipients", "x");
        _cleanup_free_ char *bad_aad = with_member(j, "aad", "a+b");
        _cleanup_free_ char *empty = with_member(j, "ciphertext", "");
        _cleanup_free_ char *big = NULL;
        Jwe *jwe = NULL;
        const char *reason = NULL;
        json_object *o;
        (void)state;

        {
                _cleanup_(json_object_putp) json_object *p = json_tokener_parse(j);
                json_object *v;
                _cleanup_free_ char *s = NULL;

                assert_true(json_object_object_get_ex(p, "iv", &v));
                assert_int_equal(asprintf(&s, "%s=", json_object_get_string(v)), 16 + 1);
                padded = with_member(j, "iv", s);
        }
        expect_failure(no_tag, p256, -EBADMSG, "jwe.malformed");
        expect_failure(padded, p256, -EBADMSG, "jwe.malformed");
        expect_failure(hdr, p256, -EOPNOTSUPP, "jwe.unsupported_member");
        expect_failure(recipients, p256, -EOPNOTSUPP, "jwe.unsupported_member");
        expect_failure(bad_aad, p256, -EBADMSG, "jwe.malformed");
        expect_failure(empty, p256, -EBADMSG, "jwe.empty");
        expect_failure("", p256, -EBADMSG, "jwe.malformed");
        {
                /* One byte short of a valid JWE. */
                _cleanup_free_ char *cut = strndup(j, strlen(j) - 1);
                expect_failure(cut, p256, -EBADMSG, "jwe.malformed");
        }
        {
                /* More members than the bound on values. */
                _cleanup_(json_object_putp) json_object *p = json_tokener_parse(j);
                _cleanup_free_ char *s = NULL;

                for (int i = 0; i < 64; i++) {
                        char name[16];

                        snprintf(name, sizeof(name), "x%d", i);
                        assert_int_equal(json_add_string(p, name, ""), 0);
                }
                s = serialize(p);
                expect_failure(s, p256, -E2BIG, "jwe.too_large");
        }
        expect_failure("[]", p256, -EBADMSG, "jwe.malformed");
        expect_failure("{\"protected\":1}", p256, -EBADMSG, "jwe.malformed");

        /* One byte over the limit on the whole body. */
        big = malloc(JWE_MAX_SIZE + 2);
        memset(big, ' ', JWE_MAX_SIZE + 1);
        big[0] = '{';
        big[JWE_MAX_SIZE] = '}';
        big[JWE_MAX_SIZE + 1] = 0;
        assert_int_equal(jwe_parse(big, JWE_MAX_SIZE + 1, &jwe, &reason), -E2BIG);
        assert_string_equal(reason, "jwe.too_large");
        assert_null(jwe);

        /* A nested unprotected header meets the explicit refusal, not a
         * generic parse error. */
        o = json_tokener_parse(j);
        assert_int_equal(json_object_object_add(o, "unprotected", json_object_new_object()), 0);
        free(big);
        big = serialize(o);
        json_object_put(o);
        assert_int_equal(jwe_parse(big, strlen(big), &jwe, &reason), -EOPNOTSUPP);
        assert_string_equal(reason, "jwe.unsupported_member");
}

/* A JWE built the way Trustee's KBS builds one (kbs/src/jwe: Concat KDF by
 * hand over SHA-256 with empty apu/apv unless given, AES-256 key wrap,
 * AES-256-GCM with AAD = the protected string), from primitives this test
 * drives directly, so jwe.c is checked against the algorithm and not
 * against itself. */
static char *trustee_style(EVP_PKEY *recipient, const char *apu, const char *apv) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *dctx =
                EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        _cleanup_(json_object_putp) json_object *h = json_object_new_object();
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *epk = NULL;
        _cleanup_free_ char *htext = NULL, *hb64 = NULL;
        uint8_t z[32], kek[32], cek[32], wrapped[48], iv[12], tag[16], ct[sizeof(plaintext)];
        uint8_t info[256], md[32];
        size_t zlen = sizeof(z), hn, o_ = 0, ct_len = strlen(plaintext);
        unsigned mdlen;
        int outl, fin;
        EVP_MD_CTX *mctx;

        assert_int_equal(EVP_PKEY_derive_init(dctx), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(dctx, recipient), 1);
        assert_int_equal(EVP_PKEY_derive(dctx, z, &zlen), 1);
        assert_int_equal(zlen, 32);

        /* OtherInfo: len("ECDH-ES+A256KW") || alg || len(apu) || apu ||
         * len(apv) || apv || 256 (bits), each length a 32-bit big-endian. */
#define PUT32(v)                                                                                   \
        (info[o_++] = (uint8_t)((v) >> 24), info[o_++] = (uint8_t)((v) >> 16),                     \
         info[o_++] = (uint8_t)((v) >> 8), info[o_++] = (uint8_t)(v))
        PUT32(14u);
        memcpy(info + o_, "ECDH-ES+A256KW", 14);
        o_ += 14;
        {
                uint8_t b[64];
                size_t n = 0;

                if (apu)
                        assert_int_equal(base64url_decode_to(apu, strlen(apu), b, sizeof(b), &n),
                                         0);
                PUT32((uint32_t)n);
                memcpy(info + o_, b, n);
                o_ += n;
                n = 0;
                if (apv)
                        assert_int_equal(base64url_decode_to(apv, strlen(apv), b, sizeof(b), &n),
                                         0);
                PUT32((uint32_t)n);
                memcpy(info + o_, b, n);
                o_ += n;
        }
        PUT32(256u);
#undef PUT32
        mctx = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestInit_ex(mctx, EVP_sha256(), NULL), 1);
        assert_int_equal(EVP_DigestUpdate(mctx, "\0\0\0\1", 4), 1);
        assert_int_equal(EVP_DigestUpdate(mctx, z, zlen), 1);
        assert_int_equal(EVP_DigestUpdate(mctx, info, o_), 1);
        assert_int_equal(EVP_DigestFinal_ex(mctx, md, &mdlen), 1);
        EVP_MD_CTX_free(mctx);
        memcpy(kek, md, 32);

        assert_int_equal(RAND_bytes(cek, sizeof(cek)), 1);
        assert_int_equal(RAND_bytes(iv, sizeof(iv)), 1);
        assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_wrap(), NULL, kek, NULL), 1);
        assert_int_equal(EVP_EncryptUpdate(c, wrapped, &outl, cek, sizeof(cek)), 1);
        assert_int_equal(outl, 40);

        assert_int_equal(jwk_from_pkey(eph, &epk), 0);
        json_object_object_del(epk, "alg");
        assert_int_equal(json_add_string(h, "alg", "ECDH-ES+A256KW"), 0);
        assert_int_equal(json_add_string(h, "enc", "A256GCM"), 0);
        assert_int_equal(json_object_object_add(h, "epk", json_object_get(epk)), 0);
        if (apu)
                assert_int_equal(json_add_string(h, "apu", apu), 0);
        if (apv)
                assert_int_equal(json_add_string(h, "apv", apv), 0);
        /* Whitespace in the header: RFC 7516 takes the AAD from the encoded
         * string as sent, never from a re-serialization. */
        htext = strdup(json_object_to_json_string_ext(h, JSON_C_TO_STRING_SPACED));
        hn = strlen(htext);
        hb64 = base64url_encode(htext, hn);

        EVP_CIPHER_CTX_reset(c);
        assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, cek, iv), 1);
        assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, (uint8_t *)hb64, (int)strlen(hb64)), 1);
        assert_int_equal(EVP_EncryptUpdate(c, ct, &outl, (const uint8_t *)plaintext, (int)ct_len),
                         1);
        assert_int_equal(EVP_EncryptFinal_ex(c, ct + outl, &fin), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);

        assert_int_equal(json_add_string(o, "protected", hb64), 0);
        {
                _cleanup_free_ char *k = base64url_encode(wrapped, 40);
                _cleanup_free_ char *i = base64url_encode(iv, 12);
                _cleanup_free_ char *t = base64url_encode(tag, 16);
                _cleanup_free_ char *x = base64url_encode(ct, ct_len);

                assert_int_equal(json_add_string(o, "encrypted_key", k), 0);
                assert_int_equal(json_add_string(o, "iv", i), 0);
                assert_int_equal(json_add_string(o, "ciphertext", x), 0);
                assert_int_equal(json_add_string(o, "tag", t), 0);
        }
        return serialize(o);
}

static void test_trustee_style(void **state) {
        _cleanup_free_ char *plain = trustee_style(ephemeral_key_pkey(p256), NULL, NULL);
        _cleanup_free_ char *parties = trustee_style(ephemeral_key_pkey(p256), "QWxpY2U", "Qm9i");
        (void)state;

        expect_plaintext(plain, p256);
        expect_plaintext(parties, p256);
}

/* kbs-types' protected_header_generate_aad: the AAD of {"alg":"fakealg",
 * "enc":"fakeenc"}. Our encoder writes headers the same way. */
static void test_header_encoding_matches_kbs_types(void **state) {
        _cleanup_(json_object_putp) json_object *h = json_object_new_object();
        _cleanup_free_ char *text = NULL, *b64 = NULL;
        size_t n;
        (void)state;

        assert_int_equal(json_add_string(h, "enc", "fakeenc"), 0);
        assert_int_equal(json_add_string(h, "alg", "fakealg"), 0);
        assert_int_equal(canonical_json(h, &text, &n), 0);
        b64 = base64url_encode(text, n);
        assert_string_equal(b64, "eyJhbGciOiJmYWtlYWxnIiwiZW5jIjoiZmFrZWVuYyJ9");
}

static Jwe *peer_jwe(const char *name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        const char *dir = getenv("PEER_DATA");
        const char *reason = NULL;
        Jwe *jwe = NULL;
        size_t size;

        assert_non_null(dir);
        assert_true(asprintf(&path, "%s/kbs/%s", dir, name) > 0);
        assert_int_equal(read_full_file(path, 1 << 20, &data, &size), 0);
        assert_int_equal(jwe_parse(data, size, &jwe, &reason), 0);
        assert_null(reason);
        return jwe;
}

static void expect_bytes(const uint8_t *b, size_t n, const char *want) {
        assert_int_equal(n, strlen(want));
        assert_memory_equal(b, want, n);
}

/* kbs-types parse_response and its variants: placeholder values, so the
 * decrypt must stop at the algorithm, cleanly. */
static void check_peer_fields(Jwe *jwe) {
        _cleanup_(secret_freep) Secret *s = NULL;
        const char *reason = NULL;

        assert_string_equal(jwe->alg, "fakealg");
        assert_string_equal(jwe->enc, "fakeenc");
        expect_bytes(jwe->encrypted_key, jwe->encrypted_key_size, "fakekey");
        expect_bytes(jwe->iv, jwe->iv_size, "randomdata");
        expect_bytes(jwe->ciphertext, jwe->ciphertext_size, "fakeencoutput");
        expect_bytes(jwe->tag, jwe->tag_size, "faketag");
        assert_int_equal(jwe_decrypt(jwe, ephemeral_key_pkey(p256), &s, &reason), -EOPNOTSUPP);
        assert_string_equal(reason, "jwe.alg_unsupported");
        assert_null(s);
}

static void test_peer_response(void **state) {
        _cleanup_(jwe_freep) Jwe *jwe = peer_jwe("kt-response.json");
        (void)state;

        check_peer_fields(jwe);
        assert_null(jwe->aad_b64);
        assert_int_equal(json_object_object_length(jwe->header), 2);
        assert_string_equal(jwe->protected_b64, "eyJhbGciOiJmYWtlYWxnIiwiZW5jIjoiZmFrZWVuYyJ9");
}

static void test_peer_response_aad(void **state) {
        _cleanup_(jwe_freep) Jwe *jwe = peer_jwe("kt-response-aad.json");
        (void)state;

        check_peer_fields(jwe);
        /* Kept as sent, not decoded, like kbs-types does. */
        assert_string_equal(jwe->aad_b64, "fakeaad");
        assert_int_equal(json_object_object_length(jwe->header), 2);
}

static void test_peer_response_epk(void **state) {
        _cleanup_(jwe_freep) Jwe *jwe = peer_jwe("kt-response-epk.json");
        json_object *epk, *v;
        (void)state;

        check_peer_fields(jwe);
        assert_null(jwe->aad_b64);
        assert_int_equal(json_object_object_length(jwe->header), 3);
        assert_true(json_object_object_get_ex(jwe->header, "epk", &epk));
        assert_int_equal(json_object_object_length(epk), 3);
        assert_true(json_object_object_get_ex(epk, "kty", &v));
        assert_string_equal(json_object_get_string(v), "OKP");
        assert_true(json_object_object_get_ex(epk, "crv", &v));
        assert_string_equal(json_object_get_string(v), "X25519");
        assert_true(json_object_object_get_ex(epk, "x", &v));
        assert_string_equal(json_object_get_string(v),
                            "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo");
        /* The encoded header ends in a newline after the JSON; the AAD is
         * the string as sent, newline and all. */
        {
                _cleanup_free_ uint8_t *text = NULL;
                size_t n;

                assert_int_equal(base64url_decode(jwe->protected_b64, strlen(jwe->protected_b64),
                                                  4096, &text, &n),
                                 0);
                assert_int_equal(text[n - 1], '\n');
                assert_int_equal(text[n - 2], '}');
        }
}

/* The sender's ECDH on its own: edge scalars, refused scalars and points,
 * and Z against OpenSSL's EVP_PKEY_derive() both ways. */
static EVP_PKEY *p256_private(const uint8_t k[static ECDH_P256_SCALAR_SIZE]) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
                EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        _cleanup_(BN_freep) BIGNUM *d = BN_bin2bn(k, ECDH_P256_SCALAR_SIZE, NULL);
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
        EVP_PKEY *key = NULL;

        assert_non_null(ctx);
        assert_non_null(d);
        assert_non_null(bld);
        assert_int_equal(
                OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
                1);
        assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d), 1);
        params = OSSL_PARAM_BLD_to_param(bld);
        assert_non_null(params);
        assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
        assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params), 1);
        return key;
}

static EVP_PKEY *p256_public(const uint8_t point[static ECDH_P256_POINT_SIZE]) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
                EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
                OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point,
                                                  ECDH_P256_POINT_SIZE),
                OSSL_PARAM_construct_end(),
        };
        EVP_PKEY *key = NULL;

        assert_non_null(ctx);
        assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
        assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
        return key;
}

static void evp_derive(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t z[static 32]) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
                EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
        size_t n = 32;

        assert_non_null(ctx);
        assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
        assert_int_equal(EVP_PKEY_derive(ctx, z, &n), 1);
        assert_int_equal(n, 32);
}

static void recipient_point(uint8_t ret[static ECDH_P256_POINT_SIZE]) {
        size_t n = 0;

        assert_int_equal(EVP_PKEY_get_octet_string_param(ephemeral_key_pkey(p256),
                                                         OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, ret,
                                                         ECDH_P256_POINT_SIZE, &n),
                         1);
        assert_int_equal(n, ECDH_P256_POINT_SIZE);
}

static void test_ecdh_p256_derive(void **state) {
        _cleanup_(secret_freep) Secret *z = NULL, *z_short = NULL;
        _cleanup_(EC_GROUP_freep) EC_GROUP *group =
                EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
        uint8_t k[ECDH_P256_SCALAR_SIZE], peer[ECDH_P256_POINT_SIZE], epk[ECDH_P256_POINT_SIZE];
        uint8_t g[ECDH_P256_POINT_SIZE], bad[ECDH_P256_POINT_SIZE], want[32];
        (void)state;

        assert_non_null(group);
        assert_int_equal(EC_POINT_point2oct(group, EC_GROUP_get0_generator(group),
                                            POINT_CONVERSION_UNCOMPRESSED, g, sizeof(g), NULL),
                         sizeof(g));
        recipient_point(peer);
        assert_int_equal(secret_new(32, &z), 0);
        assert_int_equal(secret_new(31, &z_short), 0);

        /* k = 1: the ephemeral key is G and Z the peer's own x. */
        memset(k, 0, sizeof(k));
        k[31] = 1;
        assert_int_equal(ecdh_p256_derive(k, peer, epk, z), 0);
        assert_memory_equal(epk, g, sizeof(g));
        assert_memory_equal(z->data, peer + 1, 32);
        /* k = n - 1: -G, the same x with the other y, and again the peer's x. */
        assert_int_equal(BN_bn2binpad(EC_GROUP_get0_order(group), k, sizeof(k)), sizeof(k));
        k[31] -= 1;
        assert_int_equal(ecdh_p256_derive(k, peer, epk, z), 0);
        assert_memory_equal(epk, g, 33);
        assert_memory_not_equal(epk + 33, g + 33, 32);
        assert_memory_equal(z->data, peer + 1, 32);

        /* 0, n and 2^256 - 1 are refused and leave the outputs alone. */
        memset(epk, 0xaa, sizeof(epk));
        memset(k, 0, sizeof(k));
        assert_int_equal(ecdh_p256_derive(k, peer, epk, z), -ERANGE);
        assert_int_equal(BN_bn2binpad(EC_GROUP_get0_order(group), k, sizeof(k)), sizeof(k));
        assert_int_equal(ecdh_p256_derive(k, peer, epk, z), -ERANGE);
        memset(k, 0xff, sizeof(k));
        assert_int_equal(ecdh_p256_derive(k, peer, epk, z), -ERANGE);
        for (size_t i = 0; i < sizeof(epk); i++)
                assert_int_equal(epk[i], 0xaa);

        /* Points that are not on P-256, or not uncompressed. */
        assert_int_equal(RAND_bytes(k, sizeof(k)), 1);
        k[0] &= 0x7f;
        memcpy(bad, peer, sizeof(bad));
        bad[64] ^= 1;
        assert_int_equal(ecdh_p256_derive(k, bad, epk, z), -EBADMSG);
        memset(bad + 1, 0, sizeof(bad) - 1);
        assert_int_equal(ecdh_p256_derive(k, bad, epk, z), -EBADMSG);
        memcpy(bad, peer, sizeof(bad));
        bad[0] = 0x02 | (peer[64] & 1);
        assert_int_equal(ecdh_p256_derive(k, bad, epk, z), -EBADMSG);
        assert_int_equal(ecdh_p256_derive(k, peer, epk, z_short), -EINVAL);

        /* A random k: Z as OpenSSL's ECDH computes it, from either side. */
        assert_int_equal(ecdh_p256_derive(k, peer, epk, z), 0);
        {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *ours = p256_private(k);
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *theirs = p256_public(peer);
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *eph = p256_public(epk);

                evp_derive(ours, theirs, want);
                assert_memory_equal(z->data, want, 32);
                evp_derive(ephemeral_key_pkey(p256), eph, want);
                assert_memory_equal(z->data, want, 32);
        }
}

/* Decrypts an ECDH-ES+A256KW JWE with OpenSSL alone: EVP_PKEY_derive(),
 * its own Concat KDF (SSKDF), AES key unwrap and GCM. */
static void openssl_decrypt(const char *json, EVP_PKEY *priv, const char *aad_b64) {
        _cleanup_(jwe_freep) Jwe *jwe = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *eph = NULL;
        _cleanup_(EVP_KDF_freep) EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
        _cleanup_(EVP_KDF_CTX_freep) EVP_KDF_CTX *kctx = NULL;
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        _cleanup_free_ uint8_t *plain = NULL;
        static const uint8_t info[] = {0,   0,   0,   14,  'E', 'C', 'D', 'H', '-', 'E',
                                       'S', '+', 'A', '2', '5', '6', 'K', 'W', 0,   0,
                                       0,   0,   0,   0,   0,   0,   0,   0,   1,   0};
        uint8_t point[ECDH_P256_POINT_SIZE], z[32], kek[32], cek[40];
        json_object *epk, *v;
        size_t n;
        int outl = 0, fin = 0;

        assert_int_equal(jwe_parse(json, strlen(json), &jwe, NULL), 0);
        assert_true(json_object_object_get_ex(jwe->header, "epk", &epk));
        point[0] = 0x04;
        assert_true(json_object_object_get_ex(epk, "x", &v));
        assert_int_equal(base64url_decode_to(json_object_get_string(v),
                                             (size_t)json_object_get_string_len(v), point + 1, 32,
                                             &n),
                         0);
        assert_int_equal(n, 32);
        assert_true(json_object_object_get_ex(epk, "y", &v));
        assert_int_equal(base64url_decode_to(json_object_get_string(v),
                                             (size_t)json_object_get_string_len(v), point + 33, 32,
                                             &n),
                         0);
        assert_int_equal(n, 32);
        eph = p256_public(point);
        evp_derive(priv, eph, z);

        assert_non_null(kdf);
        kctx = EVP_KDF_CTX_new(kdf);
        assert_non_null(kctx);
        {
                OSSL_PARAM params[] = {
                        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
                        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, sizeof(z)),
                        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                                          sizeof(info)),
                        OSSL_PARAM_construct_end(),
                };

                assert_int_equal(EVP_KDF_derive(kctx, kek, sizeof(kek), params), 1);
        }

        assert_int_equal(jwe->encrypted_key_size, 40);
        EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
        assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_wrap(), NULL, kek, NULL), 1);
        assert_int_equal(EVP_DecryptUpdate(c, cek, &outl, jwe->encrypted_key, 40), 1);
        assert_int_equal(EVP_DecryptFinal_ex(c, cek + outl, &fin), 1);
        assert_int_equal(outl + fin, 32);

        plain = malloc(jwe->ciphertext_size);
        assert_non_null(plain);
        assert_int_equal(EVP_CIPHER_CTX_reset(c), 1);
        assert_int_equal(jwe->iv_size, 12);
        assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, cek, jwe->iv), 1);
        assert_int_equal(EVP_DecryptUpdate(c, NULL, &outl, (const uint8_t *)jwe->protected_b64,
                                           (int)strlen(jwe->protected_b64)),
                         1);
        if (aad_b64) {
                assert_int_equal(EVP_DecryptUpdate(c, NULL, &outl, (const uint8_t *)".", 1), 1);
                assert_int_equal(EVP_DecryptUpdate(c, NULL, &outl, (const uint8_t *)aad_b64,
                                                   (int)strlen(aad_b64)),
                                 1);
        }
        assert_int_equal(
                EVP_DecryptUpdate(c, plain, &outl, jwe->ciphertext, (int)jwe->ciphertext_size), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, jwe->tag), 1);
        assert_int_equal(EVP_DecryptFinal_ex(c, plain + outl, &fin), 1);
        assert_int_equal((size_t)outl + (size_t)fin, strlen(plaintext));
        assert_memory_equal(plain, plaintext, strlen(plaintext));
}

/* Both ways the recipient's point is found: kept by jwk_to_pkey(), and
 * taken out of a key made otherwise. */
static void test_ecdh_openssl_decrypts(void **state) {
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *from_jwk = NULL;
        _cleanup_free_ char *a = encrypt_to(p256, NULL);
        _cleanup_free_ char *b = encrypt_to(p256, "c29tZSBjb250ZXh0");
        _cleanup_free_ char *c = NULL;
        JwkAlg alg;
        size_t n;
        (void)state;

        assert_int_equal(ephemeral_key_to_jwk(p256, &jwk), 0);
        assert_int_equal(jwk_to_pkey(jwk, &from_jwk, &alg, NULL), 0);
        assert_int_equal(jwe_encrypt(from_jwk, alg, plaintext, strlen(plaintext), NULL, &c, &n), 0);
        openssl_decrypt(a, ephemeral_key_pkey(p256), NULL);
        openssl_decrypt(b, ephemeral_key_pkey(p256), "c29tZSBjb250ZXh0");
        openssl_decrypt(c, ephemeral_key_pkey(p256), NULL);
        expect_plaintext(c, p256);
}

/* Every JWE has its own ephemeral key, on the curve, and its own IV. */
static void test_ecdh_epk_fresh(void **state) {
        _cleanup_(EC_GROUP_freep) EC_GROUP *group =
                EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
        _cleanup_(EC_POINT_freep) EC_POINT *p = NULL;
        enum { N = 64 };
        static uint8_t points[N][ECDH_P256_POINT_SIZE], ivs[N][12];
        (void)state;

        assert_non_null(group);
        p = EC_POINT_new(group);
        assert_non_null(p);
        for (size_t i = 0; i < N; i++) {
                _cleanup_free_ char *j = encrypt_to(p256, NULL);
                _cleanup_(jwe_freep) Jwe *jwe = NULL;
                json_object *epk, *x, *y;
                size_t n;

                assert_int_equal(jwe_parse(j, strlen(j), &jwe, NULL), 0);
                assert_true(json_object_object_get_ex(jwe->header, "epk", &epk));
                assert_true(json_object_object_get_ex(epk, "x", &x));
                assert_true(json_object_object_get_ex(epk, "y", &y));
                points[i][0] = 0x04;
                assert_int_equal(base64url_decode_to(json_object_get_string(x),
                                                     (size_t)json_object_get_string_len(x),
                                                     points[i] + 1, 32, &n),
                                 0);
                assert_int_equal(n, 32);
                assert_int_equal(base64url_decode_to(json_object_get_string(y),
                                                     (size_t)json_object_get_string_len(y),
                                                     points[i] + 33, 32, &n),
                                 0);
                assert_int_equal(n, 32);
                assert_int_equal(
                        EC_POINT_oct2point(group, p, points[i], ECDH_P256_POINT_SIZE, NULL), 1);
                assert_int_equal(EC_POINT_is_on_curve(group, p, NULL), 1);
                assert_int_equal(jwe->iv_size, 12);
                memcpy(ivs[i], jwe->iv, 12);
                for (size_t k = 0; k < i; k++) {
                        assert_memory_not_equal(points[k], points[i], ECDH_P256_POINT_SIZE);
                        assert_memory_not_equal(ivs[k], ivs[i], 12);
                }
        }
}

/* The JSON is written out by hand; it must be what json-c prints for the
 * same members (plain, in order), and the header its canonical form. */
static void expect_plain_json(const char *j) {
        _cleanup_(json_object_putp) json_object *o = json_tokener_parse(j);
        _cleanup_(jwe_freep) Jwe *jwe = NULL;
        _cleanup_free_ uint8_t *text = NULL;
        _cleanup_free_ char *canon = NULL;
        size_t n, cn;

        assert_non_null(o);
        assert_string_equal(json_object_to_json_string_ext(
                                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            j);
        assert_int_equal(jwe_parse(j, strlen(j), &jwe, NULL), 0);
        assert_int_equal(
                base64url_decode(jwe->protected_b64, strlen(jwe->protected_b64), 4096, &text, &n),
                0);
        assert_int_equal(canonical_json(jwe->header, &canon, &cn), 0);
        assert_int_equal(cn, n);
        assert_memory_equal(canon, text, n);
}

static void test_output_form(void **state) {
        static const char *const members[] = {"protected", "encrypted_key", "aad",
                                              "iv",        "ciphertext",    "tag"};
        _cleanup_free_ char *a = encrypt_to(p256, NULL);
        _cleanup_free_ char *b = encrypt_to(p256, "c29tZSBjb250ZXh0");
        _cleanup_free_ char *c = encrypt_to(rsa, NULL);
        _cleanup_free_ char *d = encrypt_to(rsa, "");
        (void)state;

        expect_plain_json(a);
        expect_plain_json(b);
        expect_plain_json(c);
        expect_plain_json(d);
        /* Members in the order Trustee's KBS writes them. */
        {
                _cleanup_(json_object_putp) json_object *o = json_tokener_parse(b);
                size_t i = 0;

                assert_non_null(o);
                json_object_object_foreach(o, key, val) {
                        (void)val;
                        assert_true(i < ELEMENTSOF(members));
                        assert_string_equal(key, members[i]);
                        i++;
                }
                assert_int_equal(i, ELEMENTSOF(members));
        }
        {
                _cleanup_(jwe_freep) Jwe *jwe = NULL;
                _cleanup_free_ uint8_t *text = NULL;
                size_t n;

                assert_int_equal(jwe_parse(c, strlen(c), &jwe, NULL), 0);
                assert_int_equal(base64url_decode(jwe->protected_b64, strlen(jwe->protected_b64),
                                                  4096, &text, &n),
                                 0);
                assert_int_equal(n, strlen("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}"));
                assert_memory_equal(text, "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}", n);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip_ecdh),
                cmocka_unit_test(test_roundtrip_rsa),
                cmocka_unit_test(test_encrypt_to_jwk),
                cmocka_unit_test(test_encrypt_refusals),
                cmocka_unit_test(test_tamper_ecdh),
                cmocka_unit_test(test_tamper_rsa),
                cmocka_unit_test(test_wrong_key),
                cmocka_unit_test(test_refused_algorithms),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_trustee_style),
                cmocka_unit_test(test_header_encoding_matches_kbs_types),
                cmocka_unit_test(test_peer_response),
                cmocka_unit_test(test_peer_response_aad),
                cmocka_unit_test(test_peer_response_epk),
                cmocka_unit_test(test_ecdh_p256_derive),
                cmocka_unit_test(test_ecdh_openssl_decrypts),
                cmocka_unit_test(test_ecdh_epk_fresh),
                cmocka_unit_test(test_output_form),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
