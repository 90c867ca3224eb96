#pragma once

/* libcryptsetup set up the way src/disk uses it. Private to src/disk. */

#include <stdbool.h>

#include <libcryptsetup.h>

#include "confnode/basic/cleanup.h"

DEFINE_CLEANUP(struct crypt_device, crypt_free)

/* A crypt_device for path with libcryptsetup's messages routed to our
 * debug log; with load, the LUKS2 header is read (-EINVAL: not LUKS2). */
int disk_crypt_init(const char *path, bool load, struct crypt_device **ret);
