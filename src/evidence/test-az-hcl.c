/* az_hcl_parse() and its JSON: the peer HCL reports decode to the values
 * their sources list; every field of the frame that can lie is made to,
 * and the runtime data JSON is made malformed in each way the parser
 * refuses. Every prefix is -EBADMSG, never a crash. */

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
#include "confnode/evidence/az-hcl-json.h"
#include "confnode/evidence/az-hcl.h"
#include "test-az-util.h"

static const struct {
        const char *path;
        uint32_t version, report_size, report_type, runtime_data_size;
        const char *ak_n_prefix;
        bool user_data;
} peers[] = {
        {"azure/azsnp-hcl-report.bin", 1, 2346, 2, 1110, "qR7LqAABDczZDIJxh4YuOOp_", true},
        {"azure/aztdx-hcl-report.bin", 2, 2437, 4, 1201, "yJsXggAApem3jnAqQlvmgBIY", true},
        {"azure/kv-hcl-report-snp.bin", 1, 1819, 2, 583, "tYVBpgABBOedWd2SNiT8o1I7", false},
        {"azure/kv-hcl-report-tdx.bin", 2, 2438, 4, 1202, "sgeoFQABLCOq4yWEkKE33U0K", true},
};

static int parse(const TestBuf *b, AzHclReport **ret, ParseError *err) {
        return az_hcl_parse(b->data, b->size, ret, err);
}

static void test_peers(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peers); i++) {
                _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                json_object *n, *user;
                ParseError err;
                size_t size;

                data = test_peer_read(peers[i].path, &size);
                if (!data)
                        skip();
                assert_int_equal(az_hcl_parse(data, size, &rep, &err), 0);
                assert_int_equal(rep->signature, AZ_HCL_SIGNATURE);
                assert_int_equal(rep->version, peers[i].version);
                assert_int_equal(rep->report_size, peers[i].report_size);
                assert_int_equal(rep->request_type, 2);
                assert_int_equal(rep->report_type, peers[i].report_type);
                assert_int_equal(rep->hash_type, AZ_HCL_HASH_SHA256);
                assert_int_equal(rep->runtime_data_size, peers[i].runtime_data_size);
                assert_int_equal(rep->size + rep->trailing_size, size);
                assert_non_null(rep->ak);
                assert_int_equal(EVP_PKEY_get_bits(rep->ak), 2048);
                assert_true(json_object_object_get_ex(rep->ak_jwk, "n", &n));
                assert_memory_equal(json_object_get_string(n), peers[i].ak_n_prefix,
                                    strlen(peers[i].ak_n_prefix));
                assert_int_equal(json_object_object_get_ex(rep->runtime_json, "user-data", &user),
                                 peers[i].user_data);
                if (rep->report_type == AZ_HCL_REPORT_SNP) {
                        assert_non_null(rep->snp);
                        assert_int_equal(rep->snp->version, 2);
                } else
                        assert_int_equal(rep->tdx.type, TDX_REPORT_TYPE_TDX);
        }
}

static void test_snp_values(void **state) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ char *m = NULL, *rd = NULL;
        ParseError err;
        size_t size;

        (void)state;
        data = test_peer_read("azure/azsnp-hcl-report.bin", &size);
        if (!data)
                skip();
        assert_int_equal(az_hcl_parse(data, size, &rep, &err), 0);
        m = hex_encode(rep->snp->measurement, sizeof(rep->snp->measurement));
        assert_string_equal(m, "9ac48fcac8a2d88aeeff8d427ad4f2be0e3917c748a18bdf52cc317e7fe20308b45"
                               "9d5ef1a12e0c22944eb386d17c315");
        rd = hex_encode(az_hcl_report_data(rep), 32);
        assert_string_equal(rd, "b3fbad6514c83caeb0380882145e49f794229ef37c421b91fc47ff93556bafac");
        assert_int_equal(rep->snp->policy, 0x3001f);
}

static void test_prefixes(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peers); i++) {
                _cleanup_free_ uint8_t *data = NULL;
                size_t size;

                data = test_peer_read(peers[i].path, &size);
                if (!data)
                        skip();
                /* The report is report_size bytes; any less is short. */
                for (size_t n = 0; n < peers[i].report_size; n++) {
                        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                        _cleanup_free_ uint8_t *copy = malloc(n ? n : 1);
                        ParseError err;

                        assert_non_null(copy);
                        memcpy(copy, data, n);
                        assert_int_equal(az_hcl_parse(copy, n, &rep, &err), -EBADMSG);
                        assert_null(rep);
                        assert_true(err.set);
                }
        }
}

