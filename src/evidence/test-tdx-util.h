#pragma once

/* Test helpers for the TDX tests: peer fixtures from $PEER_DATA, and a
 * complete synthetic DCAP quote (v3, v4 or v5) under a test PKI made here
 * (root CA → PCK CA → PCK leaf, each ECDSA P-256), so that every step of
 * the verifier can be made to fail on purpose. Everything is built with
 * OpenSSL 3 EVP/X509 calls; nothing is read from the network. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "confnode/basic/fileio.h"

/* Reads $PEER_DATA/rel; NULL (and the test skips) when PEER_DATA is unset. */
static inline uint8_t *test_peer_read(const char *rel, size_t *ret_size) {
        const char *dir = getenv("PEER_DATA");
        uint8_t *data = NULL;
        char path[1024];

        if (!dir || !*dir)
                return NULL;
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        if (read_full_file(path, 16u * 1024 * 1024, &data, ret_size) < 0)
                return NULL;
        return data;
}

typedef struct TestBuf {
        uint8_t *data;
        size_t size, alloc;
} TestBuf;

static inline void test_buf_put(TestBuf *b, const void *p, size_t n) {
        if (b->size + n > b->alloc) {
                b->alloc = (b->size + n) * 2 + 64;
                b->data = realloc(b->data, b->alloc);
                if (!b->data)
                        abort();
        }
        if (n > 0)
                memcpy(b->data + b->size, p, n);
        b->size += n;
}

static inline void test_buf_u16(TestBuf *b, uint16_t v) {
        uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
        test_buf_put(b, le, 2);
}

static inline void test_buf_u32(TestBuf *b, uint32_t v) {
        uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
        test_buf_put(b, le, 4);
}

static inline void test_buf_fill(TestBuf *b, uint8_t byte, size_t n) {
        for (size_t i = 0; i < n; i++)
                test_buf_put(b, &byte, 1);
}

static inline void test_put_u32_at(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

static inline EVP_PKEY *test_p256_key(void) {
        EVP_PKEY *k = EVP_EC_gen("P-256");
        if (!k)
                abort();
        return k;
}

/* Whether test_cert() names the issuer's key (as Intel's certificates do). */
static bool test_cert_akid = true;

/* A certificate for key, signed by issuer_key under issuer's name (itself
 * when issuer is NULL), valid from not_before to not_after. */
static inline X509 *test_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                              long serial, bool ca, time_t not_before, time_t not_after) {
        X509 *c = X509_new();
        X509_NAME *name = X509_NAME_new();
        X509V3_CTX ctx;
        X509_EXTENSION *ext;

        if (!c || !name)
                abort();
        X509_set_version(c, X509_VERSION_3);
        ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"confnode test",
                                   -1, -1, 0);
        X509_set_subject_name(c, name);
        X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
        X509_NAME_free(name);
        ASN1_TIME_set(X509_getm_notBefore(c), not_before);
        ASN1_TIME_set(X509_getm_notAfter(c), not_after);
        X509_set_pubkey(c, key);
        X509V3_set_ctx(&ctx, issuer ? issuer : c, c, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                                  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
        X509_add_ext(c, ext, -1);
        X509_EXTENSION_free(ext);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
                                  ca ? "critical,keyCertSign,cRLSign"
                                     : "critical,digitalSignature");
        X509_add_ext(c, ext, -1);
        X509_EXTENSION_free(ext);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
        X509_add_ext(c, ext, -1);
        X509_EXTENSION_free(ext);
        if (issuer && test_cert_akid) {
                ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
                X509_add_ext(c, ext, -1);
                X509_EXTENSION_free(ext);
        }
        if (X509_sign(c, issuer_key, EVP_sha256()) <= 0)
                abort();
        return c;
}

