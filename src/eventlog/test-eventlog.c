#include "confnode/eventlog/eventlog.h"

#include <errno.h>

#include "test-eventlog-util.h"

static const uint16_t two_algs[] = { TEST_SHA1, TEST_SHA256 };
static const uint16_t two_sizes[] = { 20, 32 };

static void assert_parse_error(const uint8_t *data, size_t size, EventLogFlavor flavor,
                               size_t offset, const char *field) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_free_ uint8_t *copy = test_exact_copy(data, size);
        ParseError err;
        char buf[256], want[64];

        assert_int_equal(eventlog_parse(copy, size, flavor, &err, &log), -EBADMSG);
        assert_null(log);
        assert_true(err.set);
        parse_error_string(&err, buf, sizeof(buf));
        if (offset != SIZE_MAX) {
                assert_int_equal(err.offset, offset);
                snprintf(want, sizeof(want), "offset 0x%zx", offset);
                assert_non_null(strstr(buf, want));
        }
        if (field) {
                assert_non_null(err.field);
                assert_string_equal(err.field, field);
                assert_non_null(strstr(buf, field));
        }
}

static void test_empty(void **state) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        ParseError err;
        uint8_t b = 0;
        (void) state;

        assert_int_equal(eventlog_parse(NULL, 0, EVENTLOG_TCG, &err, &log), -EBADMSG);
        assert_null(log);
        assert_true(err.set);
        assert_int_equal(eventlog_parse(&b, 0, EVENTLOG_CCEL, &err, &log), -EBADMSG);
        assert_null(log);
        assert_int_equal(eventlog_parse(&b, 1, EVENTLOG_TCG, NULL, &log), -EBADMSG);
        assert_null(log);
        assert_int_equal(eventlog_parse(&b, 1, 7, &err, &log), -EINVAL);
}

static void test_only_padding(void **state) {
        uint8_t zero[300] = { 0 }, ff[300];
        (void) state;

        memset(ff, 0xff, sizeof(ff));
        assert_parse_error(zero, sizeof(zero), EVENTLOG_TCG, 0, NULL);
        assert_parse_error(ff, sizeof(ff), EVENTLOG_CCEL, 0, NULL);
}

static const struct {
        const char *path;
        bool agile;
        size_t n_events;
        size_t n_banks;
} tcg_peers[] = {
        { "eventlog/t2t-event.bin", true, 2, 4 },
        { "eventlog/t2t-specid-vendordata.bin", true, 1, 2 },
        { "eventlog/t2t-uefi-sha1-log.bin", false, 17, 1 },
        { "eventlog/gtt-debian10.bin", false, 25, 1 },
        { "eventlog/ga-win-gcp.bin", false, 21, 1 },
        { "eventlog/ga-crypto-agile.bin", true, 27, 1 },
        { "eventlog/gtt-glinux-alex.bin", true, 29, 2 },
        { "eventlog/gtt-ubuntu2404-snp.bin", true, 117, 3 },
        { "tpm-quote/gtt-cos85-n9009-eventlog.bin", true, 45, 3 },
};

static void test_peer_tcg(void **state) {
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(tcg_peers); i++) {
                _cleanup_(eventlog_freep) EventLog *log = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                ParseError err;
                size_t size;

                test_read_peer(tcg_peers[i].path, &data, &size);
                assert_int_equal(eventlog_parse(data, size, EVENTLOG_TCG, &err, &log), 0);
                assert_int_equal(log->crypto_agile, tcg_peers[i].agile);
                assert_int_equal(log->n_events, tcg_peers[i].n_events);
                assert_int_equal(log->n_banks, tcg_peers[i].n_banks);
                assert_int_equal(log->size, size);
                assert_int_equal(log->events[0].offset, 0);
        }
}

