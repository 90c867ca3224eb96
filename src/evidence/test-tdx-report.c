/* tdx_report_parse(): the go-tdx-guest TDREPORT decodes at its offsets;
 * anything but exactly 1024 bytes is -EBADMSG. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/json-util.h"
#include "confnode/evidence/tdx-report-json.h"
#include "confnode/evidence/tdx-report.h"
#include "test-tdx-util.h"

static void test_sizes(void **state) {
        uint8_t buf[TDX_REPORT_SIZE + 1] = {};
        ParseError err;
        TdxReport t;

        (void)state;
        assert_int_equal(tdx_report_parse(NULL, 0, &t, &err), -EBADMSG);
        assert_true(err.set);
        assert_int_equal(tdx_report_parse(buf, TDX_REPORT_SIZE - 1, &t, &err), -EBADMSG);
        assert_int_equal(tdx_report_parse(buf, TDX_REPORT_SIZE + 1, &t, &err), -EBADMSG);
        assert_int_equal(tdx_report_parse(buf, TDX_REPORT_SIZE, &t, &err), 0);
}

static void test_offsets(void **state) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
        uint8_t buf[TDX_REPORT_SIZE];
        json_object *v;
        ParseError err;
        TdxReport t;

        (void)state;
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t)(i / 4);
        assert_int_equal(tdx_report_parse(buf, sizeof(buf), &t, &err), 0);
        assert_int_equal(t.type, 0);
        assert_int_equal(t.report_data[0], 128 / 4);
        assert_int_equal(t.mac[0], 224 / 4);
        assert_int_equal(t.tee_tcb_svn[0], (256 + 8) / 4);
        assert_int_equal(t.tee_tcb_svn2[0], (256 + 128) / 4);
        assert_int_equal(t.td_attributes[0], 512 / 4);
        assert_int_equal(t.mrtd[0], (512 + 16) / 4);
        assert_int_equal(t.rtmr[3][0], (uint8_t)((512 + 208 + 144) / 4));
        assert_int_equal(t.servtd_hash[0], (uint8_t)((512 + 400) / 4));
        assert_int_equal(tdx_report_json_add(&t, j), 0);
        assert_true(json_object_object_get_ex(j, "rtmr3", &v));
        assert_int_equal(json_object_get_string_len(v), 96);
}

static void test_peer(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        TdxReport t;
        size_t size;

        (void)state;
        data = test_peer_read("tdx/gtg-tdreport.dat", &size);
        if (!data)
                skip();
        assert_int_equal(tdx_report_parse(data, size, &t, &err), 0);
        assert_memory_equal(t.cpu_svn, data + 16, 16);
        assert_memory_equal(t.mrtd, data + 512 + 16, 48);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_offsets),
                cmocka_unit_test(test_peer),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
