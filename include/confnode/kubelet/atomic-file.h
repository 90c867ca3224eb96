#pragma once

/* Replacing a file so that a reader (kubelet, systemd) sees the old
 * contents or the new, never a part, and a crash leaves one of the two. */

#include <stddef.h>
#include <sys/types.h>

/* Writes data to path: a new temporary file in the same directory
 * (O_CREAT|O_EXCL, created with mode, so it is never readable more widely
 * than the result), fsync, rename over path, fsync of the directory. On
 * failure path is untouched and the temporary file removed. The directory
 * must exist. -errno. */
int atomic_file_write(const char *path, const void *data, size_t size, mode_t mode);
