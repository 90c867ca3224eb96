#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads a whole file (or a sysfs/securityfs file whose st_size lies) into a
 * malloc()ed buffer. Refuses files larger than max_size with -EFBIG. */
int read_full_file(const char *path, size_t max_size, uint8_t **ret, size_t *ret_size);

/* Writes all of data to fd, retrying short writes and EINTR. -errno, or
 * -EIO if write() makes no progress. */
int write_all(int fd, const void *data, size_t size);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);

/* Creates a directory (and parents) with the given mode; existing is fine. */
int mkdir_p(const char *path, mode_t mode);
