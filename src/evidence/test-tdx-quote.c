/* tdx_quote_parse() and its JSON: the peer quotes decode to the values
 * their sources list; empty, short, every prefix and oversized lengths are
 * -EBADMSG with the field named, never a crash; unsupported versions and
 * keys are -EOPNOTSUPP. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/evidence/tdx-quote-json.h"
#include "confnode/evidence/tdx-quote.h"
#include "test-tdx-util.h"

static const char *const peer_quotes[] = {
        "tdx/gtg-quote-v4.dat",     "tdx/gtg-quote-v5.dat",         "tdx/trustee-quote-v4.dat",
        "tdx/trustee-quote-6.dat",  "tdx/trustee-sgx-quote-v3.dat", "tdx/dcap-sgx-quote.dat",
        "azure/aztdx-td-quote.bin", "eventlog/gtg-ccel-quote.dat",
};

static void assert_hex(const uint8_t *data, size_t n, const char *want) {
        _cleanup_free_ char *got = hex_encode(data, n);

        assert_non_null(got);
        assert_string_equal(got, want);
}

static void test_empty(void **state) {
        ParseError err;
        TdxQuote q;

        (void)state;
        assert_int_equal(tdx_quote_parse(NULL, 0, &q, &err), -EBADMSG);
        assert_true(err.set);
        assert_int_equal(tdx_quote_parse((const uint8_t *)"", 0, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "version");
}

static void test_gtg_v4(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        size_t size;
        TdxQuote q;

        (void)state;
        data = test_peer_read("tdx/gtg-quote-v4.dat", &size);
        if (!data)
                skip();
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), 0);
        assert_int_equal(q.version, 4);
        assert_int_equal(q.att_key_type, 2);
        assert_int_equal(q.tee_type, 0x81);
        assert_int_equal(q.body_type, TDX_QUOTE_BODY_TD10);
        assert_int_equal(q.signed_size, 632);
        assert_int_equal(q.sig_data_len, 4299);
        assert_int_equal(q.size, 4935);
        /* go-tdx-guest appended text to this one; it is not part of the
         * quote and nothing signs it. */
        assert_int_equal(q.trailing_size, 39);
        assert_false(q.trailing_zero);
        assert_hex(q.qe_vendor_id, 16, "939a7233f79c4ca9940a0db3957f0607");
        assert_hex(q.td.tee_tcb_svn, 16, "03000400000000000000000000000000");
        assert_hex(q.td.mrtd, 48,
                   "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd40"
                   "4bc10d5e119d7215cbb");
        assert_hex(q.td.rtmr[2], 48,
                   "8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b3e6466fe59c7368b3c2287"
                   "fc7c3bf5c924eb4424e");
        assert_hex(q.td.td_attributes, 8, "0000004000000000");
        assert_hex(q.td.xfam, 8, "e71a060000000000");
        assert_int_equal(q.cert_data_type, TDX_CERT_QE_REPORT);
        assert_true(q.has_qe_report);
        assert_int_equal(q.qe_auth_data_size, 32);
        assert_int_equal(q.pck_cert_data_type, TDX_CERT_PCK_CHAIN);
        assert_int_equal(q.pck_cert_data_size, 3677);
}

static void test_gtg_v5(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        size_t size;
        TdxQuote q;

        (void)state;
        data = test_peer_read("tdx/gtg-quote-v5.dat", &size);
        if (!data)
                skip();
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), 0);
        assert_int_equal(q.version, 5);
        assert_int_equal(q.body_type, TDX_QUOTE_BODY_TD15);
        assert_int_equal(q.body_size, 648);
        assert_int_equal(q.signed_size, 48 + 6 + 648);
        assert_int_equal(q.size, 5006);
        assert_int_equal(q.trailing_size, 0);
        assert_hex(q.td.tee_tcb_svn2, 16, "0d010400000000000000000000000000");
        assert_hex(q.td.report_data, 64,
                   "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd"
                   "4a4933a4dd537ed1255c9c79ecb3ed82cd1b486233e31c25c3a");
}

