#include "confnode/eventlog/eventlog-json.h"

#include <errno.h>

#include <json-c/json.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/reader.h"
#include "test-eventlog-util.h"

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("no key '%s' in %s", key, json_object_to_json_string(o));
        return v;
}

static const char *get_str(json_object *o, const char *key) {
        return json_object_get_string(get(o, key));
}

static void test_json_tcg(void **state) {
        _cleanup_(json_object_putp) json_object *out = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        json_object *events, *ev, *banks;
        ParseError err;
        size_t size;
        (void) state;

        test_read_peer("eventlog/t2t-event.bin", &data, &size);
        assert_int_equal(eventlog_inspect_tcg(data, size, &out, &err), 0);
        assert_string_equal(get_str(out, "format"), "crypto-agile");
        banks = get(out, "banks");
        assert_int_equal(json_object_array_length(banks), 4);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(banks, 0)), "sha1");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(banks, 3)), "sha512");
        assert_int_equal(json_object_get_int(get(get(out, "spec_id"), "spec_version_major")), 2);

        events = get(out, "events");
        assert_int_equal(json_object_array_length(events), 2);
        ev = json_object_array_get_idx(events, 0);
        assert_string_equal(get_str(ev, "type_name"), "EV_NO_ACTION");
        assert_string_equal(get_str(get(ev, "digests"), "sha1"),
                            "0000000000000000000000000000000000000000");
        ev = json_object_array_get_idx(events, 1);
        assert_int_equal(json_object_get_int(get(ev, "offset")), 77);
        assert_int_equal(json_object_get_int(get(ev, "pcr")), 0);
        assert_int_equal(json_object_get_int64(get(ev, "type")), 0x80000008);
        assert_string_equal(get_str(ev, "type_name"), "EV_EFI_PLATFORM_FIRMWARE_BLOB");
        assert_string_equal(get_str(get(ev, "digests"), "sha256"),
                            "660375b3c94d47f04e30912dd931b28532d313271d1ae1bdead0a1b8f1276ed1");
        assert_string_equal(get_str(ev, "data"), "00009000000000000000b00000000000");

        assert_string_equal(get_str(get(get(out, "pcrs"), "sha256"), "0"),
                            "118bdc4043596f8d6b7813438131959961f6abba29bab0075d16ca39664f5862");
        assert_int_equal(json_object_object_length(get(get(out, "pcrs"), "sha384")), 1);
}

static void test_json_legacy(void **state) {
        _cleanup_(json_object_putp) json_object *out = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        json_object *pcrs;
        size_t size;
        (void) state;

        test_read_peer("eventlog/gtt-debian10.bin", &data, &size);
        assert_int_equal(eventlog_inspect_tcg(data, size, &out, NULL), 0);
        assert_string_equal(get_str(out, "format"), "sha1");
        assert_false(json_object_object_get_ex(out, "spec_id", NULL));
        assert_int_equal(json_object_array_length(get(out, "events")), 25);
        pcrs = get(get(out, "pcrs"), "sha1");
        assert_int_equal(json_object_object_length(pcrs), 8);
        assert_string_equal(get_str(pcrs, "7"), "9e6c57e850f371c2a7fe02bca552149363952318");
}

static void test_json_ccel(void **state) {
        _cleanup_(json_object_putp) json_object *out = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        json_object *ev;
        size_t size;
        (void) state;

        test_read_peer("eventlog/trustee-ccel-data-ovmf.bin", &data, &size);
        assert_int_equal(eventlog_inspect_ccel(data, size, &out, NULL), 0);
        assert_string_equal(get_str(out, "format"), "ccel");
        assert_false(json_object_object_get_ex(out, "pcrs", NULL));
        assert_int_equal(json_object_array_length(get(out, "events")), 21);
        ev = json_object_array_get_idx(get(out, "events"), 1);
        assert_int_equal(json_object_get_int(get(ev, "index")), 1);
        assert_string_equal(get_str(ev, "register"), "rtmr0");
        assert_string_equal(get_str(ev, "type_name"), "EV_EFI_HANDOFF_TABLES2");
        assert_string_equal(get_str(out, "rtmr0"),
                            "8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5a"
                            "ba3bb484404f2ab9cc90abe193");
        assert_string_equal(get_str(out, "rtmr3"),
                            "0000000000000000000000000000000000000000000000000000000000000000000000"
                            "00000000000000000000000000");
        assert_string_equal(get_str(get(get(out, "rtmrs"), "sha384"), "rtmr1"),
                            get_str(out, "rtmr1"));
}

static void test_json_unknown(void **state) {
        static const uint16_t algs[] = { TEST_SHA256, 0x0099 };
        static const uint16_t sizes[] = { 32, 40 };
        _cleanup_(json_object_putp) json_object *out = NULL;
        json_object *ev, *type_name;
        TestLog l = {};
        (void) state;

        test_put_spec_id(&l, 0, algs, sizes, 2);
        test_put_event2(&l, 9, 0x7777, algs, sizes, 2, 0x55, "x", 1);
        assert_int_equal(eventlog_inspect_tcg(l.data, l.size, &out, NULL), 0);
        ev = json_object_array_get_idx(get(out, "events"), 1);
        assert_true(json_object_object_get_ex(ev, "type_name", &type_name));
        assert_null(type_name);
        assert_int_equal(strlen(get_str(get(ev, "digests"), "0x0099")), 80);
        /* The bank we cannot hash is left out of the replay, the other stays. */
        assert_false(json_object_object_get_ex(get(out, "pcrs"), "0x0099", NULL));
        assert_non_null(get_str(get(get(out, "pcrs"), "sha256"), "9"));
}

static void test_json_malformed(void **state) {
        json_object *out = NULL;
        ParseError err;
        uint8_t junk[40];
        char buf[256];
        (void) state;

        memset(junk, 0x41, sizeof(junk));
        assert_int_equal(eventlog_inspect_tcg(junk, sizeof(junk), &out, &err), -EBADMSG);
        assert_null(out);
        assert_true(err.set);
        assert_string_equal(parse_error_string(&err, buf, sizeof(buf)),
                            "offset 0x0: pcr_index: PCR index 1094795585 out of range (0-23)");
        assert_int_equal(eventlog_inspect_ccel(junk, 0, &out, &err), -EBADMSG);
        assert_null(out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_tcg),       cmocka_unit_test(test_json_legacy),
                cmocka_unit_test(test_json_ccel),      cmocka_unit_test(test_json_unknown),
                cmocka_unit_test(test_json_malformed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
