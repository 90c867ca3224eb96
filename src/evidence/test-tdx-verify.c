/* tdx_verify_quote(): every reason code, on quotes built here under a test
 * PKI (so each step can be broken on purpose), and the peer quotes under
 * the Intel root at the times their sources pin. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/cleanup.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/evidence/tdx-verify.h"
#include "test-tdx-util.h"

#define T_OK ((time_t)1800000000) /* 2027-01-15, inside the test PKI's validity */

typedef struct Fixture {
        TestPki pki;
        STACK_OF(X509) * roots;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        if (!f)
                return -1;
        test_pki_init(&f->pki, "Test Root CA");
        f->roots = sk_X509_new_null();
        X509_up_ref(f->pki.root);
        sk_X509_push(f->roots, f->pki.root);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        cert_load_stack_free(f->roots);
        test_pki_done(&f->pki);
        free(f);
        return 0;
}

/* Verifies data with the fixture's root and the given CRLs; returns the
 * verdict's reason ("ok" when verified). */
static const char *verify(Fixture *f, const uint8_t *data, size_t size, STACK_OF(X509_CRL) * crls,
                          time_t at, TdxVerdict *v) {
        _cleanup_(tdx_verify_freep) TdxVerifier *verifier = NULL;
        int r;

        assert_int_equal(tdx_verify_new(f->roots, crls, &verifier), 0);
        r = tdx_verify_quote(verifier, data, size, at, v);
        if (r == 0) {
                assert_null(v->reason);
                return "ok";
        }
        assert_non_null(v->reason);
        assert_true(v->detail[0] != 0);
        return v->reason;
}

static void test_valid_versions(void **state) {
        Fixture *f = *state;
        TdxVerdict v;

        for (int version = 3; version <= 5; version++) {
                TestQuote q;

                test_quote_build(&q, &f->pki, version, 5);
                assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "ok");
                assert_true(v.chain_checked && v.qe_report_checked && v.qe_binding_checked &&
                            v.signature_checked);
                assert_non_null(strstr(v.root_subject, "Test Root CA"));
                free(q.b.data);
        }
}

static void test_flipped_body(void **state) {
        Fixture *f = *state;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 4, 5);
        q.b.data[q.body_offset + 100] ^= 0x01;
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.signature");
        q.b.data[q.body_offset + 100] ^= 0x01;
        q.b.data[40] ^= 0x80; /* user_data in the header is signed too */
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.signature");
        free(q.b.data);
}

static void test_flipped_qe_report(void **state) {
        Fixture *f = *state;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 5, 5);
        q.b.data[q.qe_report_offset + 3] ^= 0x10;
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v),
                            "tdx.qe_report_signature");
        free(q.b.data);
}

static void test_tampered_qe_auth(void **state) {
        Fixture *f = *state;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 4, 5);
        q.b.data[q.qe_auth_offset + 5] ^= 0xff;
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.qe_binding");
        free(q.b.data);

        /* Another attestation key, with a valid signature of its own, is
         * still not the one the QE vouched for. */
        test_quote_build(&q, &f->pki, 3, 5);
        q.b.data[q.sig_len_offset + 4 + 64 + 10] ^= 0x01;
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.qe_binding");
        free(q.b.data);
}

static void test_wrong_root(void **state) {
        Fixture *f = *state;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *other = sk_X509_new_null();
        _cleanup_(tdx_verify_freep) TdxVerifier *verifier = NULL;
        TestPki pki2;
        TestQuote q;
        TdxVerdict v;

        /* Same name, other key: the look-alike root of a test PKI. */
        test_pki_init(&pki2, "Test Root CA");
        X509_up_ref(pki2.root);
        sk_X509_push(other, pki2.root);
        test_quote_build(&q, &f->pki, 4, 5);
        assert_int_equal(tdx_verify_new(other, NULL, &verifier), 0);
        assert_int_equal(tdx_verify_quote(verifier, q.b.data, q.b.size, T_OK, &v), -ENOKEY);
        assert_string_equal(v.reason, "tdx.root_untrusted");
        assert_false(v.qe_report_checked);
        free(q.b.data);
        test_pki_done(&pki2);
}

