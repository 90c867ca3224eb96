/* The [disk] options: defaults, each value form, and every problem named. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char dir[] = "/tmp/confnode-test-config-disk.XXXXXX";
static char path[600];

static void write_conf(const char *text) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state) {
        (void) state;
        if (!mkdtemp(dir))
                return -1;
        snprintf(path, sizeof(path), "%s/confnode.conf", dir);
        return 0;
}

static int teardown(void **state) {
        (void) state;
        unlink(path);
        return rmdir(dir);
}

static bool has_problem(const ConfigLoad *l, const char *text) {
        for (size_t i = 0; i < l->n_problems; i++) {
                char buf[1024];

                if (strstr(config_problem_format(&l->problems[i], buf, sizeof(buf)), text))
                        return true;
        }
        return false;
}

static void test_defaults(void **state) {
        ConfigLoad l;
        DiskConfig dc;
        (void) state;

        write_conf("");
        assert_int_equal(config_load(path, true, &l), 0);
        config_validate(&l);
        assert_null(l.config.disk_device);
        assert_string_equal(l.config.disk_mountpoint, "/var/lib/confnode/state");
        assert_non_null(l.config.disk_binds);
        assert_string_equal(l.config.disk_binds[0], "/var/lib/kubelet");
        assert_string_equal(l.config.disk_binds[1], "/var/lib/containerd");
        assert_string_equal(l.config.disk_binds[2], "/var/log/pods");
        assert_null(l.config.disk_binds[3]);
        assert_int_equal(l.config.disk_pbkdf, DISK_PBKDF_PBKDF2);
        assert_int_equal(l.config.disk_pbkdf_iterations, 0);
        assert_int_equal(l.config.disk_integrity, DISK_INTEGRITY_NONE);
        assert_int_equal(l.config.disk_fs, DISK_FS_EXT4);
        assert_false(l.config.disk_discard);
        assert_false(l.config.disk_fsck);
        config_disk(&l.config, &dc);
        assert_string_equal(dc.mountpoint, "/var/lib/confnode/state");
        assert_ptr_equal(dc.binds, l.config.disk_binds);
        assert_null(dc.roots);
        assert_false(dc.allow_image_file);
        config_load_done(&l);
}

static void test_values(void **state) {
        ConfigLoad l;
        DiskConfig dc;
        (void) state;

        write_conf("[verifier]\nurl = https://v.example\nca = /etc/confnode/ca.pem\n"
                   "[disk]\n"
                   "device = PARTLABEL=confnode-state\n"
                   "mountpoint = /srv/state\n"
                   "bind = /var/lib/kubelet   /var/lib/rancher\n"
                   "fs = xfs\n"
                   "pbkdf = argon2id\n"
                   "pbkdf_iterations = 4\n"
                   "integrity = hmac-sha256\n"
                   "discard = yes\n"
                   "fsck = true\n");
        assert_int_equal(config_load(path, true, &l), 0);
        config_validate(&l);
        assert_int_equal(l.n_problems, 0);
        config_disk(&l.config, &dc);
        assert_string_equal(dc.device, "PARTLABEL=confnode-state");
        assert_string_equal(dc.mountpoint, "/srv/state");
        assert_string_equal(dc.binds[0], "/var/lib/kubelet");
        assert_string_equal(dc.binds[1], "/var/lib/rancher");
        assert_null(dc.binds[2]);
        assert_int_equal(dc.fs, DISK_FS_XFS);
        assert_int_equal(dc.pbkdf, DISK_PBKDF_ARGON2ID);
        assert_int_equal(dc.pbkdf_iterations, 4);
        assert_int_equal(dc.integrity, DISK_INTEGRITY_HMAC_SHA256);
        assert_true(dc.discard);
        assert_true(dc.fsck);
        config_load_done(&l);

        /* ID= and an empty bind list. */
        write_conf("[verifier]\nurl = https://v.example\nca = /etc/confnode/ca.pem\n"
                   "[disk]\ndevice = ID=virtio-state\nbind =\n");
        assert_int_equal(config_load(path, true, &l), 0);
        config_validate(&l);
        assert_int_equal(l.n_problems, 0);
        assert_string_equal(l.config.disk_device, "ID=virtio-state");
        assert_null(l.config.disk_binds);
        config_load_done(&l);
}

static void test_problems(void **state) {
        ConfigLoad l;
        (void) state;

        write_conf("[disk]\n"
                   "device = PARTLABEL=a/b\n"
                   "mountpoint = state\n"
                   "bind = /var/lib/../etc relative /\n"
                   "fs = btrfs\n"
                   "pbkdf = scrypt\n"
                   "pbkdf_iterations = -1\n"
                   "integrity = aead\n"
                   "discard = sometimes\n");
        assert_int_equal(config_load(path, true, &l), 0);
        config_validate(&l);
        assert_true(has_problem(&l, "confnode.conf:2: disk.device: 'PARTLABEL=a/b' is not an absolute path, "
                                    "PARTLABEL=name or ID=name"));
        assert_true(has_problem(&l, "confnode.conf:3: disk.mountpoint: 'state' is not an absolute path"));
        assert_true(has_problem(&l, "confnode.conf:4: disk.bind: '/var/lib/../etc' is not a normalised absolute path"));
        assert_true(has_problem(&l, "confnode.conf:5: disk.fs: 'btrfs' is not a file system confnode makes"));
        assert_true(has_problem(&l, "confnode.conf:6: disk.pbkdf: 'scrypt' is not a key derivation"));
        assert_true(has_problem(&l, "confnode.conf:7: disk.pbkdf_iterations: '-1' is not a number of iterations"));
        assert_true(has_problem(&l, "confnode.conf:8: disk.integrity: 'aead' is not an integrity mode"));
        assert_true(has_problem(&l, "confnode.conf:9: disk.discard: 'sometimes' is not a boolean"));
        config_load_done(&l);

        write_conf("[disk]\ndevice = ID=\nbind = relative\n");
        assert_int_equal(config_load(path, true, &l), 0);
        assert_true(has_problem(&l, "disk.device: 'ID=' is not"));
        assert_true(has_problem(&l, "disk.bind: 'relative' is not a normalised absolute path"));
        config_load_done(&l);

        write_conf("[disk]\nbind = /\n");
        assert_int_equal(config_load(path, true, &l), 0);
        assert_true(has_problem(&l, "disk.bind: '/' is not a normalised absolute path"));
        config_load_done(&l);

        /* Cross-option rules. */
        write_conf("[disk]\n"
                   "mountpoint = /var/lib/state\n"
                   "bind = /var/lib /var/lib/state/x /var/log/pods\n"
                   "pbkdf_iterations = 999\n");
        assert_int_equal(config_load(path, true, &l), 0);
        config_validate(&l);
        assert_true(has_problem(&l, "confnode.conf:3: disk.bind: '/var/lib' is inside disk.mountpoint "
                                    "'/var/lib/state', or holds it"));
        assert_true(has_problem(&l, "disk.bind: '/var/lib/state/x' is inside disk.mountpoint"));
        assert_false(has_problem(&l, "'/var/log/pods'"));
        assert_true(has_problem(&l, "confnode.conf:4: disk.pbkdf_iterations: PBKDF2 needs at least 1000"));
        config_load_done(&l);

        write_conf("[disk]\nmountpoint = /\npbkdf = argon2id\npbkdf_iterations = 3\n");
        assert_int_equal(config_load(path, true, &l), 0);
        config_validate(&l);
        assert_true(has_problem(&l, "disk.mountpoint: must not be /"));
        assert_false(has_problem(&l, "pbkdf_iterations"));
        config_load_done(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_problems),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
