#pragma once

/* Helpers shared by the SEV-SNP tests: peer fixtures from $PEER_DATA, and
 * a small test PKI shaped like AMD's (an RSA-PSS/SHA-384 ARK and ASK, an
 * ECDSA P-384 VCEK or VLEK with the SPL and hwID extensions) that signs
 * synthetic reports, so that the verdicts a real chip never produces (a
 * valid signature with the wrong TCB or chip) can be tested too. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "confnode/basic/fileio.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/basic/openssl-cleanup.h"


/* Reads a fixture; skips the test when PEER_DATA is not set (ctest sets it). */
static inline void test_snp_read_peer(const char *rel, uint8_t **ret, size_t *ret_size) {
        const char *dir = getenv("PEER_DATA");
        char path[4096];

        if (!dir) {
                skip();
                return;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        assert_int_equal(read_full_file(path, 1024 * 1024, ret, ret_size), 0);
}

static inline void test_snp_load_peer(const char *rel, STACK_OF(X509) *certs) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;

        test_snp_read_peer(rel, &data, &size);
        assert_int_equal(cert_load_buffer(data, size, certs), 0);
}

static inline void test_snp_put_u32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static inline void test_snp_put_u64(uint8_t *p, uint64_t v) {
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static inline uint64_t test_snp_tcb_milan(uint8_t bl, uint8_t tee, uint8_t snp, uint8_t ucode) {
        return (uint64_t) bl | (uint64_t) tee << 8 | (uint64_t) snp << 48 | (uint64_t) ucode << 56;
}

static inline uint64_t test_snp_tcb_turin(uint8_t fmc, uint8_t bl, uint8_t tee, uint8_t snp,
                                          uint8_t ucode) {
        return (uint64_t) fmc | (uint64_t) bl << 8 | (uint64_t) tee << 16 | (uint64_t) snp << 24 |
               (uint64_t) ucode << 56;
}

/* An unsigned report body: version, policy 0x30000, the TCB in all four
 * TCB fields, the chip, and for version 3 on the CPUID bytes. */
static inline void test_snp_make_report(uint8_t r[static SNP_REPORT_SIZE], uint32_t version,
                                        uint8_t fam, uint8_t model, uint64_t tcb,
                                        const uint8_t chip_id[static 64]) {
        memset(r, 0, SNP_REPORT_SIZE);
        test_snp_put_u32(r + 0x00, version);
        test_snp_put_u64(r + 0x08, 0x30000);
        test_snp_put_u32(r + 0x34, SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384);
        test_snp_put_u64(r + 0x38, tcb);
        for (int i = 0; i < 48; i++)
                r[0x90 + i] = (uint8_t) (0xa0 + i);
        test_snp_put_u64(r + 0x180, tcb);
        if (version >= 3) {
                r[0x188] = fam;
                r[0x189] = model;
                r[0x18a] = 1;
        }
        memcpy(r + 0x1a0, chip_id, 64);
        test_snp_put_u64(r + 0x1e0, tcb);
        test_snp_put_u64(r + 0x1f0, tcb);
}

static inline void test_snp_set_signing_key(uint8_t r[static SNP_REPORT_SIZE], unsigned key) {
        test_snp_put_u32(r + 0x48, (key & 7) << 2);
}

/* Signs bytes 0x000-0x29F with key and stores r and s little-endian. */
static inline void test_snp_sign(uint8_t r[static SNP_REPORT_SIZE], EVP_PKEY *key) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned char der[128];
        const unsigned char *p = der;
        size_t n = sizeof(der);
        ECDSA_SIG *sig;
        const BIGNUM *br, *bs;
        uint8_t be[72];

        assert_non_null(ctx);
        assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, "SHA384", NULL, NULL, key, NULL), 1);
        assert_int_equal(EVP_DigestSign(ctx, der, &n, r, SNP_REPORT_SIGNED_SIZE), 1);
        EVP_MD_CTX_free(ctx);
        sig = d2i_ECDSA_SIG(NULL, &p, (long) n);
        assert_non_null(sig);
        ECDSA_SIG_get0(sig, &br, &bs);
        memset(r + 0x2a0, 0, SNP_REPORT_SIZE - 0x2a0);
        assert_int_equal(BN_bn2binpad(br, be, 72), 72);
        for (int i = 0; i < 72; i++)
                r[0x2a0 + i] = be[71 - i];
        assert_int_equal(BN_bn2binpad(bs, be, 72), 72);
        for (int i = 0; i < 72; i++)
                r[0x2a0 + 72 + i] = be[71 - i];
        ECDSA_SIG_free(sig);
}

static inline EVP_PKEY *test_snp_rsa_key(void) {
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);

        assert_non_null(k);
        return k;
}

static inline EVP_PKEY *test_snp_ec_key(void) {
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");

        assert_non_null(k);
        return k;
}

