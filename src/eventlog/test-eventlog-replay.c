#include "confnode/eventlog/eventlog.h"

#include <dirent.h>
#include <errno.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/tpm/pcr-selection.h"
#include "test-eventlog-util.h"

static const uint16_t two_algs[] = { TEST_SHA1, TEST_SHA256 };
static const uint16_t two_sizes[] = { 20, 32 };

static EventLog *parse_peer(const char *rel, EventLogFlavor flavor) {
        _cleanup_free_ uint8_t *data = NULL;
        EventLog *log = NULL;
        ParseError err;
        size_t size;
        char buf[256];
        int r;

        test_read_peer(rel, &data, &size);
        r = eventlog_parse(data, size, flavor, &err, &log);
        if (r < 0)
                fail_msg("%s: %s", rel, parse_error_string(&err, buf, sizeof(buf)));
        return log;
}

static json_object *read_sidecar(const char *rel) {
        char path[4096];
        json_object *j;

        snprintf(path, sizeof(path), "%s/%s", getenv("PEER_DATA"), rel);
        j = json_object_from_file(path);
        if (!j)
                fail_msg("cannot read %s", path);
        return j;
}

static void assert_value(const char *what, unsigned reg, const uint8_t *value, size_t size,
                         const char *want) {
        _cleanup_free_ char *got = hex_encode(value, size);

        if (strcmp(got, want) != 0)
                fail_msg("%s register %u: replayed %s, expected %s", what, reg, got, want);
}

/* Checks a *.pcrs.json sidecar. Some sidecars are a TPM's PCRs and hold
 * registers the boot log never touches (PCR 10 of IMA, say); those can only
 * be compared where the log extends the register. */
static void check_pcrs_sidecar(const char *bin, const char *sidecar) {
        _cleanup_(eventlog_freep) EventLog *log = parse_peer(bin, EVENTLOG_TCG);
        _cleanup_(json_object_putp) json_object *j = read_sidecar(sidecar);
        json_object *expected;
        size_t checked = 0;

        assert_true(json_object_object_get_ex(j, "expected_pcrs", &expected));
        json_object_object_foreach(expected, bank, pcrs) {
                EventLogBankValues v;
                int alg = tpm_alg_hash_from_name(bank);

                assert_true(alg > 0);
                assert_int_equal(eventlog_replay(log, (uint16_t) alg, &v), 0);
                assert_int_equal(v.size, tpm_alg_hash_size((uint16_t) alg));
                json_object_object_foreach(pcrs, index, value) {
                        unsigned pcr = (unsigned) strtoul(index, NULL, 10);

                        assert_true(pcr < EVENTLOG_MAX_PCRS);
                        if (!(v.used & (1u << pcr)))
                                continue;
                        assert_value(bin, pcr, v.value[pcr], v.size, json_object_get_string(value));
                        checked++;
                }
        }
        assert_true(checked > 0);
}

static void check_rtmr_sidecar(const char *bin, const char *sidecar) {
        _cleanup_(eventlog_freep) EventLog *log = parse_peer(bin, EVENTLOG_CCEL);
        _cleanup_(json_object_putp) json_object *j = read_sidecar(sidecar);
        EventLogBankValues v;
        json_object *expected;

        assert_true(json_object_object_get_ex(j, "expected_rtmr", &expected));
        assert_int_equal(eventlog_replay(log, TEST_SHA384, &v), 0);
        assert_int_equal(v.size, 48);
        for (unsigned n = 0; n < 4; n++) {
                char key[8];
                json_object *want;

                snprintf(key, sizeof(key), "rtmr%u", n);
                assert_true(json_object_object_get_ex(expected, key, &want));
                assert_value(bin, n + 1, v.value[n + 1], v.size, json_object_get_string(want));
        }
}

/* The small tpm2-tools fixture, on its own so a failure is easy to read. */
static void test_replay_t2t_event(void **state) {
        (void) state;

        check_pcrs_sidecar("eventlog/t2t-event.bin", "eventlog/t2t-event.pcrs.json");
}

