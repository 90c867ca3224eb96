#include "confnode/disk/disk-locate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "confnode/basic/cleanup.h"

const DiskLocateRoots disk_locate_default_roots = {
        .dev_disk = "/dev/disk",
        .sysfs = "/sys",
        .root = "/",
};

static void closedirp_(DIR **d) {
        if (*d)
                (void) closedir(*d);
        *d = NULL;
}

/* Device-mapper over md over partitions is as deep as real stacks go. */
#define DISK_LOCATE_MAX_DEPTH 8

static int what_set(char **ret_what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int what_set(char **ret_what, const char *fmt, ...) {
        va_list ap;

        if (!ret_what)
                return 0;
        free(*ret_what);
        *ret_what = NULL;
        va_start(ap, fmt);
        if (vasprintf(ret_what, fmt, ap) < 0)
                *ret_what = NULL;
        va_end(ap);
        return 0;
}

static int read_dev_file(const char *path, dev_t *ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        unsigned maj, min;

        if (!f)
                return -errno;
        if (fscanf(f, "%u:%u", &maj, &min) != 2)
                return -EBADMSG;
        *ret = makedev(maj, min);
        return 0;
}

int disk_locate_whole_disk(const char *sysfs, dev_t dev, dev_t *ret) {
        char path[PATH_MAX], partition[PATH_MAX + 16], parent[PATH_MAX + 16];

        snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sysfs, major(dev), minor(dev));
        if (access(path, F_OK) < 0)
                return -errno;
        snprintf(partition, sizeof(partition), "%s/partition", path);
        if (access(partition, F_OK) < 0) {
                *ret = dev;
                return 0;
        }
        /* A partition's sysfs directory sits inside its disk's. */
        snprintf(parent, sizeof(parent), "%s/../dev", path);
        return read_dev_file(parent, ret);
}

/* Adds the whole disks under dev (following slaves/) to set. */
static void collect_disks(const char *sysfs, dev_t dev, dev_t *set, size_t *n, size_t max, unsigned depth) {
        char path[PATH_MAX];
        _cleanup_(closedirp_) DIR *d = NULL;
        struct dirent *de;
        dev_t whole;
        bool slaves = false;

        if (depth > DISK_LOCATE_MAX_DEPTH || disk_locate_whole_disk(sysfs, dev, &whole) < 0)
                return;
        snprintf(path, sizeof(path), "%s/dev/block/%u:%u/slaves", sysfs, major(whole), minor(whole));
        d = opendir(path);
        while (d && (de = readdir(d))) {
                char dev_path[PATH_MAX + 512];
                dev_t slave;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(dev_path, sizeof(dev_path), "%s/%s/dev", path, de->d_name);
                if (read_dev_file(dev_path, &slave) < 0)
                        continue;
                slaves = true;
                collect_disks(sysfs, slave, set, n, max, depth + 1);
        }
        if (!slaves && *n < max)
                set[(*n)++] = whole;
}

bool disk_locate_is_root_disk(const char *sysfs, dev_t root_dev, dev_t target) {
        dev_t roots[32], targets[32];
        size_t n_roots = 0, n_targets = 0;

        /* A root on tmpfs or overlayfs (major 0) lives on no disk. */
        if (major(root_dev) == 0)
                return false;
        collect_disks(sysfs, root_dev, roots, &n_roots, ELEMENTSOF(roots), 0);
        collect_disks(sysfs, target, targets, &n_targets, ELEMENTSOF(targets), 0);
        for (size_t i = 0; i < n_targets; i++)
                for (size_t j = 0; j < n_roots; j++)
                        if (targets[i] == roots[j])
                                return true;
        /* Without sysfs entries, the numbers themselves are all we have. */
        return root_dev == target;
}

static bool name_ok(const char *name) {
        return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int disk_locate(const char *spec, const DiskLocateRoots *roots, bool allow_file, char **ret_path,
                char **ret_what) {
        _cleanup_free_ char *link = NULL, *canon = NULL;
        struct stat st, root_st;

        if (!roots)
                roots = &disk_locate_default_roots;
        if (!spec || !spec[0])
                return what_set(ret_what, "No state disk is configured ([disk] device)"), -EINVAL;
        if (strncmp(spec, "PARTLABEL=", 10) == 0 || strncmp(spec, "ID=", 3) == 0) {
                bool partlabel = spec[0] == 'P';
                const char *name = spec + (partlabel ? 10 : 3);

                if (!name_ok(name))
                        return what_set(ret_what, "'%s' does not name a disk", spec), -EINVAL;
                if (asprintf(&link, "%s/%s/%s", roots->dev_disk, partlabel ? "by-partlabel" : "by-id", name) < 0)
                        return -ENOMEM;
        } else if (spec[0] == '/') {
                link = strdup(spec);
                if (!link)
                        return -ENOMEM;
        } else
                return what_set(ret_what, "'%s' is neither an absolute path nor PARTLABEL=/ID=", spec), -EINVAL;

        canon = realpath(link, NULL);
        if (!canon) {
                int r = -errno;

                what_set(ret_what, "The state disk '%s' is not there: %s", link, strerror(-r));
                return r;
        }
        if (stat(canon, &st) < 0) {
                int r = -errno;

                what_set(ret_what, "Cannot stat the state disk '%s': %s", canon, strerror(-r));
                return r;
        }
        if (S_ISREG(st.st_mode) && allow_file) {
                *ret_path = TAKE_PTR(canon);
                return 0;
        }
        if (!S_ISBLK(st.st_mode))
                return what_set(ret_what, "The state disk '%s' is not a block device", canon), -ENOTBLK;
        if (stat(roots->root, &root_st) < 0) {
                int r = -errno;

                what_set(ret_what, "Cannot stat the root file system '%s': %s", roots->root, strerror(-r));
                return r;
        }
        if (disk_locate_is_root_disk(roots->sysfs, root_st.st_dev, st.st_rdev))
                return what_set(ret_what,
                                "The state disk '%s' (%u:%u) is the disk the root file system is on, or a "
                                "partition of it; refusing to touch it",
                                canon, major(st.st_rdev), minor(st.st_rdev)),
                       -EBUSY;
        *ret_path = TAKE_PTR(canon);
        return 0;
}
