/* disk_locate() on a fake /dev/disk and sysfs tree. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "confnode/disk/disk-locate.h"
#include "test-disk-util.h"

static char *dir;

/* sda (8:0) with sda1 (8:1) and sda2 (8:2); sdb (8:16); dm-0 (253:0) over
 * sda2; md0 (9:0) over sdb... and sdc (8:32) on its own. */
static int setup(void **state) {
        (void) state;
        dir = test_tmpdir();
        assert_int_equal(test_sh("cd '%s' && mkdir -p sys/dev/block sys/block/sda/sda1 sys/block/sda/sda2 "
                                 "sys/block/sdb sys/block/sdc sys/block/dm-0/slaves sys/block/md0/slaves && "
                                 "echo 8:0 > sys/block/sda/dev && echo 8:1 > sys/block/sda/sda1/dev && "
                                 "echo 1 > sys/block/sda/sda1/partition && echo 8:2 > sys/block/sda/sda2/dev && "
                                 "echo 2 > sys/block/sda/sda2/partition && echo 8:16 > sys/block/sdb/dev && "
                                 "echo 8:32 > sys/block/sdc/dev && echo 253:0 > sys/block/dm-0/dev && "
                                 "echo 9:0 > sys/block/md0/dev && "
                                 "ln -s ../../sda/sda2 sys/block/dm-0/slaves/sda2 && "
                                 "ln -s ../../sdb sys/block/md0/slaves/sdb && "
                                 "ln -s ../../block/sda sys/dev/block/8:0 && "
                                 "ln -s ../../block/sda/sda1 sys/dev/block/8:1 && "
                                 "ln -s ../../block/sda/sda2 sys/dev/block/8:2 && "
                                 "ln -s ../../block/sdb sys/dev/block/8:16 && "
                                 "ln -s ../../block/sdc sys/dev/block/8:32 && "
                                 "ln -s ../../block/dm-0 sys/dev/block/253:0 && "
                                 "ln -s ../../block/md0 sys/dev/block/9:0 && "
                                 "mkdir -p dev/disk/by-partlabel dev/disk/by-id && : > image && "
                                 "ln -s ../../../image dev/disk/by-partlabel/state && "
                                 "ln -s ../../../image dev/disk/by-id/virtio-state",
                                 dir),
                         0);
        return 0;
}

static int teardown(void **state) {
        (void) state;
        test_rm_rf(dir);
        free(dir);
        return 0;
}

static void test_whole_disk(void **state) {
        _cleanup_free_ char *sys = NULL;
        dev_t d;
        (void) state;

        assert_true(asprintf(&sys, "%s/sys", dir) > 0);
        assert_int_equal(disk_locate_whole_disk(sys, makedev(8, 1), &d), 0);
        assert_true(d == makedev(8, 0));
        assert_int_equal(disk_locate_whole_disk(sys, makedev(8, 0), &d), 0);
        assert_true(d == makedev(8, 0));
        assert_int_equal(disk_locate_whole_disk(sys, makedev(8, 16), &d), 0);
        assert_true(d == makedev(8, 16));
        assert_int_equal(disk_locate_whole_disk(sys, makedev(7, 99), &d), -ENOENT);
}

