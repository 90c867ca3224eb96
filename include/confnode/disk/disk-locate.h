#pragma once

/* Finding the state disk: the configured name resolved to a device node,
 * and the check that it is not the disk the root file system lives on. */

#include <stdbool.h>
#include <sys/types.h>

/* Where disk_locate() looks; tests point these into a temporary tree. */
typedef struct DiskLocateRoots {
        const char *dev_disk; /* "/dev/disk" */
        const char *sysfs;    /* "/sys" */
        const char *root;     /* the path whose file system must not be touched: "/" */
} DiskLocateRoots;

extern const DiskLocateRoots disk_locate_default_roots;

/* Resolves spec — an absolute path, `PARTLABEL=name` (/dev/disk/by-partlabel/name)
 * or `ID=name` (/dev/disk/by-id/name) — to the canonical path of a block
 * device (or, with allow_file, a regular file: an image for tests). Refuses
 * the disk that holds roots->root, and any partition of it. Errors:
 *   -EINVAL   spec is malformed (a relative path, an empty or '/'-holding name)
 *   -ENOENT   nothing is there
 *   -ENOTBLK  it is neither a block device nor an allowed file
 *   -EBUSY    it is (on) the root file system's disk
 * ret_what gets a sentence naming the path and the problem (or NULL). */
int disk_locate(const char *spec, const DiskLocateRoots *roots, bool allow_file, char **ret_path,
                char **ret_what);

/* The whole disk a block device belongs to, from sysfs: dev itself for a
 * whole disk, its parent for a partition. -ENOENT if sysfs does not know it. */
int disk_locate_whole_disk(const char *sysfs, dev_t dev, dev_t *ret);

/* Whether target (a block device number) is, or is a partition of, a disk
 * under root_dev (the st_dev of the root file system). Device-mapper and
 * md devices are followed through their slaves. */
bool disk_locate_is_root_disk(const char *sysfs, dev_t root_dev, dev_t target);
