#include "confnode/disk/disk-unlock.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "confnode/basic/secret.h"
#include "disk-crypt-internal.h"

/* Whether name is active over the device at path. */
static bool active_on(const char *name, const char *path) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        struct stat a, b;
        const char *dev;

        if (crypt_init_by_name(&cd, name) < 0)
                return false;
        dev = crypt_get_device_name(cd);
        return dev && stat(dev, &a) == 0 && stat(path, &b) == 0 &&
               (S_ISBLK(a.st_mode) ? a.st_rdev == b.st_rdev : a.st_ino == b.st_ino && a.st_dev == b.st_dev);
}

int disk_unlock(const char *path, const char *name, const Secret *key, bool discard) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        _cleanup_(secret_freep) Secret *vk = NULL;
        uint32_t flags = discard ? CRYPT_ACTIVATE_ALLOW_DISCARDS : 0;
        size_t vk_size;
        int r;

        if (!key || key->size == 0)
                return -EINVAL;
        r = disk_crypt_init(path, true, &cd);
        if (r < 0)
                return r;
        r = crypt_get_volume_key_size(cd);
        if (r <= 0)
                return -EINVAL;
        r = secret_new((size_t) r, &vk);
        if (r < 0)
                return r;
        /* The keyslot first, into locked memory: a wrong key is -EPERM
         * whether or not device-mapper is there, and the KDF runs once. */
        vk_size = vk->size;
        r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, (char *) vk->data, &vk_size, (const char *) key->data,
                                 key->size);
        if (r < 0)
                return r;
        if (!name)
                return 0;
        if (crypt_status(NULL, name) == CRYPT_ACTIVE) {
                /* The agent restarted after opening it: the key opened a
                 * keyslot, so the mapping stays as it is. */
                return active_on(name, path) ? 0 : -EBUSY;
        }
        r = crypt_activate_by_volume_key(cd, name, (const char *) vk->data, vk_size, flags);
        return r < 0 ? r : 0;
}

int disk_unlock_close(const char *name) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        int r;

        if (crypt_status(NULL, name) != CRYPT_ACTIVE)
                return 0;
        r = crypt_init_by_name(&cd, name);
        if (r < 0)
                return r;
        r = crypt_deactivate(cd, name);
        return r < 0 ? r : 0;
}