/* Every *.pcrs.json and *.rtmr.json sidecar next to a log. */
static void test_replay_sidecars(void **state) {
        static const char *const dirs[] = { "eventlog", "tdx" };
        size_t n_pcrs = 0, n_rtmr = 0;
        (void) state;

        if (!getenv("PEER_DATA"))
                skip();
        for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
                char path[4096];
                struct dirent *de;
                DIR *dir;

                snprintf(path, sizeof(path), "%s/%s", getenv("PEER_DATA"), dirs[d]);
                dir = opendir(path);
                assert_non_null(dir);
                while ((de = readdir(dir))) {
                        size_t len = strlen(de->d_name);
                        char bin[512], sidecar[512];

                        if (len > 10 && strcmp(de->d_name + len - 10, ".pcrs.json") == 0) {
                                snprintf(bin, sizeof(bin), "%s/%.*s.bin", dirs[d], (int) (len - 10),
                                         de->d_name);
                                snprintf(sidecar, sizeof(sidecar), "%s/%s", dirs[d], de->d_name);
                                check_pcrs_sidecar(bin, sidecar);
                                n_pcrs++;
                        } else if (len > 10 && strcmp(de->d_name + len - 10, ".rtmr.json") == 0) {
                                snprintf(bin, sizeof(bin), "%s/%.*s.bin", dirs[d], (int) (len - 10),
                                         de->d_name);
                                snprintf(sidecar, sizeof(sidecar), "%s/%s", dirs[d], de->d_name);
                                check_rtmr_sidecar(bin, sidecar);
                                n_rtmr++;
                        }
                }
                closedir(dir);
        }
        assert_true(n_pcrs >= 1);
        assert_true(n_rtmr >= 1);
}

static void extend256(uint8_t reg[32], uint8_t fill) {
        uint8_t buf[64];

        memcpy(buf, reg, 32);
        memset(buf + 32, fill, 32);
        SHA256(buf, sizeof(buf), reg);
}

/* A log whose result is computed here by hand: EV_NO_ACTION is skipped, the
 * other events chain, untouched PCRs keep their reset values. */
static void test_replay_by_hand(void **state) {
        static const uint16_t algs[] = { TEST_SHA256 };
        static const uint16_t sizes[] = { 32 };
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        uint8_t want[32] = { 0 }, zero[32] = { 0 }, ones[32];
        EventLogBankValues v;
        TestLog l = {};
        (void) state;

        test_put_spec_id(&l, 0, algs, sizes, 1);
        test_put_event2(&l, 7, 0x80000001, algs, sizes, 1, 0x55, "a", 1);
        test_put_event2(&l, 7, 3, algs, sizes, 1, 0x99, "b", 1);
        test_put_event2(&l, 7, 4, algs, sizes, 1, 0x66, "c", 1);
        /* A dynamic-launch PCR the log extends starts from zero. */
        test_put_event2(&l, 18, 0x80000001, algs, sizes, 1, 0x55, "d", 1);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(eventlog_replay(log, TEST_SHA256, &v), 0);

        extend256(want, 0x55);
        assert_memory_equal(v.value[18], want, 32);
        extend256(want, 0x66);
        memset(ones, 0xff, sizeof(ones));
        assert_int_equal(v.alg, TEST_SHA256);
        assert_int_equal(v.size, 32);
        assert_int_equal(v.used, (1u << 7) | (1u << 18));
        assert_memory_equal(v.value[7], want, 32);
        assert_memory_equal(v.value[0], zero, 32);
        assert_memory_equal(v.value[16], zero, 32);
        assert_memory_equal(v.value[17], ones, 32);
        assert_memory_equal(v.value[22], ones, 32);
        assert_memory_equal(v.value[23], zero, 32);

        /* In a CCEL the same bytes name CC MRs, which have no reset rule. */
        eventlog_freep(&log);
        l = (TestLog){};
        test_put_spec_id(&l, 0, algs, sizes, 1);
        test_put_event2(&l, 4, 0x80000001, algs, sizes, 1, 0x55, "a", 1);
        test_put_event2(&l, 4, 4, algs, sizes, 1, 0x66, "c", 1);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_CCEL, NULL, &log), 0);
        assert_int_equal(eventlog_replay(log, TEST_SHA256, &v), 0);
        assert_int_equal(v.used, 1u << 4);
        assert_memory_equal(v.value[4], want, 32);
        assert_memory_equal(v.value[0], zero, 32);
}

