#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/evidence/snp-cert.h"
#include "test-snp-util.h"

static X509 *first(const char *rel, STACK_OF(X509) *certs) {
        test_snp_load_peer(rel, certs);
        return sk_X509_value(certs, 0);
}

static void test_roles(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *c = sk_X509_new_null();
        (void) state;

        test_snp_load_peer("snp/trustee-milan-ask-ark-asvk.pem", c);
        test_snp_load_peer("snp/gsg-vcek.der", c);
        test_snp_load_peer("snp/trustee-vlek.der", c);
        assert_int_equal(sk_X509_num(c), 5);
        assert_int_equal(snp_cert_role(sk_X509_value(c, 0)), SNP_CERT_ASK);
        assert_int_equal(snp_cert_role(sk_X509_value(c, 1)), SNP_CERT_ARK);
        assert_int_equal(snp_cert_role(sk_X509_value(c, 2)), SNP_CERT_ASVK);
        assert_int_equal(snp_cert_role(sk_X509_value(c, 3)), SNP_CERT_VCEK);
        assert_int_equal(snp_cert_role(sk_X509_value(c, 4)), SNP_CERT_VLEK);
        assert_string_equal(snp_cert_role_to_string(SNP_CERT_ASVK), "asvk");
        assert_int_equal(snp_cert_generation(sk_X509_value(c, 1)), SNP_GENERATION_MILAN);
        assert_int_equal(snp_cert_generation(sk_X509_value(c, 2)), SNP_GENERATION_MILAN);
        assert_int_equal(snp_cert_generation(sk_X509_value(c, 4)), SNP_GENERATION_MILAN);
}

static void test_milan_vcek(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *c = sk_X509_new_null();
        static const uint8_t hwid_start[] = {0x3a, 0xc3, 0xfe, 0x21};
        X509 *vcek = first("snp/gsg-vcek.der", c);
        uint8_t hwid[64];
        char product[32];
        SnpCertTcb t;
        size_t n;
        (void) state;

        assert_int_equal(snp_cert_tcb(vcek, &t), 0);
        assert_int_equal(t.bootloader, 2);
        assert_int_equal(t.tee, 0);
        assert_int_equal(t.snp, 5);
        assert_int_equal(t.microcode, 68);
        assert_int_equal(t.fmc, SNP_CERT_SPL_ABSENT);
        assert_int_equal(snp_cert_hwid(vcek, hwid, &n), 0);
        assert_int_equal(n, 64);
        assert_memory_equal(hwid, hwid_start, sizeof(hwid_start));
        snp_cert_product_name(vcek, product, sizeof(product));
        assert_string_equal(product, "Milan-B0");
        assert_int_equal(snp_cert_generation(vcek), SNP_GENERATION_MILAN);
}

static void test_turin_vcek(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *c = sk_X509_new_null();
        static const uint8_t hwid_want[] = {0x3b, 0x42, 0x09, 0x2f, 0x69, 0xc6, 0x56, 0xd3};
        X509 *vcek = first("snp/oak-turin-vcek.der", c);
        uint8_t hwid[64];
        SnpCertTcb t;
        size_t n;
        (void) state;

        assert_int_equal(snp_cert_role(vcek), SNP_CERT_VCEK);
        assert_int_equal(snp_cert_tcb(vcek, &t), 0);
        assert_int_equal(t.fmc, 0);
        assert_int_equal(t.bootloader, 1);
        assert_int_equal(t.tee, 0);
        assert_int_equal(t.snp, 2);
        assert_int_equal(t.microcode, 71);
        assert_int_equal(snp_cert_hwid(vcek, hwid, &n), 0);
        assert_int_equal(n, 8);
        assert_memory_equal(hwid, hwid_want, 8);
        assert_int_equal(snp_cert_generation(vcek), SNP_GENERATION_TURIN);
}

/* KDS wrote hwID bare at first and as a DER OCTET STRING later; both
 * give the same chip ID. A two-byte INTEGER (ucodeSPL 0xa9) reads too. */
static void test_hwid_encodings(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *c = sk_X509_new_null();
        uint8_t a[64], b[64];
        size_t na, nb;
        SnpCertTcb t;
        (void) state;

        test_snp_load_peer("snp/trustee-vcek-legacy.der", c);
        test_snp_load_peer("snp/trustee-vcek-new.der", c);
        assert_int_equal(snp_cert_hwid(sk_X509_value(c, 0), a, &na), 0);
        assert_int_equal(snp_cert_hwid(sk_X509_value(c, 1), b, &nb), 0);
        assert_int_equal(na, 64);
        assert_int_equal(nb, 64);
        assert_memory_equal(a, b, 64);
        for (int i = 0; i < 64; i++)
                assert_int_equal(a[i], i);
        assert_int_equal(snp_cert_tcb(sk_X509_value(c, 0), &t), 0);
        assert_int_equal(t.microcode, 0xa9);
        assert_int_equal(t.snp, 10);
}

static void test_vlek(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *c = sk_X509_new_null();
        X509 *vlek = first("snp/trustee-vlek.der", c);
        uint8_t hwid[64];
        SnpCertTcb t;
        size_t n;
        (void) state;

        assert_int_equal(snp_cert_hwid(vlek, hwid, &n), -ENODATA);
        assert_int_equal(snp_cert_tcb(vlek, &t), 0);
        assert_int_equal(t.bootloader, 4);
        assert_int_equal(t.snp, 24);
        assert_int_equal(t.microcode, 217);
}

static void test_not_amd(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *c = sk_X509_new_null();
        X509 *ask = first("snp/milan-ask-ark.pem", c);
        uint8_t hwid[64];
        SnpCertTcb t;
        size_t n;
        char product[8] = "x";
        (void) state;

        assert_int_equal(snp_cert_tcb(ask, &t), -ENODATA);
        assert_int_equal(snp_cert_hwid(ask, hwid, &n), -ENODATA);
        snp_cert_product_name(ask, product, sizeof(product));
        assert_string_equal(product, "");
}

/* Extension values that are not what the specification says. */
static void test_bad_extensions(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *rsa = test_snp_rsa_key(), *ec = test_snp_ec_key();
        static const uint8_t not_int[] = {0x04, 0x01, 0x05};
        static const uint8_t big[] = {0x02, 0x02, 0x01, 0x00};
        static const uint8_t hwid_odd[10] = {1, 2, 3};
        X509 *c;
        SnpCertTcb t;
        uint8_t hwid[64];
        size_t n;
        (void) state;

        c = test_snp_cert("SEV-VCEK", ec, NULL, rsa, false, time(NULL), 1);
        test_snp_add_ext(c, "1.3.6.1.4.1.3704.1.3.1", not_int, sizeof(not_int));
        assert_int_equal(snp_cert_tcb(c, &t), -EBADMSG);
        X509_free(c);

        c = test_snp_cert("SEV-VCEK", ec, NULL, rsa, false, time(NULL), 1);
        test_snp_add_ext(c, "1.3.6.1.4.1.3704.1.3.8", big, sizeof(big));
        assert_int_equal(snp_cert_tcb(c, &t), -EBADMSG);
        test_snp_add_ext(c, "1.3.6.1.4.1.3704.1.4", hwid_odd, sizeof(hwid_odd));
        assert_int_equal(snp_cert_hwid(c, hwid, &n), -EBADMSG);
        X509_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roles),          cmocka_unit_test(test_milan_vcek),
                cmocka_unit_test(test_turin_vcek),     cmocka_unit_test(test_hwid_encodings),
                cmocka_unit_test(test_vlek),           cmocka_unit_test(test_not_amd),
                cmocka_unit_test(test_bad_extensions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
