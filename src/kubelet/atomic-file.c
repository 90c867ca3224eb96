#include "confnode/kubelet/atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/fileio.h"

/* Tries before giving up on finding an unused temporary name. */
#define ATOMIC_FILE_TRIES 16

/* Splits path into a directory (opened, for openat/renameat/fsync) and the
 * last component. */
static int atomic_file_open_dir(const char *path, int *ret_dfd, const char **ret_base) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = NULL;
        int dfd;

        if (!slash) {
                dir = strdup(".");
                *ret_base = path;
        } else {
                dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
                *ret_base = slash + 1;
        }
        if (!dir)
                return -ENOMEM;
        if (!**ret_base || strcmp(*ret_base, ".") == 0 || strcmp(*ret_base, "..") == 0)
                return -EISDIR;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        *ret_dfd = dfd;
        return 0;
}

int atomic_file_write(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_close_ int dfd = -1, fd = -1;
        const char *base;
        char tmp[NAME_MAX + 1];
        int r;

        if (!path || (!data && size > 0))
                return -EINVAL;
        r = atomic_file_open_dir(path, &dfd, &base);
        if (r < 0)
                return r;
        /* A hidden name, so tools that read a directory of configs (and
         * kubelet's own) do not pick up a half-written file. */
        for (unsigned i = 0; i < ATOMIC_FILE_TRIES; i++) {
                uint64_t rnd;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return -errno ?: -EIO;
                if ((size_t)snprintf(tmp, sizeof(tmp), ".%.200s.%016llx.tmp", base,
                                     (unsigned long long)rnd) >= sizeof(tmp))
                        return -ENAMETOOLONG;
                fd = openat(dfd, tmp,
                            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
                if (fd >= 0 || errno != EEXIST)
                        break;
        }
        if (fd < 0)
                return -errno;
        /* The umask may have taken bits away; the mode asked for is the one
         * the reader expects (0644 for a CA kubelet reads as non-root too). */
        if (fchmod(fd, mode) < 0) {
                r = -errno;
                goto fail;
        }
        r = write_all(fd, data, size);
        if (r < 0)
                goto fail;
        if (fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        r = close(TAKE_FD(fd));
        if (r < 0 && errno != EINTR) {
                r = -errno;
                goto fail;
        }
        if (renameat(dfd, tmp, dfd, base) < 0) {
                r = -errno;
                goto fail;
        }
        /* The rename is durable only once the directory is. */
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
fail:
        (void)unlinkat(dfd, tmp, 0);
        return r;
}