/* A CRL by issuer (key issuer_key) that revokes the serials given. */
static inline X509_CRL *test_crl(X509 *issuer, EVP_PKEY *issuer_key, time_t last, time_t next,
                                 const long *serials, size_t n) {
        X509_CRL *crl = X509_CRL_new();
        ASN1_TIME *t = ASN1_TIME_new();

        if (!crl || !t)
                abort();
        X509_CRL_set_version(crl, 1);
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
        ASN1_TIME_set(t, last);
        X509_CRL_set1_lastUpdate(crl, t);
        ASN1_TIME_set(t, next);
        X509_CRL_set1_nextUpdate(crl, t);
        for (size_t i = 0; i < n; i++) {
                X509_REVOKED *rev = X509_REVOKED_new();
                ASN1_INTEGER *s = ASN1_INTEGER_new();

                ASN1_INTEGER_set(s, serials[i]);
                X509_REVOKED_set_serialNumber(rev, s);
                ASN1_TIME_set(t, last);
                X509_REVOKED_set_revocationDate(rev, t);
                X509_CRL_add0_revoked(crl, rev);
                ASN1_INTEGER_free(s);
        }
        ASN1_TIME_free(t);
        X509_CRL_sort(crl);
        if (X509_CRL_sign(crl, issuer_key, EVP_sha256()) <= 0)
                abort();
        return crl;
}

static inline void test_pem_cert(TestBuf *b, X509 *c) {
        BIO *bio = BIO_new(BIO_s_mem());
        char *p;
        long n;

        PEM_write_bio_X509(bio, c);
        n = BIO_get_mem_data(bio, &p);
        test_buf_put(b, p, (size_t)n);
        BIO_free(bio);
}

/* ECDSA P-256 / SHA-256 over data, as r || s big-endian. */
static inline void test_sign_rs(EVP_PKEY *key, const uint8_t *data, size_t size, uint8_t rs[64]) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned char der[80];
        const unsigned char *p = der;
        size_t der_size = sizeof(der);
        ECDSA_SIG *sig;
        const BIGNUM *r, *s;

        if (!ctx || EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
            EVP_DigestSign(ctx, der, &der_size, data, size) != 1)
                abort();
        EVP_MD_CTX_free(ctx);
        sig = d2i_ECDSA_SIG(NULL, &p, (long)der_size);
        if (!sig)
                abort();
        ECDSA_SIG_get0(sig, &r, &s);
        BN_bn2binpad(r, rs, 32);
        BN_bn2binpad(s, rs + 32, 32);
        ECDSA_SIG_free(sig);
}

static inline void test_p256_xy(EVP_PKEY *key, uint8_t xy[64]) {
        uint8_t pt[65];
        size_t n = 0;

        if (EVP_PKEY_get_octet_string_param(key, "pub", pt, sizeof(pt), &n) != 1 || n != 65)
                abort();
        memcpy(xy, pt + 1, 64);
}

/* The test PKI. */
typedef struct TestPki {
        EVP_PKEY *root_key, *ca_key, *pck_key;
        X509 *root, *ca, *pck;
        time_t not_before, not_after; /* of every certificate */
} TestPki;

#define TEST_PKI_T0 ((time_t)1700000000) /* 2023-11-14 */
#define TEST_PKI_T1 ((time_t)2000000000) /* 2033-05-18 */
#define TEST_PKI_PCK_SERIAL 77

static inline void test_pki_init(TestPki *p, const char *root_cn) {
        p->not_before = TEST_PKI_T0;
        p->not_after = TEST_PKI_T1;
        p->root_key = test_p256_key();
        p->ca_key = test_p256_key();
        p->pck_key = test_p256_key();
        p->root = test_cert(root_cn, p->root_key, NULL, p->root_key, 1, true, p->not_before,
                            p->not_after);
        p->ca = test_cert("Test PCK Platform CA", p->ca_key, p->root, p->root_key, 2, true,
                          p->not_before, p->not_after);
        p->pck = test_cert("Test PCK Certificate", p->pck_key, p->ca, p->ca_key,
                           TEST_PKI_PCK_SERIAL, false, p->not_before, p->not_after);
}

static inline void test_pki_done(TestPki *p) {
        X509_free(p->root);
        X509_free(p->ca);
        X509_free(p->pck);
        EVP_PKEY_free(p->root_key);
        EVP_PKEY_free(p->ca_key);
        EVP_PKEY_free(p->pck_key);
}