static void test_replay_locality(void **state) {
        static const char loc[17] = "StartupLocality\0\3";
        static const uint16_t algs[] = { TEST_SHA256 };
        static const uint16_t sizes[] = { 32 };
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        uint8_t want[32] = { 0 };
        EventLogBankValues v;
        TestLog l = {};
        (void) state;

        test_put_spec_id(&l, 0, algs, sizes, 1);
        test_put_event2(&l, 0, 3, algs, sizes, 1, 0, loc, sizeof(loc));
        test_put_event2(&l, 0, 8, algs, sizes, 1, 0x12, "v", 1);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(eventlog_replay(log, TEST_SHA256, &v), 0);
        want[31] = 3;
        extend256(want, 0x12);
        assert_memory_equal(v.value[0], want, 32);
}

static void test_replay_hcrtm(void **state) {
        static const char loc[17] = "StartupLocality\0\0";
        static const uint16_t algs[] = { TEST_SHA256 };
        static const uint16_t sizes[] = { 32 };
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        uint8_t want[32] = { 0 };
        EventLogBankValues v;
        TestLog l = {};
        (void) state;

        test_put_spec_id(&l, 0, algs, sizes, 1);
        test_put_event2(&l, 0, 3, algs, sizes, 1, 0, loc, sizeof(loc));
        test_put_event2(&l, 0, 0x80000010, algs, sizes, 1, 0x31, "HCRTM", 5);
        test_put_event2(&l, 0, 8, algs, sizes, 1, 0x32, "v", 1);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(eventlog_replay(log, TEST_SHA256, &v), 0);
        want[31] = 4;
        extend256(want, 0x31);
        extend256(want, 0x32);
        assert_memory_equal(v.value[0], want, 32);
}

static void test_replay_errors(void **state) {
        static const uint16_t algs[] = { TEST_SHA256, 0x0099 };
        static const uint16_t sizes[] = { 32, 40 };
        static const uint16_t sha256[] = { TEST_SHA256 };
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        EventLogBankValues v;
        TestLog l = {};
        (void) state;

        /* A bank we cannot hash, and one the log does not have. */
        test_put_spec_id(&l, 0, algs, sizes, 2);
        test_put_event2(&l, 7, 4, algs, sizes, 2, 0x55, "sep!", 4);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(eventlog_replay(log, TEST_SHA256, &v), 0);
        assert_int_equal(eventlog_replay(log, 0x0099, &v), -EOPNOTSUPP);
        assert_int_equal(eventlog_replay(log, TEST_SHA1, &v), -ENOENT);
        eventlog_freep(&log);

        /* An extended event without the bank's digest. */
        l = (TestLog){};
        test_put_spec_id(&l, 0, two_algs, two_sizes, 2);
        test_put_event2(&l, 7, 4, sha256, two_sizes + 1, 1, 0x55, "sep!", 4);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(eventlog_replay(log, TEST_SHA256, &v), 0);
        assert_int_equal(eventlog_replay(log, TEST_SHA1, &v), -ENODATA);
        eventlog_freep(&log);

        /* An SHA-3 bank announced with the wrong size. */
        l = (TestLog){};
        test_put_spec_id(&l, 0, (const uint16_t[]){ 0x0027 }, (const uint16_t[]){ 20 }, 1);
        test_put_event2(&l, 7, 4, (const uint16_t[]){ 0x0027 }, (const uint16_t[]){ 20 }, 1, 0x55,
                        "s", 1);
        assert_int_equal(eventlog_parse(l.data, l.size, EVENTLOG_TCG, NULL, &log), 0);
        assert_int_equal(eventlog_replay(log, 0x0027, &v), -EBADMSG);
}

/* Hygon CSV logs SM3; the replay must use it rather than fail. */
static void test_replay_sm3(void **state) {
        _cleanup_(eventlog_freep) EventLog *log =
                parse_peer("eventlog/trustee-ccel-data-csv.bin", EVENTLOG_CCEL);
        EventLogBankValues v;
        (void) state;

        assert_int_equal(eventlog_replay(log, 0x0012, &v), 0);
        assert_int_equal(v.size, 32);
        assert_int_equal(v.used, (1u << 1) | (1u << 2) | (1u << 3));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_replay_t2t_event), cmocka_unit_test(test_replay_sidecars),
                cmocka_unit_test(test_replay_by_hand),   cmocka_unit_test(test_replay_locality),
                cmocka_unit_test(test_replay_hcrtm),     cmocka_unit_test(test_replay_errors),
                cmocka_unit_test(test_replay_sm3),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
