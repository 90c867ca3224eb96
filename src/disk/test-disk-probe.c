/* disk_probe() on file images made by the real tools. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "confnode/disk/disk-format.h"
#include "confnode/disk/disk-probe.h"
#include "test-disk-util.h"

static char *dir;

static int setup(void **state) {
        (void) state;
        dir = test_tmpdir();
        return 0;
}

static int teardown(void **state) {
        (void) state;
        test_rm_rf(dir);
        free(dir);
        return 0;
}

static void test_blank(void **state) {
        _cleanup_free_ char *img = test_image(dir, "blank", TEST_IMAGE_SIZE);
        DiskProbe p;
        (void) state;

        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_BLANK);
        assert_string_equal(p.uuid, "");
        assert_string_equal(disk_state_to_string(p.state), "blank");
}

static void test_missing(void **state) {
        DiskProbe p;
        (void) state;

        assert_int_equal(disk_probe("/nonexistent/confnode-disk", &p), -ENOENT);
}

static void test_ext4(void **state) {
        _cleanup_free_ char *img = test_image(dir, "ext4", TEST_IMAGE_SIZE);
        DiskProbe p;
        (void) state;

        assert_int_equal(test_sh("mkfs.ext4 -q -F '%s'", img), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_FOREIGN_FS);
        assert_string_equal(p.type, "ext4");
        assert_non_null(strstr(p.what, "'ext4'"));
}

static void test_swap(void **state) {
        _cleanup_free_ char *img = test_image(dir, "swap", TEST_IMAGE_SIZE);
        DiskProbe p;
        (void) state;

        assert_int_equal(test_sh("mkswap '%s'", img), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_FOREIGN_FS);
        assert_string_equal(p.type, "swap");
}

static void test_gpt(void **state) {
        _cleanup_free_ char *img = test_image(dir, "gpt", TEST_IMAGE_SIZE);
        DiskProbe p;
        (void) state;

        assert_int_equal(test_sh("echo 'label: gpt' | sfdisk -q '%s'", img), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_FOREIGN_PTABLE);
        assert_string_equal(p.type, "gpt");
        assert_non_null(strstr(p.what, "'gpt' partition table"));
}

static void test_foreign_luks(void **state) {
        _cleanup_free_ char *img = test_image(dir, "luks", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "luks.key");
        DiskProbe p;
        (void) state;

        assert_non_null(key); /* written to luks.key for the CLI */
        assert_int_equal(test_sh("cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 "
                                 "--pbkdf-force-iterations 1000 --uuid 0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10 "
                                 "--key-file '%s/luks.key' '%s'",
                                 dir, img),
                         0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_FOREIGN_LUKS);
        assert_string_equal(p.uuid, "0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10");
        assert_non_null(strstr(p.what, "not confnode's"));

        /* The label alone does not make it ours: the token is missing. */
        assert_int_equal(test_sh("cryptsetup config --label confnode-state --subsystem confnode '%s'", img), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_FOREIGN_LUKS);
        assert_non_null(strstr(p.what, "without a valid confnode token"));
}

static void test_luks1(void **state) {
        _cleanup_free_ char *img = test_image(dir, "luks1", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "luks1.key");
        DiskProbe p;
        (void) state;

        assert_non_null(key); /* written to luks1.key for the CLI */
        assert_int_equal(test_sh("cryptsetup luksFormat --batch-mode --type luks1 --pbkdf-force-iterations 1000 "
                                 "--key-file '%s/luks1.key' '%s'",
                                 dir, img),
                         0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_FOREIGN_LUKS);
        assert_non_null(strstr(p.what, "LUKS1"));
}

static void test_confnode_states(void **state) {
        _cleanup_free_ char *img = test_image(dir, "confnode", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "confnode.key");
        DiskFormatParams fp = { .uuid = "6f1c0c52-3f0e-4b39-a2f4-8f6a4e0d5c11", .fs = DISK_FS_XFS };
        DiskProbe p;
        (void) state;

        assert_int_equal(disk_format(img, key, &fp), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_CONFNODE_UNFINISHED);
        assert_string_equal(p.uuid, fp.uuid);
        assert_string_equal(p.fs, "xfs");
        assert_non_null(strstr(p.what, "'formatting'"));

        assert_int_equal(disk_format_set_state(img, DISK_TOKEN_STATE_READY), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_CONFNODE_READY);
        assert_string_equal(p.uuid, fp.uuid);
        assert_string_equal(p.fs, "xfs");
}

static void test_junk(void **state) {
        _cleanup_free_ char *img = test_image(dir, "junk", TEST_IMAGE_SIZE);
        DiskProbe p;
        (void) state;

        /* One non-zero byte deep in the first MiB, where no signature lives. */
        assert_int_equal(test_sh("printf 'x' | dd of='%s' bs=1 seek=700000 conv=notrunc", img), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_OTHER);
        assert_non_null(strstr(p.what, "does not recognise"));

        /* Past the first MiB, nothing is read: still blank. */
        _cleanup_free_ char *img2 = test_image(dir, "late", TEST_IMAGE_SIZE);
        assert_int_equal(test_sh("printf 'x' | dd of='%s' bs=1 seek=2000000 conv=notrunc", img2), 0);
        assert_int_equal(disk_probe(img2, &p), 0);
        assert_int_equal(p.state, DISK_BLANK);
}

static void test_short_device(void **state) {
        _cleanup_free_ char *img = test_image(dir, "short", 4096);
        DiskProbe p;
        (void) state;

        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_BLANK);
}

static void test_all_zero(void **state) {
        uint8_t b[3] = { 0, 0, 0 };
        (void) state;

        assert_true(disk_probe_all_zero(b, 0));
        assert_true(disk_probe_all_zero(b, sizeof(b)));
        b[2] = 1;
        assert_false(disk_probe_all_zero(b, sizeof(b)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_blank),        cmocka_unit_test(test_missing),
                cmocka_unit_test(test_ext4),         cmocka_unit_test(test_swap),
                cmocka_unit_test(test_gpt),          cmocka_unit_test(test_foreign_luks),
                cmocka_unit_test(test_luks1),        cmocka_unit_test(test_confnode_states),
                cmocka_unit_test(test_junk),         cmocka_unit_test(test_short_device),
                cmocka_unit_test(test_all_zero),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