/* Certificates that do not name their issuer's key: OpenSSL finds the
 * look-alike root by name alone, and its key fails the CA's signature. */
static void test_wrong_root_no_akid(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *roots = sk_X509_new_null();
        TestPki pki, pki2;
        TestQuote q;
        TdxVerdict v;
        Fixture g;

        (void)state;
        test_cert_akid = false;
        test_pki_init(&pki, "Test Root CA");
        test_pki_init(&pki2, "Test Root CA");
        test_cert_akid = true;
        X509_up_ref(pki2.root);
        sk_X509_push(roots, pki2.root);
        g = (Fixture){.roots = roots};
        test_quote_build(&q, &pki, 4, 5);
        assert_string_equal(verify(&g, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.root_untrusted");
        free(q.b.data);
        test_pki_done(&pki);
        test_pki_done(&pki2);
}

/* The CA's signature damaged under the right root: the chain, not the root. */
static void test_damaged_ca_signature(void **state) {
        Fixture *f = *state;
        TestPki bad = f->pki;
        TestQuote q;
        TdxVerdict v;

        bad.ca = test_cert("Test PCK Platform CA", f->pki.ca_key, f->pki.root, f->pki.ca_key, 2,
                           true, f->pki.not_before, f->pki.not_after);
        test_quote_build(&q, &bad, 4, 5);
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.cert_chain");
        X509_free(bad.ca);
        free(q.b.data);
}

static void test_broken_chain(void **state) {
        Fixture *f = *state;
        TestPki bad = f->pki;
        TestQuote q;
        TdxVerdict v;

        /* A PCK certificate signed by the wrong key under the right name. */
        bad.pck = test_cert("Test PCK Certificate", f->pki.pck_key, f->pki.ca, f->pki.root_key,
                            TEST_PKI_PCK_SERIAL, false, f->pki.not_before, f->pki.not_after);
        test_quote_build(&q, &bad, 4, 5);
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.cert_chain");
        X509_free(bad.pck);
        free(q.b.data);
}

static void test_expired(void **state) {
        Fixture *f = *state;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 4, 5);
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, TEST_PKI_T1 + 1, &v),
                            "tdx.cert_expired");
        assert_non_null(strstr(v.detail, "Test PCK Certificate"));
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, TEST_PKI_T0 - 1, &v),
                            "tdx.cert_expired");
        free(q.b.data);
}

static void test_crls(void **state) {
        Fixture *f = *state;
        _cleanup_(tdx_verify_crl_stack_freep) STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
        const long revoked = TEST_PKI_PCK_SERIAL, other = 5;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 4, 5);

        /* A CRL of the PCK CA that revokes someone else, and the root's. */
        sk_X509_CRL_push(crls,
                         test_crl(f->pki.ca, f->pki.ca_key, T_OK - 100, T_OK + 100, &other, 1));
        sk_X509_CRL_push(crls,
                         test_crl(f->pki.root, f->pki.root_key, T_OK - 100, T_OK + 100, NULL, 0));
        assert_string_equal(verify(f, q.b.data, q.b.size, crls, T_OK, &v), "ok");
        assert_int_equal(v.crls, 2);
        /* Past its next update the CRL says nothing current. */
        assert_string_equal(verify(f, q.b.data, q.b.size, crls, T_OK + 1000, &v),
                            "tdx.cert_expired");
        tdx_verify_crl_stack_free(TAKE_PTR(crls));

        /* The PCK CA's CRL revokes the PCK certificate. */
        crls = sk_X509_CRL_new_null();
        sk_X509_CRL_push(crls,
                         test_crl(f->pki.ca, f->pki.ca_key, T_OK - 100, T_OK + 100, &revoked, 1));
        assert_string_equal(verify(f, q.b.data, q.b.size, crls, T_OK, &v), "tdx.cert_revoked");
        tdx_verify_crl_stack_free(TAKE_PTR(crls));

        /* A CRL under the CA's name signed by another key. */
        crls = sk_X509_CRL_new_null();
        sk_X509_CRL_push(crls,
                         test_crl(f->pki.ca, f->pki.root_key, T_OK - 100, T_OK + 100, &other, 1));
        assert_string_equal(verify(f, q.b.data, q.b.size, crls, T_OK, &v), "tdx.cert_chain");
        free(q.b.data);
}