static void test_vendor_info(void **state) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        (void) state;

        test_read_peer("eventlog/t2t-specid-vendordata.bin", &data, &size);
        assert_int_equal(eventlog_parse(data, size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(log->spec_id.spec_version_major, 2);
        assert_int_equal(log->spec_id.uintn_size, 2);
        /* Its eventDataSize (37) stops before the vendor info. */
        assert_int_equal(log->events[0].data_size, 41);
        assert_memory_equal(log->events[0].data + 37, "\xde\xad\xbe\xef", 4);
}

static void test_peer_ccel(void **state) {
        static const struct {
                const char *path;
                size_t n_events;
                uint16_t alg;
        } ccel[] = {
                { "eventlog/trustee-ccel-data-ovmf.bin", 21, TEST_SHA384 },
                { "eventlog/gtg-ccel.bin", 44, TEST_SHA384 },
                { "eventlog/trustee-ccel-data-csv.bin", 83, 0x0012 },
                { "eventlog/trustee-ccel-aael-alibabacloud.bin", 88, TEST_SHA384 },
                { "tdx/trustee-quote-v4-ccel.bin", 6, TEST_SHA384 },
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(ccel); i++) {
                _cleanup_(eventlog_freep) EventLog *log = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                size_t size;

                test_read_peer(ccel[i].path, &data, &size);
                assert_int_equal(eventlog_parse(data, size, EVENTLOG_CCEL, NULL, &log), 0);
                assert_true(log->crypto_agile);
                assert_int_equal(log->n_events, ccel[i].n_events);
                assert_int_equal(log->n_banks, 1);
                assert_int_equal(log->banks[0], ccel[i].alg);
                /* The padding behind the events is not part of the log. */
                assert_true(log->size < size);
        }
}

/* Every prefix of a log must either parse (it ends between events) or fail
 * cleanly with -EBADMSG and an error; never read past the end. */
static void check_prefixes(const char *path, EventLogFlavor flavor, size_t limit, bool some_parse) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size, ok = 0;

        test_read_peer(path, &data, &size);
        if (limit > 0 && limit < size)
                size = limit;
        for (size_t n = 0; n < size; n++) {
                _cleanup_(eventlog_freep) EventLog *log = NULL;
                _cleanup_free_ uint8_t *copy = test_exact_copy(data, n);
                ParseError err;
                int r = eventlog_parse(copy, n, flavor, &err, &log);

                if (r == 0) {
                        assert_non_null(log);
                        assert_true(log->size <= n);
                        ok++;
                } else {
                        assert_int_equal(r, -EBADMSG);
                        assert_null(log);
                        assert_true(err.set);
                }
        }
        /* A prefix ending exactly after an event parses; most do not. */
        assert_true(!some_parse || ok > 0);
        assert_true(ok < size);
}

static void test_prefixes(void **state) {
        (void) state;

        check_prefixes("eventlog/t2t-event.bin", EVENTLOG_TCG, 0, true);
        /* One event only, so no proper prefix is a log. */
        check_prefixes("eventlog/t2t-specid-vendordata.bin", EVENTLOG_TCG, 0, false);
        check_prefixes("eventlog/t2t-uefiservices.bin", EVENTLOG_TCG, 0, true);
        check_prefixes("eventlog/t2t-uefi-sha1-log.bin", EVENTLOG_TCG, 0, true);
        check_prefixes("eventlog/gtt-glinux-alex.bin", EVENTLOG_TCG, 0, true);
        check_prefixes("eventlog/trustee-ccel-data-ovmf.bin", EVENTLOG_CCEL, 4096, true);
}

/* The log minus its last byte: the final event's data is cut. */
static void test_one_byte_short(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        (void) state;

        test_read_peer("eventlog/t2t-event.bin", &data, &size);
        assert_parse_error(data, size - 1, EVENTLOG_TCG, size - 1 - 15, "event");
}

static void test_oversized_digest_count(void **state) {
        TestLog l = {};
        size_t at;
        (void) state;

        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        at = l.size;
        test_put_u32(&l, 0);
        test_put_u32(&l, 0x80000001);
        test_put_u32(&l, 3);
        test_put_fill(&l, 0x11, 200);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, at + 8, "digests.count");

        l.size = at + 8;
        test_put_u32(&l, UINT32_MAX);
        test_put_fill(&l, 0x11, 64);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, at + 8, "digests.count");
}