static void test_sgx_v3(void **state) {
        _cleanup_free_ uint8_t *data = NULL, *dcap = NULL;
        ParseError err;
        size_t size;
        TdxQuote q;

        (void)state;
        data = test_peer_read("tdx/trustee-sgx-quote-v3.dat", &size);
        if (!data)
                skip();
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), 0);
        assert_int_equal(q.version, 3);
        assert_int_equal(q.tee_type, 0);
        assert_int_equal(q.body_type, TDX_QUOTE_BODY_SGX);
        assert_int_equal(q.qe_svn, 8);
        assert_int_equal(q.pce_svn, 13);
        assert_hex(q.sgx.mrenclave, 32,
                   "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68");
        assert_hex(q.sgx.mrsigner, 32,
                   "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e");
        assert_int_equal(q.cert_data_type, TDX_CERT_PCK_CHAIN);
        assert_int_equal(q.pck_cert_data_type, TDX_CERT_PCK_CHAIN);
        assert_int_equal(q.size, size);

        dcap = test_peer_read("tdx/dcap-sgx-quote.dat", &size);
        assert_non_null(dcap);
        assert_int_equal(tdx_quote_parse(dcap, size, &q, &err), 0);
        assert_int_equal(q.cert_data_type, TDX_CERT_PPID_CLEARTEXT);
        assert_int_equal(q.qe_auth_data_size, 0);
}

/* Every proper prefix of every peer quote is malformed, with an error
 * that points inside the input. */
static void test_prefixes(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peer_quotes); i++) {
                _cleanup_free_ uint8_t *data = NULL;
                ParseError err;
                size_t size;
                TdxQuote q;

                data = test_peer_read(peer_quotes[i], &size);
                if (!data)
                        skip();
                assert_int_equal(tdx_quote_parse(data, size, &q, &err), 0);
                for (size_t n = 0; n < q.size; n++) {
                        TdxQuote p;

                        /* A copy of exactly n bytes, so ASan sees a read
                         * past it. */
                        _cleanup_free_ uint8_t *copy = malloc(n ? n : 1);

                        assert_non_null(copy);
                        memcpy(copy, data, n);
                        assert_int_equal(tdx_quote_parse(copy, n, &p, &err), -EBADMSG);
                        assert_true(err.set);
                        assert_true(err.offset <= n);
                }
        }
}

static void test_one_byte_short(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        size_t size;
        TdxQuote q;

        (void)state;
        data = test_peer_read("tdx/trustee-quote-v4.dat", &size);
        if (!data)
                skip();
        assert_int_equal(tdx_quote_parse(data, size - 1, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "sig_data_len");
}

/* The three lengths inside the signature data, each made larger than what
 * follows, and the outer one made larger than what is left. */
static void test_oversized_lengths(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        size_t size;
        TdxQuote q;
        char buf[256];

        (void)state;
        data = test_peer_read("tdx/trustee-quote-v4.dat", &size);
        if (!data)
                skip();

        /* sig_data_len at 632. */
        test_put_u32_at(data + 632, 0xffffffffu);
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "sig_data_len");
        assert_int_equal(err.offset, 632);
        assert_non_null(strstr(parse_error_string(&err, buf, sizeof(buf)), "4294967295"));
        test_put_u32_at(data + 632, 4300);
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), 0);

        /* certification_data.size at 636 + 128 + 2. */
        test_put_u32_at(data + 766, 0x7fffffffu);
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "certification_data.size");
        /* One byte less than what it frames leaves a byte outside. */
        test_put_u32_at(data + 766, 4165);
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), -EBADMSG);
        test_put_u32_at(data + 766, 4166);
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), 0);

        /* qe_auth_data.size at 770 + 384 + 64. */
        data[1218] = 0xff;
        data[1219] = 0xff;
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "qe_auth_data.size");
        data[1218] = 32;
        data[1219] = 0;

        /* The PCK chain's size at 1220 + 32 + 2. */
        test_put_u32_at(data + 1254, 0x10000000u);
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "qe_certification_data.size");
        test_put_u32_at(data + 1254, 3678);
        assert_int_equal(tdx_quote_parse(data, size, &q, &err), 0);
}

