/* az_verify_binding() and az_verify_td_quote(): the peer HCL reports are
 * bound to their TEE reports (and the TDX one to its TD quote); tampered
 * runtime data, a report_data of something else, a missing AK and an
 * unknown hash type each give their reason. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/cleanup.h"
#include "confnode/evidence/az-verify.h"
#include "test-az-util.h"

static void free_pkey(EVP_PKEY **k) {
        EVP_PKEY_free(*k);
        *k = NULL;
}

static void test_peer_bindings(void **state) {
        static const char *const reports[] = {
                "azure/azsnp-hcl-report.bin",
                "azure/aztdx-hcl-report.bin",
                "azure/kv-hcl-report-snp.bin",
                "azure/kv-hcl-report-tdx.bin",
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(reports); i++) {
                _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                _cleanup_(free_pkey) EVP_PKEY *ak = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                AzVerdict v = {};
                ParseError err;
                size_t size;

                data = test_peer_read(reports[i], &size);
                if (!data)
                        skip();
                assert_int_equal(az_hcl_parse(data, size, &rep, &err), 0);
                assert_int_equal(az_verify_binding(rep, NULL, &ak, &v), 0);
                assert_null(v.reason);
                assert_true(v.binding_checked);
                assert_int_equal(v.hash_size, 32);
                assert_true(EVP_PKEY_eq(ak, rep->ak) == 1);
        }
}

/* Trustee's test: one byte of the runtime data changed (here a digit of
 * vmUniqueId, so the JSON stays valid). */
static void test_tampered_runtime_data(void **state) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        _cleanup_(free_pkey) EVP_PKEY *ak = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        AzVerdict v = {};
        ParseError err;
        uint8_t *id;
        size_t size;

        (void)state;
        data = test_peer_read("azure/azsnp-hcl-report.bin", &size);
        if (!data)
                skip();
        id = memmem(data, size, "\"vmUniqueId\":\"9", 15);
        assert_non_null(id);
        id[14] = '8';
        assert_int_equal(az_hcl_parse(data, size, &rep, &err), 0);
        assert_int_equal(az_verify_binding(rep, NULL, &ak, &v), -EKEYREJECTED);
        assert_string_equal(v.reason, "az.runtime_data_binding");
        assert_null(ak);
}

static void test_synthetic(void **state) {
        TestHclOptions o = TEST_HCL_DEFAULTS;
        uint8_t other[64] = {};
        char json[1024], jwk[800];
        EVP_PKEY *key = test_rsa_jwk("HCLAkPub", jwk, sizeof(jwk));

        (void)state;
        snprintf(json, sizeof(json), "{\"keys\":[%s]}", jwk);
        for (uint32_t hash = 1; hash <= 3; hash++) {
                _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                _cleanup_(free_pkey) EVP_PKEY *ak = NULL;
                AzVerdict v = {};
                ParseError err;
                TestBuf b;

                o.hash_type = hash;
                test_hcl_build(&b, &o, json);
                assert_int_equal(az_hcl_parse(b.data, b.size, &rep, &err), 0);
                assert_int_equal(az_verify_binding(rep, NULL, &ak, &v), 0);
                assert_int_equal(v.hash_size, hash == 1 ? 32 : hash == 2 ? 48 : 64);
                assert_true(EVP_PKEY_eq(ak, key) == 1);
                /* Another report_data (a TD quote's) is what is compared
                 * when one is given. */
                free_pkey(&ak);
                assert_int_equal(az_verify_binding(rep, other, &ak, &v), -EKEYREJECTED);
                assert_string_equal(v.reason, "az.runtime_data_binding");
                free(b.data);
        }

        /* The hash is of other bytes. */
        {
                _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                _cleanup_(free_pkey) EVP_PKEY *ak = NULL;
                AzVerdict v = {};
                ParseError err;
                TestBuf b;

                o = TEST_HCL_DEFAULTS;
                o.wrong_hash = true;
                test_hcl_build(&b, &o, json);
                assert_int_equal(az_hcl_parse(b.data, b.size, &rep, &err), 0);
                assert_int_equal(az_verify_binding(rep, NULL, &ak, &v), -EKEYREJECTED);
                assert_string_equal(v.reason, "az.runtime_data_binding");
                free(b.data);
        }

        /* No hash the binding can be checked with. */
        {
                _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                _cleanup_(free_pkey) EVP_PKEY *ak = NULL;
                AzVerdict v = {};
                ParseError err;
                TestBuf b;

                o = TEST_HCL_DEFAULTS;
                o.hash_type = 7;
                test_hcl_build(&b, &o, json);
                assert_int_equal(az_hcl_parse(b.data, b.size, &rep, &err), 0);
                assert_int_equal(az_verify_binding(rep, NULL, &ak, &v), -EOPNOTSUPP);
                assert_string_equal(v.reason, "az.unsupported");
                free(b.data);
        }

        /* Bound, but without an AK. */
        {
                _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                _cleanup_(free_pkey) EVP_PKEY *ak = NULL;
                AzVerdict v = {};
                ParseError err;
                TestBuf b;

                o = TEST_HCL_DEFAULTS;
                test_hcl_build(&b, &o, "{\"keys\":[],\"user-data\":\"00\"}");
                assert_int_equal(az_hcl_parse(b.data, b.size, &rep, &err), 0);
                assert_int_equal(az_verify_binding(rep, NULL, &ak, &v), -ENOKEY);
                assert_string_equal(v.reason, "az.ak_missing");
                free(b.data);
        }
        EVP_PKEY_free(key);
}

static void test_td_quote(void **state) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL, *snp = NULL;
        _cleanup_free_ uint8_t *hcl = NULL, *quote = NULL, *other = NULL, *snp_data = NULL;
        size_t hcl_size, quote_size, other_size, snp_size;
        TdxQuote q, o;
        AzVerdict v = {};
        ParseError err;

        (void)state;
        hcl = test_peer_read("azure/aztdx-hcl-report.bin", &hcl_size);
        quote = test_peer_read("azure/aztdx-td-quote.bin", &quote_size);
        other = test_peer_read("tdx/gtg-quote-v4.dat", &other_size);
        snp_data = test_peer_read("azure/azsnp-hcl-report.bin", &snp_size);
        if (!hcl || !quote || !other || !snp_data)
                skip();
        assert_int_equal(az_hcl_parse(hcl, hcl_size, &rep, &err), 0);
        assert_int_equal(tdx_quote_parse(quote, quote_size, &q, &err), 0);
        assert_int_equal(az_verify_td_quote(rep, &q, &v), 0);
        assert_true(v.td_quote_checked);

        assert_int_equal(tdx_quote_parse(other, other_size, &o, &err), 0);
        assert_int_equal(az_verify_td_quote(rep, &o, &v), -EXDEV);
        assert_string_equal(v.reason, "az.td_quote_mismatch");
        assert_non_null(strstr(v.detail, "report_data"));

        /* An RTMR of the TD report changed after the quote was made. */
        q.td.rtmr[3][0] ^= 1;
        assert_int_equal(az_verify_td_quote(rep, &q, &v), -EXDEV);
        assert_non_null(strstr(v.detail, "rtmr3"));

        assert_int_equal(az_hcl_parse(snp_data, snp_size, &snp, &err), 0);
        assert_int_equal(az_verify_td_quote(snp, &o, &v), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_peer_bindings),
                cmocka_unit_test(test_tampered_runtime_data),
                cmocka_unit_test(test_synthetic),
                cmocka_unit_test(test_td_quote),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
