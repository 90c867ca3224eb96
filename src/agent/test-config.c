/* The configuration loader: drop-in order, defaults, and that every problem
 * names file, line and key. */

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

#include "config.h"

static char dir[] = "/tmp/confnode-test-config.XXXXXX";

static void write_file(const char *name, const char *text) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static const char *main_path(void) {
        static char path[512];

        snprintf(path, sizeof(path), "%s/confnode.conf", dir);
        return path;
}

static int setup(void **state) {
        char d[600];
        (void) state;

        if (!mkdtemp(dir))
                return -1;
        snprintf(d, sizeof(d), "%s/confnode.conf.d", dir);
        return mkdir(d, 0755);
}

static int teardown(void **state) {
        char cmd[600];
        (void) state;

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static bool has_problem(const ConfigLoad *l, const char *text) {
        for (size_t i = 0; i < l->n_problems; i++) {
                char buf[1024];

                if (strstr(config_problem_format(&l->problems[i], buf, sizeof(buf)), text))
                        return true;
        }
        return false;
}

static void test_defaults_missing_file(void **state) {
        ConfigLoad l;
        char path[600];
        (void) state;

        snprintf(path, sizeof(path), "%s/absent.conf", dir);
        /* The default path may be absent (built-in defaults apply)... */
        assert_int_equal(config_load(path, false, &l), 0);
        assert_int_equal(l.n_problems, 0);
        assert_string_equal(l.config.tcti, "device:/dev/tpmrm0");
        assert_string_equal(l.config.eventlog_path, "/sys/kernel/security/tpm0/binary_bios_measurements");
        assert_int_equal(l.config.pcrs.n_banks, 1);
        assert_int_equal(l.config.pcrs.banks[0].alg, 0x000b);
        assert_int_equal(l.config.ak_handle, 0);
        assert_null(l.config.verifier_ca);
        assert_false(l.config.use_system_trust);
        assert_int_equal(l.config.connect_timeout_ms, 10000);
        assert_int_equal(l.config.request_timeout_ms, 30000);
        assert_int_equal(l.config.retry_initial_ms, 1000);
        assert_int_equal(l.config.retry_max_ms, 60000);
        assert_int_equal(l.config.retry_deadline_ms, 0);
        assert_int_equal(l.config.rejection_retry_ms, 60000);
        assert_string_equal(l.config.resource_disk, "confnode/disk-key/{uuid}");
        assert_string_equal(l.config.resource_join, "confnode/kubelet/join");
        assert_null(l.config.disk_device);
        config_validate(&l);
        assert_true(has_problem(&l, "verifier.url: required option is not set"));
        config_load_done(&l);

        /* ...but a path given with --config must exist. */
        assert_int_equal(config_load(path, true, &l), 0);
        assert_true(has_problem(&l, "absent.conf: cannot read"));
        config_load_done(&l);
}

static void test_dropins_later_wins(void **state) {
        ConfigLoad l;
        (void) state;

        write_file("confnode.conf", "[tpm]\ntcti = swtpm:port=1\nak_algorithm = ecc-p256\n"
                                    "[verifier]\nurl = https://a.example:8443 https://b.example\n"
                                    "ca = /etc/confnode/verifier-ca.pem\n");
        write_file("confnode.conf.d/20-b.conf", "[tpm]\ntcti = swtpm:port=3\n");
        write_file("confnode.conf.d/10-a.conf", "# comment\n[tpm]\ntcti = swtpm:port=2\nak_handle = 0x81010002\n");
        write_file("confnode.conf.d/ignored.txt", "[tpm]\ntcti = nope\n");
        assert_int_equal(config_load(main_path(), true, &l), 0);
        assert_int_equal(l.n_problems, 0);
        assert_int_equal(l.n_files, 3);
        assert_string_equal(l.config.tcti, "swtpm:port=3");
        assert_int_equal(l.config.ak_handle, 0x81010002);
        assert_int_equal(l.config.ak_algorithm, AK_ALG_ECC_P256);
        assert_string_equal(l.config.verifier_urls[0], "https://a.example:8443");
        assert_string_equal(l.config.verifier_urls[1], "https://b.example");
        assert_null(l.config.verifier_urls[2]);
        config_validate(&l);
        assert_int_equal(l.n_problems, 0);
        config_load_done(&l);
}

static void test_problems_name_file_line_key(void **state) {
        ConfigLoad l;
        char d[600];
        (void) state;

        snprintf(d, sizeof(d), "rm -f %s/confnode.conf.d/*", dir);
        assert_int_equal(system(d), 0);
        write_file("confnode.conf", "[agent]\n"
                                    "log_level = chatty\n"
                                    "colour = blue\n"
                                    "eventlog = relative/path\n"
                                    "[tpm]\n"
                                    "pcrs = sha256:0-7,24\n"
                                    "ak_handle = 0x80000001\n"
                                    "[disks]\n"
                                    "foo = bar\n"
                                    "[verifier]\n"
                                    "url = http://plain.example\n"
                                    "this line is not ini\n");
        assert_int_equal(config_load(main_path(), true, &l), 0);
        assert_true(has_problem(&l, "confnode.conf:2: agent.log_level: 'chatty' is not a log level"));
        assert_true(has_problem(&l, "confnode.conf:3: agent.colour: unknown key"));
        assert_true(has_problem(&l, "confnode.conf:4: agent.eventlog: 'relative/path' is not an absolute path"));
        assert_true(has_problem(&l, "confnode.conf:6: tpm.pcrs: PCR index out of range"));
        assert_true(has_problem(&l, "confnode.conf:7: tpm.ak_handle: '0x80000001' is not a persistent handle"));
        assert_true(has_problem(&l, "confnode.conf:9: disks.foo: unknown section [disks]"));
        assert_true(has_problem(&l, "confnode.conf:11: verifier.url: 'http://plain.example' is not an https:// URL"));
        assert_true(has_problem(&l, "confnode.conf:12: syntax error"));
        /* A bad value leaves the default in force rather than half a value. */
        assert_string_equal(l.config.eventlog_path, "/sys/kernel/security/tpm0/binary_bios_measurements");
        config_load_done(&l);
}

static void test_long_line_and_override(void **state) {
        ConfigLoad l;
        char text[600];
        (void) state;

        memset(text, 'x', sizeof(text));
        memcpy(text, "[tpm]\ntcti = ", 13);
        strcpy(text + 500, "\n[agent]\ntee = none\n");
        write_file("confnode.conf", text);
        assert_int_equal(config_load(main_path(), true, &l), 0);
        assert_true(has_problem(&l, "confnode.conf:2: line longer than"));
        assert_string_equal(l.config.tee, "none");
        assert_string_equal(l.config.tcti, "device:/dev/tpmrm0");
        assert_int_equal(config_set(&l, "tpm.tcti", "swtpm:port=9"), 0);
        assert_string_equal(l.config.tcti, "swtpm:port=9");
        assert_int_equal(config_set(&l, "tpm.nope", "1"), 0);
        assert_true(has_problem(&l, "command line: tpm.nope: unknown key"));
        config_load_done(&l);
}

static void test_durations(void **state) {
        static const struct {
                const char *text;
                uint64_t ms;
                const char *formatted;
        } good[] = {
                { "0", 0, "0" },           { "1", 1000, "1s" },         { "500ms", 500, "500ms" },
                { "1.5s", 1500, "1.5s" },  { "0.25", 250, "250ms" },    { "2min", 120000, "120s" },
                { "10min", 600000, "10min" }, { "1h", 3600000, "1h" },  { "1.001s", 1001, "1.001s" },
                { "720h", 2592000000ull, "720h" },
        };
        static const char *const bad[] = { "", "s", "-1", "+1", "1e3", "0x10", "1.", ".5", "1..2",
                                           "1.2.3", "5 s", "5sec", "5S", "721h", "nan", "inf" };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                uint64_t ms = 42;
                char buf[32];

                assert_int_equal(config_parse_duration(good[i].text, &ms), 0);
                assert_int_equal(ms, good[i].ms);
                config_format_duration(ms, buf, sizeof(buf));
                assert_string_equal(buf, good[i].formatted);
                /* What we print reads back as the same value. */
                assert_int_equal(config_parse_duration(buf, &ms), 0);
                assert_int_equal(ms, good[i].ms);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint64_t ms = 42;

                if (config_parse_duration(bad[i], &ms) != -EINVAL)
                        fail_msg("'%s' parsed as a duration", bad[i]);
                assert_int_equal(ms, 42);
        }
}

