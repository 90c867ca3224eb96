#pragma once

/* Opening the state disk with the released key. A wrong key is -EPERM and
 * nothing else happens: unlocking never formats. */

#include <stdbool.h>

#include "confnode/basic/secret.h"

#define DISK_DM_NAME "confnode-state"

/* Activates the confnode LUKS2 volume at path as /dev/mapper/name, with
 * discards passed down if discard is set. name NULL checks the key without
 * activating (works without device-mapper). If name is already active on
 * this very device (the agent restarted), the key is checked and the
 * mapping kept. Errors: -EPERM wrong key; -EBUSY name is active on another
 * device; other -errno from libcryptsetup (-ENODEV, -ENOTSUP without
 * device-mapper). */
int disk_unlock(const char *path, const char *name, const Secret *key, bool discard);

/* Deactivates /dev/mapper/name; 0 if it was not active. */
int disk_unlock_close(const char *name);
