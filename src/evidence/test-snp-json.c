#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/json-util.h"
#include "confnode/evidence/snp-json.h"
#include "test-snp-util.h"

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

static bool has(json_object *o, const char *key) {
        return json_object_object_get_ex(o, key, NULL);
}

static void test_turin(void **state) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        json_object *tcb;
        ParseError err;
        size_t size;
        (void) state;

        test_snp_read_peer("snp/oak-turin-report.bin", &data, &size);
        assert_int_equal(snp_json_inspect(data, size, &j, &err), 0);
        assert_int_equal(json_object_get_int(get(j, "version")), 5);
        assert_string_equal(json_object_get_string(get(get(j, "policy"), "raw")), "0x30000");
        assert_string_equal(json_object_get_string(get(get(j, "platform_info"), "raw")), "0x67");
        assert_string_equal(json_object_get_string(get(get(j, "platform_info"), "reserved")),
                            "0x40");
        assert_true(json_object_get_boolean(get(get(j, "platform_info"), "alias_check_complete")));
        assert_string_equal(json_object_get_string(get(get(j, "flags"), "signing_key")), "vcek");
        tcb = get(j, "reported_tcb");
        assert_string_equal(json_object_get_string(get(tcb, "raw")), "0x4700000002000100");
        assert_int_equal(json_object_get_int(get(tcb, "fmc")), 0);
        assert_int_equal(json_object_get_int(get(tcb, "bootloader")), 1);
        assert_int_equal(json_object_get_int(get(tcb, "snp")), 2);
        assert_int_equal(json_object_get_int(get(tcb, "microcode")), 71);
        assert_int_equal(json_object_get_int(get(j, "cpuid_fam_id")), 0x1a);
        assert_true(has(j, "launch_mit_vector"));
        assert_true(has(get(j, "policy"), "page_swap_disable"));
        assert_string_equal(json_object_get_string(get(j, "chip_id")),
                            "3b42092f69c656d3000000000000000000000000000000000000000000000000"
                            "0000000000000000000000000000000000000000000000000000000000000000");
        assert_string_equal(json_object_get_string(get(j, "cpu_generation")), "turin");
        assert_int_equal(strlen(json_object_get_string(get(get(j, "signature"), "r"))), 144);
}

static void test_v2(void **state) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        size_t size;
        (void) state;

        test_snp_read_peer("snp/trustee-report.bin", &data, &size);
        assert_int_equal(snp_json_inspect(data, size, &j, &err), 0);
        /* Fields a version 2 report does not have are absent, not zero. */
        assert_false(has(j, "cpuid_fam_id"));
        assert_false(has(j, "launch_mit_vector"));
        assert_false(has(get(j, "policy"), "page_swap_disable"));
        assert_false(has(get(j, "platform_info"), "alias_check_complete"));
        assert_false(has(get(j, "reported_tcb"), "fmc"));
        assert_int_equal(json_object_get_int(get(j, "guest_svn")), 4);
        assert_string_equal(json_object_get_string(get(get(j, "current_tcb"), "raw")),
                            "0xce08000000000003");
        assert_int_equal(json_object_get_int(get(get(j, "reported_tcb"), "microcode")), 115);
        assert_string_equal(json_object_get_string(get(j, "measurement")),
                            "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c235006"
                            "44e0e692e6be917f90"
                            "50d3d38c");
        assert_string_equal(json_object_get_string(get(j, "cpu_generation")), "unknown");
        assert_string_equal(json_object_get_string(get(j, "tcb_layout")), "milan-genoa");
        assert_int_equal(json_object_get_int(get(j, "current_minor")), 52);
}

static void test_malformed(void **state) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        uint8_t buf[100] = {0};
        ParseError err;
        (void) state;

        assert_int_equal(snp_json_inspect(buf, sizeof(buf), &j, &err), -EBADMSG);
        assert_null(j);
        assert_true(err.set);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_turin),
                cmocka_unit_test(test_v2),
                cmocka_unit_test(test_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