static void test_unsupported_cert_types(void **state) {
        Fixture *f = *state;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *chain = sk_X509_new_null();
        _cleanup_(tdx_verify_freep) TdxVerifier *verifier = NULL;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 4, 7);
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.unsupported");
        free(q.b.data);

        /* Type 1 names the platform (PPID): fine once the chain is given. */
        test_quote_build(&q, &f->pki, 3, 1);
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.unsupported");
        X509_up_ref(f->pki.pck);
        sk_X509_push(chain, f->pki.pck);
        X509_up_ref(f->pki.ca);
        sk_X509_push(chain, f->pki.ca);
        assert_int_equal(tdx_verify_new(f->roots, NULL, &verifier), 0);
        assert_int_equal(tdx_verify_set_pck_chain(verifier, chain), 0);
        assert_int_equal(tdx_verify_quote(verifier, q.b.data, q.b.size, T_OK, &v), 0);
        free(q.b.data);

        /* v4 certification data of another type than 6 has no QE report. */
        test_quote_build(&q, &f->pki, 4, 5);
        q.b.data[q.sig_len_offset + 4 + 128] = 5;
        assert_string_equal(verify(f, q.b.data, q.b.size, NULL, T_OK, &v), "tdx.unsupported");
        free(q.b.data);
}

static void test_malformed(void **state) {
        Fixture *f = *state;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 4, 5);
        assert_string_equal(verify(f, q.b.data, q.b.size - 1, NULL, T_OK, &v), "tdx.malformed");
        assert_false(v.quote_valid);
        assert_string_equal(verify(f, q.b.data, 0, NULL, T_OK, &v), "tdx.malformed");
        free(q.b.data);
}

static void test_cache(void **state) {
        Fixture *f = *state;
        _cleanup_(tdx_verify_freep) TdxVerifier *verifier = NULL;
        TestQuote q;
        TdxVerdict v;

        test_quote_build(&q, &f->pki, 4, 5);
        assert_int_equal(tdx_verify_new(f->roots, NULL, &verifier), 0);
        assert_int_equal(tdx_verify_quote(verifier, q.b.data, q.b.size, T_OK, &v), 0);
        assert_false(v.chain_cached);
        assert_int_equal(tdx_verify_quote(verifier, q.b.data, q.b.size, T_OK + 5, &v), 0);
        assert_true(v.chain_cached);
        assert_non_null(strstr(v.pck_subject, "Test PCK Certificate"));
        /* The cache answers only inside the window the chain is valid in. */
        assert_int_equal(tdx_verify_quote(verifier, q.b.data, q.b.size, TEST_PKI_T1 + 1, &v),
                         -EKEYEXPIRED);
        /* A damaged QE report is caught with the chain from the cache. */
        q.b.data[q.qe_report_offset] ^= 1;
        assert_int_equal(tdx_verify_quote(verifier, q.b.data, q.b.size, T_OK, &v), -EKEYREJECTED);
        assert_true(v.chain_cached);
        assert_string_equal(v.reason, "tdx.qe_report_signature");
        tdx_verify_set_cache(verifier, false);
        q.b.data[q.qe_report_offset] ^= 1;
        assert_int_equal(tdx_verify_quote(verifier, q.b.data, q.b.size, T_OK, &v), 0);
        assert_false(v.chain_cached);
        free(q.b.data);
}