static void test_is_root_disk(void **state) {
        _cleanup_free_ char *sys = NULL;
        (void) state;

        assert_true(asprintf(&sys, "%s/sys", dir) > 0);
        /* Root on sda1: sda, sda1 and sda2 are refused, sdb is fine. */
        assert_true(disk_locate_is_root_disk(sys, makedev(8, 1), makedev(8, 0)));
        assert_true(disk_locate_is_root_disk(sys, makedev(8, 1), makedev(8, 1)));
        assert_true(disk_locate_is_root_disk(sys, makedev(8, 1), makedev(8, 2)));
        assert_false(disk_locate_is_root_disk(sys, makedev(8, 1), makedev(8, 16)));
        /* Root on dm-0 over sda2: sda is the root disk, through the slaves. */
        assert_true(disk_locate_is_root_disk(sys, makedev(253, 0), makedev(8, 0)));
        assert_true(disk_locate_is_root_disk(sys, makedev(253, 0), makedev(8, 1)));
        assert_false(disk_locate_is_root_disk(sys, makedev(253, 0), makedev(8, 32)));
        /* Root on md0 over sdb: sdb is refused, and so is md0 itself. */
        assert_true(disk_locate_is_root_disk(sys, makedev(9, 0), makedev(8, 16)));
        assert_true(disk_locate_is_root_disk(sys, makedev(9, 0), makedev(9, 0)));
        assert_false(disk_locate_is_root_disk(sys, makedev(9, 0), makedev(8, 0)));
        /* A root on tmpfs/overlayfs is on no disk. */
        assert_false(disk_locate_is_root_disk(sys, makedev(0, 42), makedev(8, 0)));
        /* Unknown to sysfs: only the numbers themselves count. */
        assert_true(disk_locate_is_root_disk(sys, makedev(7, 5), makedev(7, 5)));
        assert_false(disk_locate_is_root_disk(sys, makedev(7, 5), makedev(7, 6)));
}

static void test_names(void **state) {
        _cleanup_free_ char *devdisk = NULL, *sys = NULL, *image = NULL;
        DiskLocateRoots roots;
        (void) state;

        assert_true(asprintf(&devdisk, "%s/dev/disk", dir) > 0);
        assert_true(asprintf(&sys, "%s/sys", dir) > 0);
        assert_true(asprintf(&image, "%s/image", dir) > 0);
        roots = (DiskLocateRoots){ .dev_disk = devdisk, .sysfs = sys, .root = "/" };

        const char *ok[] = { "PARTLABEL=state", "ID=virtio-state", image };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *path = NULL, *what = NULL;

                assert_int_equal(disk_locate(ok[i], &roots, true, &path, &what), 0);
                assert_string_equal(path, image);
                assert_null(what);
        }

        struct {
                const char *spec;
                int r;
                const char *what;
        } bad[] = {
                { "PARTLABEL=missing", -ENOENT, "/dev/disk/by-partlabel/missing' is not there" },
                { "ID=", -EINVAL, "'ID=' does not name a disk" },
                { "PARTLABEL=../x", -EINVAL, "does not name a disk" },
                { "PARTLABEL=..", -EINVAL, "does not name a disk" },
                { "vdb", -EINVAL, "'vdb' is neither" },
                { "", -EINVAL, "No state disk" },
                { image, -ENOTBLK, "is not a block device" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *path = NULL, *what = NULL;

                assert_int_equal(disk_locate(bad[i].spec, &roots, false, &path, &what), bad[i].r);
                assert_null(path);
                assert_non_null(what);
                if (!strstr(what, bad[i].what))
                        fail_msg("'%s': '%s' lacks '%s'", bad[i].spec, what, bad[i].what);
        }
}

/* A real block device, refused when it is the disk of roots->root: a loop
 * device stands in (skipped where losetup cannot attach one). */
static void test_block_device(void **state) {
        _cleanup_free_ char *img = test_image(dir, "loop.img", 1024 * 1024), *cmd = NULL, *loop = NULL;
        _cleanup_free_ char *path = NULL, *what = NULL;
        (void) state;

        assert_true(asprintf(&cmd, "losetup --find --show '%s' 2>/dev/null", img) > 0);
        loop = test_sh_output(cmd);
        if (!loop || !loop[0])
                skip();
        loop[strcspn(loop, "\n")] = 0;
        int r = disk_locate(loop, NULL, false, &path, &what);
        assert_int_equal(test_sh("losetup -d '%s'", loop), 0);
        assert_int_equal(r, 0);
        assert_string_equal(path, loop);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole_disk),
                cmocka_unit_test(test_is_root_disk),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_block_device),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
