#include "confnode/disk/disk-mount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"
#include "confnode/disk/disk-probe.h"

int disk_mount_run(char *const argv[], int *ret_status) {
        static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int r, status;

        if (!argv[0] || argv[0][0] != '/')
                return -EINVAL;
        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        /* No terminal, no shell: stdin is /dev/null and the tool's output
         * goes where ours goes (the journal, under systemd). */
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (ret_status)
                *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        return -EIO;
}

int disk_mkfs(const char *device, DiskFs fs) {
        char *dev = (char *) device;

        switch (fs) {
        case DISK_FS_EXT4: {
                char *argv[] = { DISK_MKFS_EXT4, "-q", "-F", "-L", DISK_LUKS_LABEL, "-E", "nodiscard", dev, NULL };
                return disk_mount_run(argv, NULL);
        }
        case DISK_FS_XFS: {
                char *argv[] = { DISK_MKFS_XFS, "-q", "-f", "-K", "-L", "confnode", dev, NULL };
                return disk_mount_run(argv, NULL);
        }
        default:
                return -EINVAL;
        }
}

int disk_fsck(const char *device, DiskFs fs) {
        char *dev = (char *) device;
        int status = 0, r;

        switch (fs) {
        case DISK_FS_EXT4: {
                char *argv[] = { DISK_E2FSCK, "-p", dev, NULL };
                r = disk_mount_run(argv, &status);
                /* 1: errors were corrected; the file system is fine now. */
                return r == -EIO && status == 1 ? 0 : r;
        }
        case DISK_FS_XFS: {
                char *argv[] = { DISK_XFS_REPAIR, "-n", dev, NULL };
                return disk_mount_run(argv, NULL);
        }
        default:
                return -EINVAL;
        }
}

bool disk_mount_is_mounted_from(const char *path, dev_t dev) {
        char parent[PATH_MAX + 4];
        struct stat st, pst;

        if (stat(path, &st) < 0 || st.st_dev != dev)
                return false;
        snprintf(parent, sizeof(parent), "%s/..", path);
        return stat(parent, &pst) == 0 && pst.st_dev != st.st_dev;
}

/* mkdir -p with mode for the directories it creates. */
static int mkdir_p(const char *path, mode_t mode) {
        char buf[PATH_MAX];
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; ; p++) {
                if (*p != '/' && *p != 0)
                        continue;
                char c = *p;

                *p = 0;
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = c;
                if (c == 0)
                        break;
        }
        return 0;
}

int disk_mount(const char *device, DiskFs fs, const char *mountpoint, char *const *binds, bool discard) {
        const char *type = disk_fs_to_string(fs);
        struct stat dev_st, mp_st;
        int r;

        if (!type || mountpoint[0] != '/')
                return -EINVAL;
        if (stat(device, &dev_st) < 0)
                return -errno;
        r = mkdir_p(mountpoint, 0700);
        if (r < 0)
                return r;
        if (!disk_mount_is_mounted_from(mountpoint, dev_st.st_rdev) &&
            mount(device, mountpoint, type, 0, discard ? "discard" : NULL) < 0)
                return -errno;
        if (stat(mountpoint, &mp_st) < 0)
                return -errno;

        for (size_t i = 0; binds && binds[i]; i++) {
                _cleanup_free_ char *src = NULL;
                struct stat s, t;

                if (binds[i][0] != '/')
                        return -EINVAL;
                if (asprintf(&src, "%s%s", mountpoint, binds[i]) < 0)
                        return -ENOMEM;
                r = mkdir_p(src, 0755);
                if (r < 0)
                        return r;
                r = mkdir_p(binds[i], 0755);
                if (r < 0)
                        return r;
                if (stat(src, &s) < 0 || stat(binds[i], &t) < 0)
                        return -errno;
                /* Already there from an earlier run of the agent. */
                if (s.st_dev == t.st_dev && s.st_ino == t.st_ino)
                        continue;
                if (mount(src, binds[i], NULL, MS_BIND, NULL) < 0)
                        return -errno;
                log_debug("Bind-mounted '%s' onto '%s'", src, binds[i]);
        }
        return 0;
}