static void test_load_crls(void **state) {
        Fixture *f = *state;
        _cleanup_(tdx_verify_crl_stack_freep) STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
        X509_CRL *crl = test_crl(f->pki.ca, f->pki.ca_key, T_OK, T_OK + 10, NULL, 0);
        unsigned char *der = NULL;
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem;
        long n;
        int der_size;

        der_size = i2d_X509_CRL(crl, &der);
        assert_true(der_size > 0);
        assert_int_equal(tdx_verify_load_crls(der, (size_t)der_size, crls), 0);
        assert_int_equal(tdx_verify_load_crls(der, (size_t)der_size - 1, crls), -EBADMSG);
        PEM_write_bio_X509_CRL(bio, crl);
        PEM_write_bio_X509_CRL(bio, crl);
        n = BIO_get_mem_data(bio, &pem);
        assert_int_equal(tdx_verify_load_crls((uint8_t *)pem, (size_t)n, crls), 0);
        assert_int_equal(sk_X509_CRL_num(crls), 3);
        /* A damaged block is refused, and nothing of it is kept. */
        pem[40] ^= 0x01;
        assert_int_equal(tdx_verify_load_crls((uint8_t *)pem, (size_t)n, crls), -EBADMSG);
        assert_int_equal(sk_X509_CRL_num(crls), 3);
        assert_int_equal(tdx_verify_load_crls((const uint8_t *)"x", 1, crls), -EBADMSG);
        BIO_free(bio);
        OPENSSL_free(der);
        X509_CRL_free(crl);
}

/* The peer quotes under the Intel root (the built-in one). */
static void test_peers(void **state) {
        static const struct {
                const char *path;
                time_t at;
        } quotes[] = {
                {"tdx/gtg-quote-v4.dat", 1688173200}, /* 2023-07-01T01:00Z */
                {"tdx/gtg-quote-v5.dat", 1770080400}, /* 2026-02-03T01:00Z */
                {"tdx/trustee-quote-v4.dat", 1770080400},
                {"tdx/trustee-quote-6.dat", 1770080400},
                {"tdx/trustee-sgx-quote-v3.dat", 1770080400},
                {"azure/aztdx-td-quote.bin", 1770080400},
                {"eventlog/gtg-ccel-quote.dat", 1770080400},
        };
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *roots = sk_X509_new_null();
        _cleanup_(tdx_verify_freep) TdxVerifier *verifier = NULL;
        X509 *intel = NULL;

        (void)state;
        assert_int_equal(tdx_verify_intel_root(&intel), 0);
        sk_X509_push(roots, intel);
        assert_int_equal(tdx_verify_new(roots, NULL, &verifier), 0);
        for (size_t i = 0; i < ELEMENTSOF(quotes); i++) {
                _cleanup_free_ uint8_t *data = NULL;
                TdxVerdict v;
                size_t size;

                data = test_peer_read(quotes[i].path, &size);
                if (!data)
                        skip();
                assert_int_equal(tdx_verify_quote(verifier, data, size, quotes[i].at, &v), 0);
                assert_string_equal(v.root_sha256,
                                    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674"
                                    "d3");
                /* go-tdx-guest: at 2053-07-01 the PCK has expired. */
                if (i == 0)
                        assert_int_equal(tdx_verify_quote(verifier, data, size, 2634944400, &v),
                                         -EKEYEXPIRED);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_versions),
                cmocka_unit_test(test_flipped_body),
                cmocka_unit_test(test_flipped_qe_report),
                cmocka_unit_test(test_tampered_qe_auth),
                cmocka_unit_test(test_wrong_root),
                cmocka_unit_test(test_wrong_root_no_akid),
                cmocka_unit_test(test_damaged_ca_signature),
                cmocka_unit_test(test_broken_chain),
                cmocka_unit_test(test_expired),
                cmocka_unit_test(test_crls),
                cmocka_unit_test(test_unsupported_cert_types),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_cache),
                cmocka_unit_test(test_load_crls),
                cmocka_unit_test(test_peers),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