static void test_oversized_event_size(void **state) {
        TestLog l = {};
        size_t at;
        (void) state;

        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        at = l.size;
        test_put_event2(&l, 4, 4, two_algs, two_sizes, 2, 0x22, "\0\0\0\0", 4);
        /* Patch the event size to far more than is left. */
        l.data[l.size - 8] = 0xff;
        l.data[l.size - 7] = 0xff;
        l.data[l.size - 6] = 0xff;
        l.data[l.size - 5] = 0x7f;
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, at + 12 + 2 + 20 + 2 + 32 + 4, "event");

        /* The same in the header event and in a legacy event. */
        l = (TestLog){};
        test_put_event1(&l, 0, 8, 0x33, NULL, 0);
        l.data[28] = 0xff;
        l.data[29] = 0xff;
        l.data[30] = 0xff;
        l.data[31] = 0xff;
        test_put_fill(&l, 0x44, 100);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 32, "event");
}

static void test_pcr_index_range(void **state) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        TestLog l = {};
        size_t at;
        (void) state;

        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        test_put_event2(&l, 23, 4, two_algs, two_sizes, 2, 0x22, "abcd", 4);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(log->n_events, 2);
        assert_int_equal(log->events[1].index, 23);
        eventlog_freep(&log);

        /* 23 is no CC MR. */
        assert_parse_error(l.data, l.size, EVENTLOG_CCEL, 69, "pcr_index");

        at = l.size;
        test_put_event2(&l, 24, 4, two_algs, two_sizes, 2, 0x22, "abcd", 4);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, at, "pcr_index");

        l = (TestLog){};
        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        test_put_event2(&l, 4, 4, two_algs, two_sizes, 2, 0x22, "abcd", 4);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_CCEL, NULL, &log), 0);
        eventlog_freep(&log);
        at = l.size;
        test_put_event2(&l, 5, 4, two_algs, two_sizes, 2, 0x22, "abcd", 4);
        assert_parse_error(l.data, l.size, EVENTLOG_CCEL, at, "pcr_index");
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);

        /* A legacy header event with an index no PCR has. */
        l = (TestLog){};
        test_put_event1(&l, 0x80000000, 8, 0x33, "x", 1);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 0, "pcr_index");
}

static void test_unknown_alg(void **state) {
        static const uint16_t algs[] = { TEST_SHA256, 0x0099 };
        static const uint16_t sizes[] = { 32, 40 };
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        TestLog l = {};
        size_t at;
        (void) state;

        /* An algorithm we do not know, announced with its size, is walked. */
        test_put_spec_id(&l, 0, algs, sizes, 2);
        test_put_event2(&l, 7, 4, algs, sizes, 2, 0x55, "sep!", 4);
        test_put_event2(&l, 8, 0xd, algs, sizes, 2, 0x66, "ipl", 3);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(log->n_events, 3);
        assert_int_equal(log->events[2].digests[1].alg, 0x0099);
        assert_int_equal(log->events[2].digests[1].size, 40);
        assert_int_equal(log->events[2].data_size, 3);

        /* One the Spec ID event did not announce cannot be walked. */
        l = (TestLog){};
        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        at = l.size;
        test_put_event2(&l, 7, 4, algs, sizes, 2, 0x55, "sep!", 4);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, at + 12 + 2 + 32, "digests.hash_alg");
}

static void test_duplicate_digest(void **state) {
        static const uint16_t algs[] = { TEST_SHA256, TEST_SHA256 };
        static const uint16_t sizes[] = { 32, 32 };
        TestLog l = {};
        size_t at;
        (void) state;

        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        at = l.size;
        test_put_event2(&l, 7, 4, algs, sizes, 2, 0x55, "sep!", 4);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, at + 12 + 2 + 32, "digests.hash_alg");
}