static void test_header_checks(void **state) {
        TestPki pki;
        TestQuote t;
        ParseError err;
        TdxQuote q;

        (void)state;
        test_pki_init(&pki, "Test Root CA");
        test_quote_build(&t, &pki, 5, 5);
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), 0);
        assert_int_equal(q.body_type, TDX_QUOTE_BODY_TD15);

        t.b.data[0] = 6;
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), -EOPNOTSUPP);
        assert_string_equal(err.field, "version");
        t.b.data[0] = 5;
        t.b.data[2] = 3; /* ECDSA-384 */
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), -EOPNOTSUPP);
        assert_string_equal(err.field, "att_key_type");
        t.b.data[2] = 2;
        t.b.data[4] = 0x82;
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), -EOPNOTSUPP);
        assert_string_equal(err.field, "tee_type");
        t.b.data[4] = 0x81;
        t.b.data[0] = 3; /* a TDX quote cannot be version 3 */
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "tee_type");
        t.b.data[0] = 5;
        t.b.data[48] = 4; /* body type */
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "body_type");
        t.b.data[48] = 1; /* an SGX body in a TDX quote */
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "body_type");
        t.b.data[48] = 3;
        test_put_u32_at(t.b.data + 50, 584);
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), -EBADMSG);
        assert_string_equal(err.field, "body_size");
        test_put_u32_at(t.b.data + 50, 648);
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), 0);
        free(t.b.data);

        /* Zero padding after the quote is counted, not refused. */
        test_quote_build(&t, &pki, 4, 5);
        test_buf_fill(&t.b, 0, 100);
        assert_int_equal(tdx_quote_parse(t.b.data, t.b.size, &q, &err), 0);
        assert_int_equal(q.trailing_size, 100);
        assert_true(q.trailing_zero);
        free(t.b.data);
        test_pki_done(&pki);
}

static void test_json_peers(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peer_quotes); i++) {
                _cleanup_(json_object_putp) json_object *j = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                json_object *v, *cert;
                ParseError err;
                size_t size;

                data = test_peer_read(peer_quotes[i], &size);
                if (!data)
                        skip();
                assert_int_equal(tdx_quote_inspect(data, size, &j, &err), 0);
                assert_true(json_object_object_get_ex(j, "report_data", &v));
                assert_int_equal(json_object_get_string_len(v), 128);
                assert_true(json_object_object_get_ex(j, "certification_data", &cert));
                if (json_object_object_get_ex(j, "mrtd", &v)) {
                        json_object *pck, *chain;

                        assert_true(json_object_object_get_ex(cert, "certification_data", &pck));
                        assert_true(json_object_object_get_ex(pck, "pck_chain", &chain));
                        assert_int_equal(json_object_array_length(chain), 3);
                }
        }
}

static void test_inspect_unsupported(void **state) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        uint8_t buf[64] = {9, 0, 2, 0};
        ParseError err;

        (void)state;
        assert_int_equal(tdx_quote_inspect(buf, sizeof(buf), &j, &err), -EBADMSG);
        assert_null(j);
        assert_string_equal(err.field, "version");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_gtg_v4),
                cmocka_unit_test(test_gtg_v5),
                cmocka_unit_test(test_sgx_v3),
                cmocka_unit_test(test_prefixes),
                cmocka_unit_test(test_one_byte_short),
                cmocka_unit_test(test_oversized_lengths),
                cmocka_unit_test(test_header_checks),
                cmocka_unit_test(test_json_peers),
                cmocka_unit_test(test_inspect_unsupported),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