static inline void test_snp_add_ext(X509 *cert, const char *oid, const uint8_t *value, int len) {
        ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        X509_EXTENSION *ext;

        assert_non_null(obj);
        assert_non_null(os);
        assert_int_equal(ASN1_OCTET_STRING_set(os, value, len), 1);
        ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(cert, ext, -1), 1);
        X509_EXTENSION_free(ext);
        ASN1_OCTET_STRING_free(os);
        ASN1_OBJECT_free(obj);
}

static inline void test_snp_add_spl(X509 *cert, const char *oid, int v) {
        ASN1_INTEGER *i = ASN1_INTEGER_new();
        unsigned char *der = NULL;
        int n;

        assert_non_null(i);
        assert_int_equal(ASN1_INTEGER_set(i, v), 1);
        n = i2d_ASN1_INTEGER(i, &der);
        assert_true(n > 0);
        test_snp_add_ext(cert, oid, der, n);
        OPENSSL_free(der);
        ASN1_INTEGER_free(i);
}

static inline void test_snp_add_conf_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
        X509V3_CTX ctx;
        X509_EXTENSION *ext;

        X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(cert, ext, -1), 1);
        X509_EXTENSION_free(ext);
}

/* A certificate for key, named CN=cn, issued by issuer (self-signed when
 * NULL) and signed with RSA-PSS/SHA-384 by signer; valid from not_before
 * for days days. ca adds basicConstraints CA:TRUE and keyCertSign. */
static inline X509 *test_snp_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *signer,
                                  bool ca, time_t not_before, int days) {
        X509 *c = X509_new();
        X509_NAME *name = X509_NAME_new();
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        static long serial = 1;

        assert_non_null(c);
        assert_non_null(name);
        assert_non_null(md);
        assert_int_equal(X509_set_version(c, X509_VERSION_3), 1);
        assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c), serial++), 1);
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                                    (const unsigned char *) "Test Micro Devices",
                                                    -1, -1, 0),
                         1);
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                    (const unsigned char *) cn, -1, -1, 0),
                         1);
        assert_int_equal(X509_set_subject_name(c, name), 1);
        assert_int_equal(X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name), 1);
        X509_NAME_free(name);
        assert_non_null(X509_time_adj_ex(X509_getm_notBefore(c), 0, 0, &not_before));
        assert_non_null(X509_time_adj_ex(X509_getm_notAfter(c), days, 0, &not_before));
        assert_int_equal(X509_set_pubkey(c, key), 1);
        if (ca) {
                test_snp_add_conf_ext(c, issuer ? issuer : c, NID_basic_constraints,
                                      "critical,CA:TRUE");
                test_snp_add_conf_ext(c, issuer ? issuer : c, NID_key_usage,
                                      "critical,keyCertSign,cRLSign");
        }
        assert_int_equal(EVP_DigestSignInit_ex(md, &pctx, "SHA384", NULL, NULL, signer, NULL), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA384", NULL), 1);
        assert_true(X509_sign_ctx(c, md) > 0);
        EVP_MD_CTX_free(md);
        return c;
}

/* Adds the VCEK/VLEK extensions; fmc < 0 leaves fmcSPL out, hwid NULL
 * leaves hwID out. */
static inline void test_snp_vek_exts(X509 *c, const char *product, int fmc, int bl, int tee,
                                     int snp, int ucode, const uint8_t *hwid, int hwid_len) {
        unsigned char ia5[64];
        size_t n = strlen(product);

        assert_true(n < 60);
        ia5[0] = 0x16;
        ia5[1] = (unsigned char) n;
        memcpy(ia5 + 2, product, n);
        test_snp_add_ext(c, "1.3.6.1.4.1.3704.1.2", ia5, (int) n + 2);
        if (fmc >= 0)
                test_snp_add_spl(c, "1.3.6.1.4.1.3704.1.3.9", fmc);
        test_snp_add_spl(c, "1.3.6.1.4.1.3704.1.3.1", bl);
        test_snp_add_spl(c, "1.3.6.1.4.1.3704.1.3.2", tee);
        test_snp_add_spl(c, "1.3.6.1.4.1.3704.1.3.3", snp);
        test_snp_add_spl(c, "1.3.6.1.4.1.3704.1.3.8", ucode);
        if (hwid)
                test_snp_add_ext(c, "1.3.6.1.4.1.3704.1.4", hwid, hwid_len);
}

/* Signs the VEK certificate c (built without a signature) as ASK would. */
static inline void test_snp_resign(X509 *c, EVP_PKEY *signer) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;

        assert_non_null(md);
        assert_int_equal(EVP_DigestSignInit_ex(md, &pctx, "SHA384", NULL, NULL, signer, NULL), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA384", NULL), 1);
        assert_true(X509_sign_ctx(c, md) > 0);
        EVP_MD_CTX_free(md);
}