static void test_spec_id_errors(void **state) {
        static const uint16_t nine[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        static const uint16_t nine_sizes[9] = { 20, 20, 20, 20, 20, 20, 20, 20, 20 };
        static const uint16_t dup[] = { TEST_SHA256, TEST_SHA256 };
        static const uint16_t sha256[] = { TEST_SHA256 };
        static const uint16_t wrong[] = { 20 };
        static const uint16_t zero[] = { 0 };
        static const uint16_t big[] = { 65 };
        static const uint16_t unknown[] = { 0x0099 };
        TestLog l = {};
        (void) state;

        /* numberOfAlgorithms is at 32 + 24. */
        test_put_spec_id(&l, 0, nine, nine_sizes, 9);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 56, "spec_id.number_of_algorithms");
        l = (TestLog){};
        test_put_spec_id(&l, 0, NULL, NULL, 0);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 56, "spec_id.number_of_algorithms");
        l = (TestLog){};
        test_put_spec_id(&l, 0, dup, (const uint16_t[]){ 32, 32 }, 2);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 64, "spec_id.digest_sizes");
        l = (TestLog){};
        test_put_spec_id(&l, 0, sha256, wrong, 1);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 60, "spec_id.digest_sizes");
        l = (TestLog){};
        test_put_spec_id(&l, 0, unknown, zero, 1);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 60, "spec_id.digest_sizes");
        l = (TestLog){};
        test_put_spec_id(&l, 0, unknown, big, 1);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 60, "spec_id.digest_sizes");

        /* A vendor info size running past the event data: the event data
         * (33 bytes at 32) holds 2 of the 9 bytes. */
        l = (TestLog){};
        test_put_spec_id(&l, 0, sha256, (const uint16_t[]){ 32 }, 1);
        l.data[l.size - 1] = 9;
        l.data[28] += 2;
        test_put_fill(&l, 0x77, 40);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, 65, "spec_id.vendor_info");
}

/* eventDataSize ending right before the vendor info, which follows the event
 * (tpm2-tools' specid-vendordata fixture has this shape). */
static void test_vendor_info_after_event(void **state) {
        static const uint16_t sha256[] = { TEST_SHA256 };
        static const uint16_t sizes[] = { 32 };
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        TestLog l = {};
        size_t end;
        (void) state;

        test_put_spec_id(&l, 0, sha256, sizes, 1);
        l.data[l.size - 1] = 3;
        test_put(&l, "abc", 3);
        end = l.size;
        test_put_event2(&l, 4, 4, sha256, sizes, 1, 0x22, "sep", 3);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(log->n_events, 2);
        assert_int_equal(log->events[0].data_size, 33 + 3);
        assert_memory_equal(log->events[0].data + 33, "abc", 3);
        assert_int_equal(log->events[1].offset, end);

        /* The vendor info must then be there. */
        assert_parse_error(l.data, end - 1, EVENTLOG_TCG, 65, "spec_id.vendor_info");
}

static void test_error_message(void **state) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        TestLog l = {};
        ParseError err;
        char buf[256];
        (void) state;

        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        test_put_event2(&l, 99, 4, two_algs, two_sizes, 2, 0x22, "abcd", 4);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, &err, &log), -EBADMSG);
        parse_error_string(&err, buf, sizeof(buf));
        assert_string_equal(buf, "offset 0x45: pcr_index: PCR index 99 out of range (0-23)");

        l.size -= 2;
        l.data[69] = 1;
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, &err, &log), -EBADMSG);
        parse_error_string(&err, buf, sizeof(buf));
        assert_string_equal(buf, "offset 0x8d: event: truncated (needs 4 bytes, 2 left)");
}

static void test_ccel_needs_spec_id(void **state) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        TestLog l = {};
        (void) state;

        test_put_event1(&l, 0, 8, 0x33, "ver", 3);
        test_put_event1(&l, 4, 4, 0x34, "sep", 3);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_false(log->crypto_agile);
        assert_int_equal(log->n_events, 2);
        assert_int_equal(log->banks[0], TEST_SHA1);
        assert_parse_error(l.data, l.size, EVENTLOG_CCEL, 28, "event");
}

