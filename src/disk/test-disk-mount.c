/* mkfs, fsck, mount and the bind mounts on a loop device (no device-mapper
 * needed); skipped where loop devices or mount(2) are not available. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "confnode/disk/disk-mount.h"
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
        /* Also after a failed assertion: what this test mounted and attached,
         * found by path, goes before the directory does. */
        (void) test_sh("awk -v d='%s/' 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | "
                       "xargs -r -n1 umount -l",
                       dir);
        (void) test_sh("for f in '%s'/*.img; do losetup -j \"$f\" | cut -d: -f1 | xargs -r -n1 losetup -d; done",
                       dir);
        test_rm_rf(dir);
        free(dir);
        return 0;
}

/* A loop device over a new image, or NULL (the caller skips). */
static char *loop_attach(const char *name, off_t size) {
        _cleanup_free_ char *img = test_image(dir, name, size), *cmd = NULL;
        char *loop;

        assert_true(asprintf(&cmd, "losetup --find --show '%s' 2>/dev/null", img) > 0);
        loop = test_sh_output(cmd);
        if (!loop || !loop[0]) {
                free(loop);
                return NULL;
        }
        loop[strcspn(loop, "\n")] = 0;
        return loop;
}

/* How many mounts sit on path, from /proc/self/mountinfo. */
static int mounts_on(const char *path) {
        _cleanup_free_ char *cmd = NULL, *out = NULL;

        assert_true(asprintf(&cmd, "awk -v p='%s' '$5 == p' /proc/self/mountinfo | wc -l", path) > 0);
        out = test_sh_output(cmd);
        assert_non_null(out);
        return atoi(out);
}

static void unmount_all(const char *const *paths, size_t n) {
        for (size_t i = n; i > 0; i--)
                while (umount2(paths[i - 1], MNT_DETACH) == 0)
                        ;
}

static void test_run(void **state) {
        int status = -1;
        (void) state;

        char *rel[] = { "true", NULL };
        assert_int_equal(disk_mount_run(rel, NULL), -EINVAL);
        char *missing[] = { "/nonexistent/confnode-tool", NULL };
        assert_int_equal(disk_mount_run(missing, NULL), -ENOENT);
        char *no[] = { "/bin/sh", "-c", "exit 3", NULL };
        assert_int_equal(disk_mount_run(no, &status), -EIO);
        assert_int_equal(status, 3);
        char *yes[] = { "/bin/sh", "-c", "test \"$PATH\" = /usr/sbin:/usr/bin:/sbin:/bin && test ! -t 0", NULL };
        assert_int_equal(disk_mount_run(yes, &status), 0);
        assert_int_equal(status, 0);
}

static void test_ext4(void **state) {
        _cleanup_free_ char *loop = loop_attach("ext4.img", TEST_IMAGE_SIZE);
        _cleanup_free_ char *mp = NULL, *b1 = NULL, *b2 = NULL, *file = NULL, *seen = NULL;
        struct stat st;
        DiskProbe p;
        (void) state;

        if (!loop)
                skip();
        assert_true(asprintf(&mp, "%s/state", dir) > 0);
        assert_true(asprintf(&b1, "%s/var/lib/kubelet", dir) > 0);
        assert_true(asprintf(&b2, "%s/var/log/pods", dir) > 0);
        char *binds[] = { b1, b2, NULL };
        const char *all[] = { mp, b1, b2 };

        assert_int_equal(disk_mkfs(loop, DISK_FS_EXT4), 0);
        assert_int_equal(disk_probe(loop, &p), 0);
        assert_int_equal(p.state, DISK_FOREIGN_FS);
        assert_string_equal(p.type, "ext4");
        assert_int_equal(test_sh("test \"$(blkid -p -o value -s LABEL '%s')\" = confnode-state", loop), 0);
        assert_int_equal(disk_fsck(loop, DISK_FS_EXT4), 0);

        int r = disk_mount(loop, DISK_FS_EXT4, mp, binds, false);
        if (r == -EPERM) {
                assert_int_equal(test_sh("losetup -d '%s'", loop), 0);
                skip(); /* no mount(2) here */
        }
        assert_int_equal(r, 0);
        assert_int_equal(stat(loop, &st), 0);
        assert_true(disk_mount_is_mounted_from(mp, st.st_rdev));
        assert_false(disk_mount_is_mounted_from(dir, st.st_rdev));
        assert_int_equal(mounts_on(mp), 1);
        assert_int_equal(mounts_on(b1), 1);
        assert_int_equal(mounts_on(b2), 1);

        /* What the node writes under a bind path lands on the disk. */
        assert_true(asprintf(&file, "%s/pod.txt", b1) > 0);
        assert_int_equal(test_sh("echo pod > '%s'", file), 0);
        assert_true(asprintf(&seen, "%s%s/pod.txt", mp, b1) > 0);
        assert_int_equal(test_sh("grep -qx pod '%s'", seen), 0);

        /* Again (the agent restarted): nothing is mounted twice. */
        assert_int_equal(disk_mount(loop, DISK_FS_EXT4, mp, binds, false), 0);
        assert_int_equal(mounts_on(mp), 1);
        assert_int_equal(mounts_on(b1), 1);
        assert_int_equal(mounts_on(b2), 1);

        unmount_all(all, ELEMENTSOF(all));
        assert_int_equal(mounts_on(mp), 0);
        /* Nothing was left on the root side of the bind paths. */
        assert_int_equal(test_sh("test -z \"$(ls -A '%s')\"", b1), 0);
        assert_int_equal(disk_fsck(loop, DISK_FS_EXT4), 0);
        assert_int_equal(test_sh("losetup -d '%s'", loop), 0);
}

static void test_bad(void **state) {
        _cleanup_free_ char *loop = loop_attach("bad.img", TEST_IMAGE_SIZE), *mp = NULL;
        (void) state;

        if (!loop)
                skip();
        assert_true(asprintf(&mp, "%s/bad-state", dir) > 0);
        char *rel[] = { "relative", NULL };
        /* Not a file system: the mount fails and nothing is bound. */
        int r = disk_mount(loop, DISK_FS_EXT4, mp, rel, false);
        assert_true(r < 0);
        assert_int_equal(mounts_on(mp), 0);
        assert_int_equal(disk_mount(loop, DISK_FS_EXT4, "relative", NULL, false), -EINVAL);
        assert_int_equal(disk_mount(loop, (DiskFs) 9, mp, NULL, false), -EINVAL);
        assert_int_equal(disk_fsck(loop, DISK_FS_EXT4), -EIO);
        assert_int_equal(disk_mkfs(loop, (DiskFs) 9), -EINVAL);
        assert_int_equal(test_sh("losetup -d '%s'", loop), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_run),
                cmocka_unit_test(test_ext4),
                cmocka_unit_test(test_bad),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
