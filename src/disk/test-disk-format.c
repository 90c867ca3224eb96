/* disk_format() and disk_unlock(NULL) checked against the real cryptsetup. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "confnode/basic/json-util.h"
#include "confnode/disk/disk-format.h"
#include "confnode/disk/disk-probe.h"
#include "confnode/disk/disk-unlock.h"
#include "test-disk-util.h"

#define UUID "3d7a4c2e-95b1-4f6a-8c0d-1e2f3a4b5c6d"

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

/* `cryptsetup luksDump --dump-json-metadata`, parsed. */
static json_object *dump(const char *img) {
        _cleanup_free_ char *cmd = NULL, *out = NULL;

        assert_true(asprintf(&cmd, "cryptsetup luksDump --dump-json-metadata '%s'", img) > 0);
        out = test_sh_output(cmd);
        assert_non_null(out);
        return json_tokener_parse(out);
}

static json_object *get(json_object *o, const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        for (char *k = strtok_r(copy, ".", &save); k; k = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(o, k, &o))
                        fail_msg("no '%s' in luksDump for %s", k, path);
        return o;
}

static void test_format_header(void **state) {
        _cleanup_free_ char *img = test_image(dir, "fmt", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "fmt.key");
        _cleanup_(json_object_putp) json_object *j = NULL;
        DiskFormatParams fp = { .uuid = UUID };
        (void) state;

        assert_int_equal(disk_format(img, key, &fp), 0);
        j = dump(img);
        assert_non_null(j);
        assert_int_equal(test_sh("cryptsetup luksDump '%s' | grep -qP '^Label:\\s+confnode-state$'", img), 0);
        assert_int_equal(test_sh("cryptsetup luksDump '%s' | grep -qP '^Subsystem:\\s+confnode$'", img), 0);
        assert_int_equal(json_object_object_length(get(j, "keyslots")), 1);
        assert_string_equal(json_object_get_string(get(j, "keyslots.0.kdf.type")), "pbkdf2");
        assert_string_equal(json_object_get_string(get(j, "keyslots.0.kdf.hash")), "sha256");
        assert_int_equal(json_object_get_int(get(j, "keyslots.0.kdf.iterations")), DISK_PBKDF2_MIN_ITERATIONS);
        assert_string_equal(json_object_get_string(get(j, "segments.0.encryption")), "aes-xts-plain64");
        assert_int_equal(json_object_get_int(get(j, "keyslots.0.key_size")), 64);
        assert_string_equal(json_object_get_string(get(j, "tokens.0.type")), "confnode");
        assert_string_equal(json_object_get_string(get(j, "tokens.0.state")), "formatting");
        assert_int_equal(json_object_get_int(get(j, "tokens.0.version")), 1);
        assert_string_equal(json_object_get_string(get(j, "tokens.0.fs")), "ext4");
        assert_int_equal(json_object_array_length(get(j, "tokens.0.keyslots")), 0);

        /* The UUID the key was released for, and the key itself, per cryptsetup. */
        assert_int_equal(test_sh("test \"$(cryptsetup luksUUID '%s')\" = " UUID, img), 0);
        assert_int_equal(test_sh("cryptsetup open --test-passphrase --key-file '%s/fmt.key' '%s'", dir, img), 0);
        assert_int_equal(disk_unlock(img, NULL, key, false), 0);

        /* Marking it ready keeps the token's other fields. */
        assert_int_equal(disk_format_set_state(img, DISK_TOKEN_STATE_READY), 0);
        json_object_put(TAKE_PTR(j));
        j = dump(img);
        assert_string_equal(json_object_get_string(get(j, "tokens.0.state")), "ready");
        assert_string_equal(json_object_get_string(get(j, "tokens.0.fs")), "ext4");
        assert_int_equal(json_object_object_length(get(j, "tokens")), 1);
}

static void test_wrong_key(void **state) {
        _cleanup_free_ char *img = test_image(dir, "wrong", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "right.key");
        _cleanup_(secret_freep) Secret *other = test_key(dir, "other.key");
        uint8_t before[TEST_HASH_SIZE], after[TEST_HASH_SIZE];
        DiskFormatParams fp = {};
        (void) state;

        assert_int_equal(disk_format(img, key, &fp), 0);
        test_file_hash(img, before);
        assert_int_equal(disk_unlock(img, NULL, other, false), -EPERM);
        /* With a name too: the key is refused before any mapping is tried. */
        assert_int_equal(disk_unlock(img, "confnode-test-wrong", other, false), -EPERM);
        test_file_hash(img, after);
        assert_memory_equal(before, after, sizeof(before));
        assert_int_not_equal(test_sh("cryptsetup open --test-passphrase --key-file '%s/other.key' '%s'", dir, img), 0);
}