static void test_resource_templates(void **state) {
        char *p = NULL;
        (void) state;

        assert_int_equal(config_resource_path("confnode/disk-key/{uuid}", "0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10", &p), 0);
        assert_string_equal(p, "confnode/disk-key/0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10");
        free(p);
        assert_int_equal(config_resource_path("confnode/kubelet/join", NULL, &p), 0);
        assert_string_equal(p, "confnode/kubelet/join");
        free(p);
        assert_int_equal(config_resource_path("confnode/disk-{uuid}/key", "u1", &p), 0);
        assert_string_equal(p, "confnode/disk-u1/key");
        free(p);
        assert_int_equal(config_resource_path("confnode/disk-key/{uuid}", NULL, &p), -EINVAL);
        assert_int_equal(config_resource_path("confnode/disk-key/{uuid}", "../x", &p), -EINVAL);
        assert_int_equal(config_resource_path("confnode/disk-key", NULL, &p), -EINVAL);
}

static void test_verifier_options(void **state) {
        ConfigLoad l;
        char d[600];
        (void) state;

        snprintf(d, sizeof(d), "rm -f %s/confnode.conf.d/*", dir);
        assert_int_equal(system(d), 0);
        write_file("confnode.conf", "[verifier]\n"
                                    "url = https://v.example\n"
                                    "ca = /etc/confnode/ca.pem\n"
                                    "use_system_trust = yes\n"
                                    "connect_timeout = 500ms\n"
                                    "request_timeout = 2.5s\n"
                                    "retry_initial = 200ms\n"
                                    "retry_max = 5min\n"
                                    "retry_deadline = 1h\n"
                                    "rejection_retry = 2\n"
                                    "resource_disk = node/luks/{uuid}\n"
                                    "resource_join = node/kubelet/bootstrap\n"
                                    "[disk]\n"
                                    "device = /dev/vdb\n");
        assert_int_equal(config_load(main_path(), true, &l), 0);
        config_validate(&l);
        assert_int_equal(l.n_problems, 0);
        assert_string_equal(l.config.verifier_ca, "/etc/confnode/ca.pem");
        assert_true(l.config.use_system_trust);
        assert_int_equal(l.config.connect_timeout_ms, 500);
        assert_int_equal(l.config.request_timeout_ms, 2500);
        assert_int_equal(l.config.retry_initial_ms, 200);
        assert_int_equal(l.config.retry_max_ms, 300000);
        assert_int_equal(l.config.retry_deadline_ms, 3600000);
        assert_int_equal(l.config.rejection_retry_ms, 2000);
        assert_string_equal(l.config.resource_disk, "node/luks/{uuid}");
        assert_string_equal(l.config.resource_join, "node/kubelet/bootstrap");
        assert_string_equal(l.config.disk_device, "/dev/vdb");
        config_load_done(&l);

        write_file("confnode.conf", "[verifier]\n"
                                    "url = https://v.example\n"
                                    "use_system_trust = maybe\n"
                                    "connect_timeout = 0\n"
                                    "request_timeout = soon\n"
                                    "retry_initial = 2min\n"
                                    "retry_max = 1min\n"
                                    "retry_deadline = -5\n"
                                    "resource_disk = disk-key/{uuid}\n"
                                    "resource_join = a/b/c/d\n"
                                    "ca = relative.pem\n"
                                    "[disk]\n"
                                    "device = vdb\n");
        assert_int_equal(config_load(main_path(), true, &l), 0);
        config_validate(&l);
        assert_true(has_problem(&l, "confnode.conf:3: verifier.use_system_trust: 'maybe' is not a boolean"));
        assert_true(has_problem(&l, "confnode.conf:4: verifier.connect_timeout: must be more than 0"));
        assert_true(has_problem(&l, "confnode.conf:5: verifier.request_timeout: 'soon' is not a duration"));
        assert_true(has_problem(&l, "confnode.conf:6: verifier.retry_initial: 120s is more than verifier.retry_max (60s)"));
        assert_true(has_problem(&l, "confnode.conf:8: verifier.retry_deadline: '-5' is not a duration"));
        assert_true(has_problem(&l, "confnode.conf:9: verifier.resource_disk: 'disk-key/{uuid}' is not a KBS resource path"));
        assert_true(has_problem(&l, "confnode.conf:10: verifier.resource_join: 'a/b/c/d' is not a KBS resource path"));
        assert_true(has_problem(&l, "confnode.conf:11: verifier.ca: 'relative.pem' is not an absolute path"));
        assert_true(has_problem(&l, "confnode.conf:13: disk.device: 'vdb' is not an absolute path"));
        /* The CA is required with a URL; the bad value above left it unset. */
        assert_true(has_problem(&l, "verifier.ca: required when verifier.url is set"));
        config_load_done(&l);

        /* Without a URL nothing asks for a CA (collect runs unconfigured). */
        write_file("confnode.conf", "[tpm]\ntcti = swtpm:port=1\n");
        assert_int_equal(config_load(main_path(), true, &l), 0);
        config_validate(&l);
        assert_false(has_problem(&l, "verifier.ca"));
        config_load_done(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_missing_file),
                cmocka_unit_test(test_dropins_later_wins),
                cmocka_unit_test(test_problems_name_file_line_key),
                cmocka_unit_test(test_long_line_and_override),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_resource_templates),
                cmocka_unit_test(test_verifier_options),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
