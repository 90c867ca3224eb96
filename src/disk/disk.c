#include "confnode/disk/disk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "confnode/basic/cleanup.h"
#include "confnode/disk/disk-mount.h"
#include "confnode/disk/disk-unlock.h"

static const char *const action_names[_DISK_ACTION_MAX] = {
        [DISK_ACTION_NONE] = "none",
        [DISK_ACTION_FORMATTED] = "formatted",
        [DISK_ACTION_REFORMATTED] = "reformatted",
        [DISK_ACTION_UNLOCKED] = "unlocked",
};

const char *disk_action_to_string(DiskAction a) {
        return a >= 0 && a < _DISK_ACTION_MAX ? action_names[a] : NULL;
}

void disk_result_done(DiskResult *r) {
        free(r->path);
        free(r->mapper);
        free(r->message);
        *r = (DiskResult){};
}

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

/* Records the failure in ret and returns -abs(error). */
static int fail(DiskResult *ret, int error, const char *reason, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int fail(DiskResult *ret, int error, const char *reason, const char *fmt, ...) {
        va_list ap;

        ret->reason = reason;
        free(ret->message);
        va_start(ap, fmt);
        if (vasprintf(&ret->message, fmt, ap) < 0)
                ret->message = NULL;
        va_end(ap);
        return -abs(error);
}

/* What to check when opening fails for want of device-mapper. */
static const char *open_hint(int r) {
        return r == -ENOTSUP || r == -ENODEV || r == -ENOENT
                       ? "; is device-mapper with dm-crypt there (/dev/mapper/control)?"
                       : "";
}

static int random_uuid(char ret[static DISK_UUID_STRING_MAX]) {
        uint8_t u[16];

        if (getrandom(u, sizeof(u), 0) != (ssize_t) sizeof(u))
                return -EIO;
        u[6] = (uint8_t) ((u[6] & 0x0f) | 0x40); /* version 4 */
        u[8] = (uint8_t) ((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
        snprintf(ret, DISK_UUID_STRING_MAX,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
                 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
        return 0;
}

/* Locate and probe: fills ret->path and ret->found, or fails with a reason. */
static int locate_and_probe(const DiskConfig *c, DiskResult *ret) {
        _cleanup_free_ char *what = NULL;
        double t = now_ms();
        int r;

        free(ret->path);
        ret->path = NULL;
        r = disk_locate(c->device, c->roots, c->allow_image_file, &ret->path, &what);
        if (r == -ENOMEM)
                return fail(ret, r, "agent.oom", "Out of memory");
        if (r == -EBUSY)
                return fail(ret, r, "disk.root_disk", "%s", what ? what : "The state disk is the root disk");
        if (r < 0)
                return fail(ret, r, "disk.not_found", "%s", what ? what : "The state disk was not found");
        r = disk_probe(ret->path, &ret->found);
        ret->ms_probe = now_ms() - t;
        if (r == -ENOMEM)
                return fail(ret, r, "agent.oom", "Out of memory");
        if (r < 0)
                return fail(ret, r, "disk.not_found", "Cannot read the state disk '%s': %s", ret->path,
                            strerror(-r));
        return 0;
}

/* The states confnode refuses to touch, with their reasons. */
static int refuse(DiskResult *ret) {
        static const char *const reasons[_DISK_STATE_MAX] = {
                [DISK_FOREIGN_FS] = "disk.foreign_fs",
                [DISK_FOREIGN_PTABLE] = "disk.foreign_ptable",
                [DISK_FOREIGN_LUKS] = "disk.foreign_luks",
                [DISK_OTHER] = "disk.unknown_data",
        };
        DiskState s = ret->found.state;

        if (s < 0 || s >= _DISK_STATE_MAX || !reasons[s])
                return 0;
        return fail(ret, EEXIST, reasons[s],
                    "The state disk '%s' holds %s; refusing to touch it (clear it, or point [disk] device "
                    "at another disk)",
                    ret->path, ret->found.what);
}

int disk_key_uuid(const DiskConfig *c, char ret_uuid[static DISK_UUID_STRING_MAX], DiskResult *ret) {
        int r;

        r = locate_and_probe(c, ret);
        if (r < 0)
                return r;
        r = refuse(ret);
        if (r < 0)
                return r;
        if (ret->found.state == DISK_BLANK) {
                r = random_uuid(ret_uuid);
                if (r < 0)
                        return fail(ret, r, "disk.format_failed", "No random bytes for a UUID: %s", strerror(-r));
        } else {
                if (!ret->found.uuid[0])
                        return fail(ret, EBADMSG, "disk.foreign_luks", "The LUKS2 header on '%s' has no UUID",
                                    ret->path);
                memcpy(ret_uuid, ret->found.uuid, DISK_UUID_STRING_MAX);
        }
        memcpy(ret->uuid, ret_uuid, DISK_UUID_STRING_MAX);
        return 0;
}

/* First boot, or one that did not finish: header, open, mkfs, mount, ready. */
static int first_format(const DiskConfig *c, const char *name, const Secret *key, DiskResult *ret) {
        DiskFormatParams fp = {
                .pbkdf = c->pbkdf,
                .pbkdf_iterations = c->pbkdf_iterations,
                .integrity = c->integrity,
                .fs = c->fs,
                .uuid = ret->uuid,
        };
        double t = now_ms();
        int r;

        r = disk_format(ret->path, key, &fp);
        ret->ms_format = now_ms() - t;
        if (r < 0)
                return fail(ret, r, "disk.format_failed", "Formatting '%s' as LUKS2 failed: %s", ret->path,
                            strerror(-r));
        t = now_ms();
        r = disk_unlock(ret->path, name, key, c->discard);
        ret->ms_open = now_ms() - t;
        if (r < 0)
                return fail(ret, r, "disk.open_failed",
                            "The new LUKS2 volume on '%s' was written but cannot be opened as '%s': %s%s (it "
                            "stays marked unfinished; the next boot formats it again)",
                            ret->path, name, strerror(-r), open_hint(r));
        if (c->integrity != DISK_INTEGRITY_NONE) {
                t = now_ms();
                r = disk_format_wipe_integrity(name);
                ret->ms_format += now_ms() - t;
                if (r < 0) {
                        (void) disk_unlock_close(name);
                        return fail(ret, r, "disk.format_failed",
                                    "Initialising the integrity tags of '%s' failed: %s", ret->mapper,
                                    strerror(-r));
                }
        }
        t = now_ms();
        r = disk_mkfs(ret->mapper, c->fs);
        ret->ms_mkfs = now_ms() - t;
        if (r < 0) {
                (void) disk_unlock_close(name);
                return fail(ret, r, "disk.mkfs_failed", "Making %s on '%s' failed: %s",
                            disk_fs_to_string(c->fs), ret->mapper, strerror(-r));
        }
        t = now_ms();
        r = disk_mount(ret->mapper, c->fs, c->mountpoint, c->binds, c->discard);
        ret->ms_mount = now_ms() - t;
        if (r < 0) {
                /* Best effort: if a mount did succeed, the mapping stays busy. */
                (void) disk_unlock_close(name);
                return fail(ret, r, "disk.mount_failed", "Mounting '%s' at '%s' failed: %s", ret->mapper,
                            c->mountpoint, strerror(-r));
        }
        /* Only now is the disk in use: until this write, a crash leaves it
         * "formatting" and the next boot starts over. */
        r = disk_format_set_state(ret->path, DISK_TOKEN_STATE_READY);
        if (r < 0)
                return fail(ret, r, "disk.format_failed", "Marking the LUKS2 header of '%s' ready failed: %s",
                            ret->path, strerror(-r));
        return 0;
}

static int unlock_and_mount(const DiskConfig *c, const char *name, const Secret *key, DiskResult *ret) {
        DiskFs fs = ret->found.fs[0] ? disk_fs_from_string(ret->found.fs) : c->fs;
        double t = now_ms();
        int r;

        if (fs < 0)
                return fail(ret, EINVAL, "disk.mount_failed",
                            "The confnode token of '%s' names the file system '%s', which this build does not "
                            "mount",
                            ret->path, ret->found.fs);
        r = disk_unlock(ret->path, name, key, c->discard);
        ret->ms_open = now_ms() - t;
        if (r == -EPERM)
                return fail(ret, r, "disk.wrong_key",
                            "The released key does not open confnode's LUKS2 volume %s on '%s'; nothing was "
                            "changed",
                            ret->uuid, ret->path);
        if (r < 0)
                return fail(ret, r, "disk.open_failed", "Opening '%s' as '%s' failed: %s%s", ret->path, name,
                            strerror(-r), open_hint(r));
        if (c->fsck) {
                t = now_ms();
                r = disk_fsck(ret->mapper, fs);
                ret->ms_fsck = now_ms() - t;
                if (r < 0) {
                        (void) disk_unlock_close(name);
                        return fail(ret, r, "disk.mount_failed", "Checking the %s file system on '%s' failed",
                                    disk_fs_to_string(fs), ret->mapper);
                }
        }
        t = now_ms();
        r = disk_mount(ret->mapper, fs, c->mountpoint, c->binds, c->discard);
        ret->ms_mount = now_ms() - t;
        if (r < 0) {
                (void) disk_unlock_close(name);
                return fail(ret, r, "disk.mount_failed", "Mounting '%s' at '%s' failed: %s", ret->mapper,
                            c->mountpoint, strerror(-r));
        }
        return 0;
}

int disk_setup(const DiskConfig *c, const char *uuid, const Secret *key, DiskResult *ret) {
        const char *name = c->dm_name ? c->dm_name : DISK_DM_NAME;
        int r;

        ret->action = DISK_ACTION_NONE;
        r = locate_and_probe(c, ret);
        if (r < 0)
                return r;
        r = refuse(ret);
        if (r < 0)
                return r;
        if (!uuid || strlen(uuid) != DISK_UUID_STRING_MAX - 1)
                return fail(ret, EINVAL, "disk.changed", "No disk key UUID was chosen for '%s'", ret->path);
        if (ret->found.state != DISK_BLANK && strcmp(ret->found.uuid, uuid) != 0)
                return fail(ret, ESTALE, "disk.changed",
                            "The state disk '%s' now holds %s, not the volume %s its key was released for; "
                            "nothing was changed",
                            ret->path, ret->found.what, uuid);
        memcpy(ret->uuid, uuid, DISK_UUID_STRING_MAX);
        if (!key || key->size < DISK_KEY_MIN_SIZE)
                return fail(ret, EINVAL, "disk.wrong_key",
                            "The released disk key has %zu bytes, fewer than %d; nothing was changed",
                            key ? key->size : 0, DISK_KEY_MIN_SIZE);
        free(ret->mapper);
        if (asprintf(&ret->mapper, "/dev/mapper/%s", name) < 0) {
                ret->mapper = NULL;
                return fail(ret, ENOMEM, "agent.oom", "Out of memory");
        }

        switch (ret->found.state) {
        case DISK_BLANK:
                r = first_format(c, name, key, ret);
                if (r < 0)
                        return r;
                ret->action = DISK_ACTION_FORMATTED;
                return 0;
        case DISK_CONFNODE_UNFINISHED:
                /* Only the holder of this volume's key may start it over. */
                r = disk_unlock(ret->path, NULL, key, false);
                if (r == -EPERM)
                        return fail(ret, r, "disk.wrong_key",
                                    "The released key does not open the unfinished confnode volume %s on '%s'; "
                                    "nothing was changed",
                                    uuid, ret->path);
                if (r < 0)
                        return fail(ret, r, "disk.open_failed", "Checking the key of '%s' failed: %s", ret->path,
                                    strerror(-r));
                r = first_format(c, name, key, ret);
                if (r < 0)
                        return r;
                ret->action = DISK_ACTION_REFORMATTED;
                return 0;
        case DISK_CONFNODE_READY:
                r = unlock_and_mount(c, name, key, ret);
                if (r < 0)
                        return r;
                ret->action = DISK_ACTION_UNLOCKED;
                return 0;
        default:
                return fail(ret, EEXIST, "disk.unknown_data", "The state disk '%s' holds %s", ret->path,
                            ret->found.what);
        }
}