static void test_random_uuid_when_none(void **state) {
        _cleanup_free_ char *img = test_image(dir, "nouuid", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "nouuid.key");
        DiskFormatParams fp = {};
        DiskProbe p;
        (void) state;

        assert_int_equal(disk_format(img, key, &fp), 0);
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(strlen(p.uuid), 36);
}

static void test_argon2id_iterations(void **state) {
        _cleanup_free_ char *img = test_image(dir, "argon", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "argon.key");
        _cleanup_(json_object_putp) json_object *j = NULL;
        DiskFormatParams fp = { .pbkdf = DISK_PBKDF_ARGON2ID, .pbkdf_iterations = 4 };
        (void) state;

        assert_int_equal(disk_format(img, key, &fp), 0);
        j = dump(img);
        assert_string_equal(json_object_get_string(get(j, "keyslots.0.kdf.type")), "argon2id");
        assert_int_equal(json_object_get_int(get(j, "keyslots.0.kdf.time")), 4);
        /* cryptsetup's default memory cost (up to 1 GiB) makes each open take
         * seconds here; our own check opens it once. */
        assert_int_equal(disk_unlock(img, NULL, key, false), 0);
}

static void test_pbkdf2_iterations(void **state) {
        _cleanup_free_ char *img = test_image(dir, "iter", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *key = test_key(dir, "iter.key");
        _cleanup_(json_object_putp) json_object *j = NULL;
        DiskFormatParams fp = { .pbkdf_iterations = 5000, .fs = DISK_FS_XFS };
        (void) state;

        assert_int_equal(disk_format(img, key, &fp), 0);
        j = dump(img);
        assert_int_equal(json_object_get_int(get(j, "keyslots.0.kdf.iterations")), 5000);
        assert_string_equal(json_object_get_string(get(j, "tokens.0.fs")), "xfs");

        fp.pbkdf_iterations = DISK_PBKDF2_MIN_ITERATIONS - 1;
        assert_int_equal(disk_format(img, key, &fp), -EINVAL);
}

static void test_bad_params(void **state) {
        _cleanup_free_ char *img = test_image(dir, "bad", TEST_IMAGE_SIZE);
        _cleanup_(secret_freep) Secret *small = NULL;
        DiskFormatParams fp = {};
        DiskProbe p;
        (void) state;

        assert_int_equal(secret_new(DISK_KEY_MIN_SIZE - 1, &small), 0);
        assert_int_equal(disk_format(img, small, &fp), -EINVAL);
        assert_int_equal(disk_format(img, NULL, &fp), -EINVAL);
        fp.fs = (DiskFs) 7;
        assert_int_equal(disk_format(img, small, &fp), -EINVAL);
        /* Nothing was written. */
        assert_int_equal(disk_probe(img, &p), 0);
        assert_int_equal(p.state, DISK_BLANK);
        /* Not a UUID: libcryptsetup refuses it. */
        _cleanup_(secret_freep) Secret *key = test_key(dir, "bad.key");
        fp = (DiskFormatParams){ .uuid = "not-a-uuid" };
        assert_true(disk_format(img, key, &fp) < 0);
}

static void test_names(void **state) {
        (void) state;
        assert_int_equal(disk_pbkdf_from_string("pbkdf2"), DISK_PBKDF_PBKDF2);
        assert_int_equal(disk_pbkdf_from_string("argon2id"), DISK_PBKDF_ARGON2ID);
        assert_int_equal(disk_pbkdf_from_string("argon2i"), -EINVAL);
        assert_int_equal(disk_integrity_from_string("hmac-sha256"), DISK_INTEGRITY_HMAC_SHA256);
        assert_int_equal(disk_integrity_from_string("none"), DISK_INTEGRITY_NONE);
        assert_int_equal(disk_integrity_from_string(NULL), -EINVAL);
        assert_int_equal(disk_fs_from_string("xfs"), DISK_FS_XFS);
        assert_int_equal(disk_fs_from_string("btrfs"), -EINVAL);
        assert_string_equal(disk_fs_to_string(DISK_FS_EXT4), "ext4");
        assert_null(disk_fs_to_string(_DISK_FS_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_header),      cmocka_unit_test(test_wrong_key),
                cmocka_unit_test(test_random_uuid_when_none), cmocka_unit_test(test_argon2id_iterations),
                cmocka_unit_test(test_pbkdf2_iterations),  cmocka_unit_test(test_bad_params),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