static void test_frame(void **state) {
        static const char json[] = "{\"keys\":[]}";
        AzHclReport *rep = NULL;
        TestHclOptions o;
        ParseError err;
        TestBuf b;

        (void)state;
        o = TEST_HCL_DEFAULTS;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), 0);
        assert_null(rep->ak);
        az_hcl_free(TAKE_PTR(rep));
        free(b.data);

        assert_int_equal(az_hcl_parse(NULL, 0, &rep, &err), -EBADMSG);
        assert_string_equal(err.field, "signature");

        o = TEST_HCL_DEFAULTS;
        o.signature = 0x424c4348u;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
        assert_string_equal(err.field, "signature");
        free(b.data);

        o = TEST_HCL_DEFAULTS;
        o.version = 3;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EOPNOTSUPP);
        assert_string_equal(err.field, "version");
        free(b.data);

        o = TEST_HCL_DEFAULTS;
        o.report_type = 3;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EOPNOTSUPP);
        assert_string_equal(err.field, "report_type");
        free(b.data);

        /* report_size beyond the buffer, and too small to hold the frame. */
        o = TEST_HCL_DEFAULTS;
        o.report_size_delta = 1;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
        assert_string_equal(err.field, "report_size");
        assert_int_equal(err.offset, 8);
        free(b.data);
        o.report_size_delta = -1216;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
        assert_string_equal(err.field, "report_size");
        free(b.data);

        /* data_size and runtime_data_size larger than what follows. */
        o = TEST_HCL_DEFAULTS;
        o.data_size_delta = 1;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
        assert_string_equal(err.field, "data_size");
        free(b.data);
        o = TEST_HCL_DEFAULTS;
        o.runtime_size_delta = 1;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
        assert_string_equal(err.field, "runtime_data_size");
        free(b.data);
        o.runtime_size_delta = 0x7fffffff;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
        assert_string_equal(err.field, "runtime_data_size");
        free(b.data);

        /* A report framed smaller than its runtime data leaves the JSON
         * short (report_size covers 5 bytes less). */
        o = TEST_HCL_DEFAULTS;
        o.report_size_delta = -5;
        o.padding = 5;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
        free(b.data);

        /* Padding after report_size is counted, not parsed. */
        o = TEST_HCL_DEFAULTS;
        o.padding = 300;
        test_hcl_build(&b, &o, json);
        assert_int_equal(parse(&b, &rep, &err), 0);
        assert_int_equal(rep->trailing_size, 300);
        az_hcl_free(TAKE_PTR(rep));
        free(b.data);
}

static void test_runtime_json(void **state) {
        static const struct {
                const char *json;
                const char *field;
        } bad[] = {
                {"", "runtime_data"},
                {"{", "runtime_data"},
                {"[1,2]", "runtime_data"},
                {"{} x", "runtime_data"},
                {"{\"a\":1,}", "runtime_data"},
                {"{\"a\":\"\xff\"}", "runtime_data"},
                {"{\"keys\":{}}", "runtime_data.keys"},
                {"{\"keys\":[{\"kid\":\"HCLAkPub\",\"kty\":\"EC\",\"e\":\"AQAB\",\"n\":\"AQAB\"}]}",
                 "runtime_data.keys.HCLAkPub"},
                {"{\"keys\":[{\"kid\":\"HCLAkPub\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"A*AB\"}]"
                 "}",
                 "runtime_data.keys.HCLAkPub"},
                {"{\"keys\":[{\"kid\":\"HCLAkPub\",\"kty\":\"RSA\",\"e\":\"AQAB\"}]}",
                 "runtime_data.keys.HCLAkPub"},
                {"{\"keys\":[{\"kid\":\"HCLAkPub\",\"kty\":\"RSA\",\"e\":\"AQABAQABAQAB\","
                 "\"n\":\"AQAB\"}]}",
                 "runtime_data.keys.HCLAkPub"},
        };
        TestHclOptions o = TEST_HCL_DEFAULTS;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                AzHclReport *rep = NULL;
                ParseError err;
                TestBuf b;

                test_hcl_build(&b, &o, bad[i].json);
                assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
                assert_null(rep);
                assert_string_equal(err.field, bad[i].field);
                /* The error points into the runtime data. */
                assert_true(err.offset >= 32 + 1184 + 20);
                free(b.data);
        }

        /* Deeper than the bound. */
        {
                AzHclReport *rep = NULL;
                ParseError err;
                TestBuf b;

                test_hcl_build(&b, &o, "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}");
                assert_int_equal(parse(&b, &rep, &err), -EBADMSG);
                free(b.data);
        }

        /* Whitespace after the object is fine; other keys are ignored. */
        {
                _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
                char json[1024], jwk[800];
                EVP_PKEY *key = test_rsa_jwk("HCLAkPub", jwk, sizeof(jwk));
                ParseError err;
                TestBuf b;

                snprintf(json, sizeof(json), "{\"keys\":[{\"kid\":\"other\"},%s],\"x\":1}\n ", jwk);
                test_hcl_build(&b, &o, json);
                assert_int_equal(parse(&b, &rep, &err), 0);
                assert_non_null(rep->ak);
                assert_int_equal(EVP_PKEY_eq(rep->ak, key), 1);
                EVP_PKEY_free(key);
                free(b.data);
        }
}

static void test_json(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peers); i++) {
                _cleanup_(json_object_putp) json_object *j = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                json_object *v, *ak, *pem;
                ParseError err;
                size_t size;

                data = test_peer_read(peers[i].path, &size);
                if (!data)
                        skip();
                assert_int_equal(az_hcl_json_inspect(data, size, &j, &err), 0);
                assert_true(json_object_object_get_ex(j, "runtime_data", &v));
                assert_true(json_object_is_type(v, json_type_object));
                assert_true(json_object_object_get_ex(j, "runtime_data_hash", &v));
                assert_true(json_object_object_get_ex(
                        j, peers[i].report_type == 2 ? "snp_report" : "td_report", &v));
                assert_true(json_object_object_get_ex(v, "report_data", &v));
                assert_true(json_object_object_get_ex(j, "ak", &ak));
                assert_true(json_object_object_get_ex(ak, "pem", &pem));
                assert_non_null(strstr(json_object_get_string(pem), "BEGIN PUBLIC KEY"));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_peers),        cmocka_unit_test(test_snp_values),
                cmocka_unit_test(test_prefixes),     cmocka_unit_test(test_frame),
                cmocka_unit_test(test_runtime_json), cmocka_unit_test(test_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