static void test_padding(void **state) {
        TestLog l = {};
        size_t end;
        (void) state;

        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        test_put_event2(&l, 1, 4, two_algs, two_sizes, 2, 0x22, "\0\0", 2);
        end = l.size;

        for (int i = 0; i < 4; i++) {
                _cleanup_(eventlog_freep) EventLog *log = NULL;

                l.size = end;
                if (i & 1)
                        test_put_fill(&l, 0xff, 1000);
                if (i & 2)
                        test_put_fill(&l, 0x00, 1000);
                assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
                assert_int_equal(log->n_events, 2);
                assert_int_equal(log->size, end);
                assert_int_equal(log->events[1].data_size, 2);
        }

        /* Anything else behind the events is read as an event, and fails. */
        l.size = end;
        test_put_fill(&l, 0x00, 100);
        test_put_u8(&l, 0x01);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, end + 8, "digests.count");

        /* So does an event with no digests. */
        l.size = end;
        test_put_event2(&l, 1, 4, two_algs, two_sizes, 0, 0x22, "\1", 1);
        assert_parse_error(l.data, l.size, EVENTLOG_TCG, end + 8, "digests.count");
}

static void test_startup_locality(void **state) {
        static const char loc[17] = "StartupLocality\0\3";
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        TestLog l = {};
        (void) state;

        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        test_put_event2(&l, 0, 3, two_algs, two_sizes, 2, 0, loc, sizeof(loc));
        test_put_event2(&l, 0, 8, two_algs, two_sizes, 2, 0x12, "v", 1);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_true(log->has_locality);
        assert_int_equal(log->startup_locality, 3);
}

static void test_type_names(void **state) {
        (void) state;

        assert_string_equal(eventlog_type_name(0), "EV_PREBOOT_CERT");
        assert_string_equal(eventlog_type_name(3), "EV_NO_ACTION");
        assert_string_equal(eventlog_type_name(0xd), "EV_IPL");
        assert_string_equal(eventlog_type_name(0x12), "EV_OMIT_BOOT_DEVICE_EVENTS");
        assert_string_equal(eventlog_type_name(0x80000001), "EV_EFI_VARIABLE_DRIVER_CONFIG");
        assert_string_equal(eventlog_type_name(0x8000000b), "EV_EFI_HANDOFF_TABLES2");
        assert_string_equal(eventlog_type_name(0x80000010), "EV_EFI_HCRTM_EVENT");
        assert_string_equal(eventlog_type_name(0x800000e0), "EV_EFI_VARIABLE_AUTHORITY");
        assert_string_equal(eventlog_type_name(0x800000e4), "EV_EFI_SPDM_DEVICE_AUTHORITY");
        assert_null(eventlog_type_name(0x14));
        assert_null(eventlog_type_name(0x8000000e));
        assert_null(eventlog_type_name(0x800000e5));
        assert_null(eventlog_type_name(UINT32_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_only_padding),
                cmocka_unit_test(test_peer_tcg),
                cmocka_unit_test(test_vendor_info),
                cmocka_unit_test(test_vendor_info_after_event),
                cmocka_unit_test(test_peer_ccel),
                cmocka_unit_test(test_prefixes),
                cmocka_unit_test(test_one_byte_short),
                cmocka_unit_test(test_oversized_digest_count),
                cmocka_unit_test(test_oversized_event_size),
                cmocka_unit_test(test_pcr_index_range),
                cmocka_unit_test(test_unknown_alg),
                cmocka_unit_test(test_duplicate_digest),
                cmocka_unit_test(test_spec_id_errors),
                cmocka_unit_test(test_error_message),
                cmocka_unit_test(test_ccel_needs_spec_id),
                cmocka_unit_test(test_padding),
                cmocka_unit_test(test_startup_locality),
                cmocka_unit_test(test_type_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
