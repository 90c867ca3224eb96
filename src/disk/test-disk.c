/* The decision (disk_key_uuid, disk_setup) on file images. The host has
 * no device-mapper, so opening stops there: the tests check everything up
 * to it, and that a first format cut short is left "unfinished". */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "confnode/disk/disk.h"
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

static DiskConfig config(const char *img) {
        return (DiskConfig){
                .device = img,
                .mountpoint = "/nonexistent/confnode-test-state",
                .dm_name = "confnode-test-state",
                .allow_image_file = true,
        };
}

static bool uuid_v4(const char *u) {
        if (strlen(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
                return false;
        return u[14] == '4' && strchr("89ab", u[19]);
}

static void test_blank_uuid(void **state) {
        _cleanup_free_ char *img = test_image(dir, "blank", TEST_IMAGE_SIZE);
        _cleanup_(disk_result_done) DiskResult a = {}, b = {};
        DiskConfig c = config(img);
        char u1[DISK_UUID_STRING_MAX], u2[DISK_UUID_STRING_MAX];
        (void) state;

        assert_int_equal(disk_key_uuid(&c, u1, &a), 0);
        assert_int_equal(disk_key_uuid(&c, u2, &b), 0);
        assert_int_equal(a.found.state, DISK_BLANK);
        assert_true(uuid_v4(u1));
        assert_true(uuid_v4(u2));
        /* Fresh each call, by design (docs/disk.md). */
        assert_string_not_equal(u1, u2);
        assert_string_equal(a.uuid, u1);
        assert_string_equal(a.path, img);
}

static void test_refuse_ext4(void **state) {
        _cleanup_free_ char *img = test_image(dir, "ext4", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "ext4.key");
        _cleanup_(disk_result_done) DiskResult a = {}, b = {};
        uint8_t before[TEST_HASH_SIZE], after[TEST_HASH_SIZE];
        DiskConfig c = config(img);
        char uuid[DISK_UUID_STRING_MAX];
        (void) state;

        assert_int_equal(test_sh("mkfs.ext4 -q -F '%s'", img), 0);
        test_file_hash(img, before);
        assert_int_equal(disk_key_uuid(&c, uuid, &a), -EEXIST);
        assert_string_equal(a.reason, "disk.foreign_fs");
        assert_non_null(strstr(a.message, "'ext4'"));
        assert_non_null(strstr(a.message, img));
        assert_int_equal(disk_setup(&c, "3d7a4c2e-95b1-4f6a-8c0d-1e2f3a4b5c6d", key, &b), -EEXIST);
        assert_string_equal(b.reason, "disk.foreign_fs");
        assert_int_equal(b.action, DISK_ACTION_NONE);
        test_file_hash(img, after);
        assert_memory_equal(before, after, sizeof(before));
}

static void test_refuse_others(void **state) {
        _cleanup_free_ char *gpt = test_image(dir, "gpt", TEST_IMAGE_SIZE);
        _cleanup_free_ char *junk = test_image(dir, "junk", TEST_IMAGE_SIZE);
        _cleanup_free_ char *luks = test_image(dir, "luks", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "luks.key");
        struct {
                const char *img;
                const char *reason;
        } cases[] = { { gpt, "disk.foreign_ptable" }, { junk, "disk.unknown_data" }, { luks, "disk.foreign_luks" } };
        (void) state;

        assert_int_equal(test_sh("echo 'label: gpt' | sfdisk -q '%s'", gpt), 0);
        assert_int_equal(test_sh("printf 'junk' | dd of='%s' bs=1 seek=4096 conv=notrunc", junk), 0);
        assert_int_equal(test_sh("cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 "
                                 "--pbkdf-force-iterations 1000 --key-file '%s/luks.key' '%s'",
                                 dir, luks),
                         0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(disk_result_done) DiskResult a = {}, b = {};
                uint8_t before[TEST_HASH_SIZE], after[TEST_HASH_SIZE];
                DiskConfig c = config(cases[i].img);
                char uuid[DISK_UUID_STRING_MAX];

                test_file_hash(cases[i].img, before);
                assert_int_equal(disk_key_uuid(&c, uuid, &a), -EEXIST);
                assert_string_equal(a.reason, cases[i].reason);
                /* Even with the foreign LUKS volume's own key: not ours, not touched. */
                assert_int_equal(disk_setup(&c, a.found.uuid[0] ? a.found.uuid : "3d7a4c2e-95b1-4f6a-8c0d-1e2f3a4b5c6d",
                                            key, &b),
                                 -EEXIST);
                assert_string_equal(b.reason, cases[i].reason);
                test_file_hash(cases[i].img, after);
                assert_memory_equal(before, after, sizeof(before));
        }
}

static void test_not_found(void **state) {
        _cleanup_(disk_result_done) DiskResult a = {};
        DiskConfig c = config("/nonexistent/disk");
        char uuid[DISK_UUID_STRING_MAX];
        (void) state;

        assert_int_equal(disk_key_uuid(&c, uuid, &a), -ENOENT);
        assert_string_equal(a.reason, "disk.not_found");
        assert_non_null(strstr(a.message, "'/nonexistent/disk'"));

        /* A regular file is no disk outside the tests. */
        _cleanup_free_ char *img = test_image(dir, "file", 4096);
        _cleanup_(disk_result_done) DiskResult b = {};
        c = config(img);
        c.allow_image_file = false;
        assert_int_equal(disk_key_uuid(&c, uuid, &b), -ENOTBLK);
        assert_string_equal(b.reason, "disk.not_found");
}

/* Blank -> format: the header is written, opening fails without
 * device-mapper, and the disk is left "unfinished" with the UUID the key
 * was asked for. A wrong key then refuses to touch it; the right one
 * formats it again. */
static void test_first_format_cut_short(void **state) {
        _cleanup_free_ char *img = test_image(dir, "first", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "first.key");
        _cleanup_(secret_freep) Secret *other = test_key(dir, "other.key");
        _cleanup_(disk_result_done) DiskResult a = {}, b = {}, c2 = {}, d = {}, e = {};
        uint8_t before[TEST_HASH_SIZE], after[TEST_HASH_SIZE];
        DiskConfig c = config(img);
        char uuid[DISK_UUID_STRING_MAX], again[DISK_UUID_STRING_MAX];
        (void) state;

        assert_int_equal(disk_key_uuid(&c, uuid, &a), 0);
        int r = disk_setup(&c, uuid, key, &b);
        if (r == 0)
                skip(); /* device-mapper works here after all: the e2e tests cover it */
        assert_string_equal(b.reason, "disk.open_failed");
        assert_non_null(strstr(b.message, "unfinished"));
        assert_int_equal(b.action, DISK_ACTION_NONE);
        assert_true(b.ms_format > 0);
        assert_int_equal(test_sh("test \"$(cryptsetup luksUUID '%s')\" = %s", img, uuid), 0);
        assert_int_equal(test_sh("cryptsetup open --test-passphrase --key-file '%s/first.key' '%s'", dir, img), 0);

        /* The next boot asks for the same UUID's key. */
        assert_int_equal(disk_key_uuid(&c, again, &c2), 0);
        assert_int_equal(c2.found.state, DISK_CONFNODE_UNFINISHED);
        assert_string_equal(again, uuid);

        /* A wrong key: refused, nothing written. */
        test_file_hash(img, before);
        assert_int_equal(disk_setup(&c, uuid, other, &d), -EPERM);
        assert_string_equal(d.reason, "disk.wrong_key");
        test_file_hash(img, after);
        assert_memory_equal(before, after, sizeof(before));

        /* A UUID that is not the disk's: it changed since the key was asked for. */
        _cleanup_(disk_result_done) DiskResult f = {};
        assert_int_equal(disk_setup(&c, "3d7a4c2e-95b1-4f6a-8c0d-1e2f3a4b5c6d", key, &f), -ESTALE);
        assert_string_equal(f.reason, "disk.changed");

        /* The right key: formatted again (a new header), then the open fails as before. */
        assert_int_not_equal(disk_setup(&c, uuid, key, &e), 0);
        assert_string_equal(e.reason, "disk.open_failed");
        test_file_hash(img, after);
        assert_memory_not_equal(before, after, sizeof(before));
        assert_int_equal(test_sh("cryptsetup open --test-passphrase --key-file '%s/first.key' '%s'", dir, img), 0);
}

static void test_ready_wrong_key(void **state) {
        _cleanup_free_ char *img = test_image(dir, "ready", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "ready.key");
        _cleanup_(secret_freep) Secret *other = test_key(dir, "ready-other.key");
        _cleanup_(disk_result_done) DiskResult a = {}, b = {};
        uint8_t before[TEST_HASH_SIZE], after[TEST_HASH_SIZE];
        DiskFormatParams fp = { .uuid = "aa7a4c2e-95b1-4f6a-8c0d-1e2f3a4b5c6d" };
        DiskConfig c = config(img);
        char uuid[DISK_UUID_STRING_MAX];
        (void) state;

        assert_int_equal(disk_format(img, key, &fp), 0);
        assert_int_equal(disk_format_set_state(img, DISK_TOKEN_STATE_READY), 0);
        assert_int_equal(disk_key_uuid(&c, uuid, &a), 0);
        assert_int_equal(a.found.state, DISK_CONFNODE_READY);
        assert_string_equal(uuid, fp.uuid);
        test_file_hash(img, before);
        assert_int_equal(disk_setup(&c, uuid, other, &b), -EPERM);
        assert_string_equal(b.reason, "disk.wrong_key");
        assert_non_null(strstr(b.message, "nothing was changed"));
        test_file_hash(img, after);
        assert_memory_equal(before, after, sizeof(before));
}

static void test_short_key(void **state) {
        _cleanup_free_ char *img = test_image(dir, "shortkey", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *small = NULL;
        _cleanup_(disk_result_done) DiskResult a = {}, b = {};
        DiskConfig c = config(img);
        char uuid[DISK_UUID_STRING_MAX];
        DiskProbe p;
        (void) state;

        assert_int_equal(secret_new(16, &small), 0);
        assert_int_equal(disk_key_uuid(&c, uuid, &a), 0);
        assert_int_equal(disk_setup(&c, uuid, small, &b), -EINVAL);
        assert_string_equal(b.reason, "disk.wrong_key");
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_BLANK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_blank_uuid),       cmocka_unit_test(test_refuse_ext4),
                cmocka_unit_test(test_refuse_others),    cmocka_unit_test(test_not_found),
                cmocka_unit_test(test_first_format_cut_short), cmocka_unit_test(test_ready_wrong_key),
                cmocka_unit_test(test_short_key),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
