#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "confnode/basic/fileio.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"

static char *peer(const char *name) {
        const char *dir = getenv("PEER_DATA");
        char *p = NULL;

        if (!dir || asprintf(&p, "%s/snp/%s", dir, name) < 0)
                return NULL;
        return p;
}

static int load(const char *name, STACK_OF(X509) *certs) {
        _cleanup_free_ char *p = peer(name);

        assert_non_null(p);
        return cert_load_file(p, certs);
}

static void cn_at(STACK_OF(X509) *certs, int i, const char *want) {
        char cn[64];

        cert_info_common_name(sk_X509_value(certs, i), cn, sizeof(cn));
        assert_string_equal(cn, want);
}

static void test_pem_chain(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
        (void) state;

        assert_int_equal(load("az-milan-vcek-chain.pem", certs), 0);
        assert_int_equal(sk_X509_num(certs), 3);
        cn_at(certs, 0, "SEV-VCEK");
        cn_at(certs, 1, "SEV-Milan");
        cn_at(certs, 2, "ARK-Milan");
        assert_false(cert_info_is_self_signed(sk_X509_value(certs, 0)));
        assert_true(cert_info_is_self_signed(sk_X509_value(certs, 2)));
}

static void test_der_and_append(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
        char fp[CERT_INFO_FINGERPRINT_SIZE], t[21];
        (void) state;

        assert_int_equal(load("gsg-vcek.der", certs), 0);
        assert_int_equal(load("milan-ask-ark.pem", certs), 0);
        assert_int_equal(sk_X509_num(certs), 3);
        cn_at(certs, 0, "SEV-VCEK");
        cn_at(certs, 2, "ARK-Milan");
        assert_int_equal(cert_info_fingerprint(sk_X509_value(certs, 0), fp), 0);
        assert_int_equal(strlen(fp), 64);
        cert_info_not_before(sk_X509_value(certs, 0), t);
        assert_string_equal(t, "2022-09-24T00:55:28Z");
        cert_info_not_after(sk_X509_value(certs, 0), t);
        assert_string_equal(t, "2029-09-24T00:55:28Z");
}

static void test_concatenated_der(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
        _cleanup_free_ char *a = peer("gsg-vcek.der"), *b = peer("trustee-vlek.der");
        _cleanup_free_ uint8_t *da = NULL, *db = NULL, *both = NULL;
        size_t na, nb;
        (void) state;

        assert_int_equal(read_full_file(a, CERT_LOAD_MAX_FILE, &da, &na), 0);
        assert_int_equal(read_full_file(b, CERT_LOAD_MAX_FILE, &db, &nb), 0);
        both = malloc(na + nb);
        assert_non_null(both);
        memcpy(both, da, na);
        memcpy(both + na, db, nb);
        assert_int_equal(cert_load_buffer(both, na + nb, certs), 0);
        assert_int_equal(sk_X509_num(certs), 2);
        cn_at(certs, 1, "SEV-VLEK");

        /* A DER certificate with a byte missing, or one too many: nothing
         * is added. */
        assert_int_equal(cert_load_buffer(both, na + nb - 1, certs), -EBADMSG);
        both[na + nb - 1] ^= 0xff;
        assert_int_equal(cert_load_buffer(both, na - 1, certs), -EBADMSG);
        assert_int_equal(sk_X509_num(certs), 2);
}

static void test_bad_buffers(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
        static const char no_cert[] =
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        static const char broken[] =
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        static const uint8_t junk[] = {0x30, 0x82, 0x01};
        (void) state;

        assert_int_equal(cert_load_buffer(NULL, 0, certs), -EBADMSG);
        assert_int_equal(cert_load_buffer(junk, 0, certs), -EBADMSG);
        assert_int_equal(cert_load_buffer(junk, sizeof(junk), certs), -EBADMSG);
        assert_int_equal(cert_load_buffer((const uint8_t *) no_cert, strlen(no_cert), certs),
                         -EBADMSG);
        assert_int_equal(cert_load_buffer((const uint8_t *) broken, strlen(broken), certs),
                         -EBADMSG);
        assert_int_equal(sk_X509_num(certs), 0);
}

static void test_dir(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
        _cleanup_free_ char *src = peer("trustee-milan-ask-ark-asvk.pem"),
                            *vcek = peer("trustee-vcek.der");
        _cleanup_free_ uint8_t *a = NULL, *b = NULL;
        char dir[] = "/tmp/test-cert-load-XXXXXX", path[256];
        unsigned skipped = 99;
        size_t na, nb;
        (void) state;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(read_full_file(src, CERT_LOAD_MAX_FILE, &a, &na), 0);
        assert_int_equal(read_full_file(vcek, CERT_LOAD_MAX_FILE, &b, &nb), 0);
        /* Names that say nothing, or the wrong thing. */
        snprintf(path, sizeof(path), "%s/.hidden", dir);
        assert_int_equal(write_file_atomic(path, a, na, 0644), 0);
        snprintf(path, sizeof(path), "%s/ark.pem", dir);
        assert_int_equal(write_file_atomic(path, b, nb, 0644), 0);
        snprintf(path, sizeof(path), "%s/README", dir);
        assert_int_equal(write_file_atomic(path, "not a certificate\n", 18, 0644), 0);
        snprintf(path, sizeof(path), "%s/sub", dir);
        assert_int_equal(mkdir(path, 0755), 0);

        assert_int_equal(cert_load_path(dir, certs, &skipped), 0);
        assert_int_equal(sk_X509_num(certs), 4);
        assert_int_equal(skipped, 1);
        /* Sorted by name: ".hidden" (ASK, ARK, ASVK), then "ark.pem". */
        cn_at(certs, 0, "SEV-Milan");
        cn_at(certs, 3, "SEV-VCEK");

        snprintf(path, sizeof(path), "%s/.hidden", dir);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/ark.pem", dir);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/README", dir);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/sub", dir);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(cert_load_path(dir, certs, &skipped), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pem_chain),
                cmocka_unit_test(test_der_and_append),
                cmocka_unit_test(test_concatenated_der),
                cmocka_unit_test(test_bad_buffers),
                cmocka_unit_test(test_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
