#include "disk-crypt-internal.h"

#include <errno.h>
#include <string.h>

#include "confnode/basic/log.h"

/* Library code logs at debug level only; the boot phase logs the outcome. */
static void disk_crypt_log(int level, const char *msg, void *usrptr) {
        size_t n = strlen(msg);

        (void) usrptr;
        (void) level;
        if (n > 0 && msg[n - 1] == '\n')
                n--;
        log_debug("libcryptsetup: %.*s", (int) n, msg);
}

int disk_crypt_init(const char *path, bool load, struct crypt_device **ret) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        int r;

        crypt_set_log_callback(NULL, disk_crypt_log, NULL);
        r = crypt_init(&cd, path);
        if (r < 0)
                return r;
        crypt_set_log_callback(cd, disk_crypt_log, NULL);
        if (load) {
                r = crypt_load(cd, CRYPT_LUKS2, NULL);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(cd);
        return 0;
}
