#pragma once

/* The file system on the opened state disk: mkfs on first boot, optional
 * fsck, the mount, and the bind mounts that put the node's state on it. */

#include <stdbool.h>
#include <sys/types.h>

#include "confnode/disk/disk-format.h"

/* Where the tools live; run by absolute path with a fixed argument list. */
#define DISK_MKFS_EXT4 "/usr/sbin/mkfs.ext4"
#define DISK_MKFS_XFS "/usr/sbin/mkfs.xfs"
#define DISK_E2FSCK "/usr/sbin/e2fsck"
#define DISK_XFS_REPAIR "/usr/sbin/xfs_repair"

/* Runs argv (argv[0] an absolute path) without a shell, stdin /dev/null,
 * output to stderr (the journal). 0 on exit status 0; -EIO on another
 * status (in *ret_status), -errno if it could not run. */
int disk_mount_run(char *const argv[], int *ret_status);

/* Makes the file system on device, labelled DISK_LUKS_LABEL. */
int disk_mkfs(const char *device, DiskFs fs);

/* Checks it: `e2fsck -p` (exit status 1, errors fixed, counts as success)
 * or `xfs_repair -n`. */
int disk_fsck(const char *device, DiskFs fs);

/* Mounts device at mountpoint (created 0700 if missing), then bind-mounts
 * mountpoint/<path> onto each <path> of binds (NULL-terminated absolute
 * paths; both sides created 0755 if missing). A mount already in place
 * from the same source (the agent restarted) is kept. */
int disk_mount(const char *device, DiskFs fs, const char *mountpoint, char *const *binds, bool discard);

/* Whether path is a mount point whose file system is device dev. */
bool disk_mount_is_mounted_from(const char *path, dev_t dev);