/* Where the parts of a built quote are, for tests that damage one. */
typedef struct TestQuote {
        TestBuf b;
        size_t body_offset, body_size;
        size_t sig_len_offset;
        size_t qe_report_offset;
        size_t qe_auth_offset, qe_auth_size;
        size_t pck_type_offset;
} TestQuote;

/* cert_type: 5 puts the PEM chain (leaf, CA, root); anything else puts 16
 * bytes of that type (a PPID stand-in). version 3 is SGX, 4 TDX 1.0, 5
 * TDX 1.5. */
static inline void test_quote_build(TestQuote *q, const TestPki *p, int version,
                                    uint16_t cert_type) {
        static const uint8_t auth[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                         11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                         22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
        EVP_PKEY *ak = test_p256_key();
        TestBuf qe = {}, pck = {}, cert = {};
        uint8_t akxy[64], rs[64], h[32];
        size_t body_size = version == 3 ? 384 : version == 5 ? 648 : 584;

        *q = (TestQuote){};
        test_p256_xy(ak, akxy);

        /* Header. */
        test_buf_u16(&q->b, (uint16_t)version);
        test_buf_u16(&q->b, 2);
        test_buf_u32(&q->b, version == 3 ? 0 : 0x81);
        test_buf_u16(&q->b, 3);
        test_buf_u16(&q->b, 13);
        test_buf_fill(&q->b, 0x93, 16);
        test_buf_fill(&q->b, 0x11, 20);
        if (version == 5) {
                test_buf_u16(&q->b, 3);
                test_buf_u32(&q->b, (uint32_t)body_size);
        }
        q->body_offset = q->b.size;
        q->body_size = body_size;
        for (size_t i = 0; i < body_size; i++) {
                uint8_t byte = (uint8_t)(i * 7 + 1);
                test_buf_put(&q->b, &byte, 1);
        }

        /* QE report: report_data = SHA-256(AK || auth), then zeros. */
        EVP_Digest(akxy, 64, h, NULL, EVP_sha256(), NULL);
        {
                EVP_MD_CTX *c = EVP_MD_CTX_new();
                unsigned n;

                EVP_DigestInit_ex(c, EVP_sha256(), NULL);
                EVP_DigestUpdate(c, akxy, 64);
                EVP_DigestUpdate(c, auth, sizeof(auth));
                EVP_DigestFinal_ex(c, h, &n);
                EVP_MD_CTX_free(c);
        }
        test_buf_fill(&qe, 0x42, 320);
        test_buf_put(&qe, h, 32);
        test_buf_fill(&qe, 0, 32);

        if (cert_type == 5) {
                test_pem_cert(&pck, p->pck);
                test_pem_cert(&pck, p->ca);
                test_pem_cert(&pck, p->root);
        } else
                test_buf_fill(&pck, (uint8_t)cert_type, 16);

        /* QE report certification data (type 6 body, or v3 inline). */
        test_buf_put(&cert, qe.data, 384);
        test_sign_rs(p->pck_key, qe.data, 384, rs);
        test_buf_put(&cert, rs, 64);
        test_buf_u16(&cert, sizeof(auth));
        test_buf_put(&cert, auth, sizeof(auth));
        test_buf_u16(&cert, cert_type);
        test_buf_u32(&cert, (uint32_t)pck.size);
        test_buf_put(&cert, pck.data, pck.size);

        test_sign_rs(ak, q->b.data, q->b.size, rs);
        q->sig_len_offset = q->b.size;
        test_buf_u32(&q->b, (uint32_t)(128 + (version == 3 ? 0 : 6) + cert.size));
        test_buf_put(&q->b, rs, 64);
        test_buf_put(&q->b, akxy, 64);
        if (version != 3) {
                test_buf_u16(&q->b, 6);
                test_buf_u32(&q->b, (uint32_t)cert.size);
        }
        q->qe_report_offset = q->b.size;
        q->qe_auth_offset = q->b.size + 384 + 64 + 2;
        q->qe_auth_size = sizeof(auth);
        q->pck_type_offset = q->qe_auth_offset + sizeof(auth);
        test_buf_put(&q->b, cert.data, cert.size);

        free(qe.data);
        free(pck.data);
        free(cert.data);
        EVP_PKEY_free(ak);
}
