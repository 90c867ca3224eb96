#pragma once

/* The state disk decision (docs/disk.md): blank -> first format; confnode
 * and ready -> unlock and mount; confnode and unfinished -> format again
 * (nothing was stored yet); anything else -> refuse and touch nothing. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "confnode/basic/secret.h"
#include "confnode/disk/disk-format.h"
#include "confnode/disk/disk-locate.h"
#include "confnode/disk/disk-probe.h"

typedef struct DiskConfig {
        const char *device;          /* path, PARTLABEL=name or ID=name */
        const char *mountpoint;      /* where the encrypted file system goes */
        char *const *binds;          /* NULL-terminated absolute paths; may be NULL */
        const char *dm_name;         /* NULL: DISK_DM_NAME */
        DiskPbkdf pbkdf;
        uint32_t pbkdf_iterations;   /* 0: minimum / benchmark */
        DiskIntegrity integrity;
        DiskFs fs;
        bool discard;
        bool fsck;
        const DiskLocateRoots *roots; /* NULL: the real /dev/disk, /sys and / */
        bool allow_image_file;        /* tests: a regular file may stand in for the disk */
} DiskConfig;

typedef enum DiskAction {
        DISK_ACTION_NONE,         /* refused or failed before writing */
        DISK_ACTION_FORMATTED,    /* first boot: formatted, mkfs, mounted */
        DISK_ACTION_REFORMATTED,  /* an unfinished first boot done again */
        DISK_ACTION_UNLOCKED,     /* opened and mounted */
        _DISK_ACTION_MAX,
        _DISK_ACTION_INVALID = -EINVAL,
} DiskAction;

const char *disk_action_to_string(DiskAction a);

typedef struct DiskResult {
        DiskAction action;
        DiskProbe found;            /* what the probe saw before anything was done */
        char *path;                 /* the resolved device */
        char uuid[DISK_UUID_STRING_MAX];
        char *mapper;               /* /dev/mapper/NAME once opened */
        double ms_probe, ms_format, ms_open, ms_mkfs, ms_fsck, ms_mount;
        const char *reason;         /* on failure: a stable code, "disk.foreign_fs" */
        char *message;              /* on failure: a sentence naming what and where */
} DiskResult;

void disk_result_done(DiskResult *r);

/* The UUID whose key the resources phase asks for: an existing confnode
 * volume's LUKS UUID, or for a blank disk a fresh random (v4) UUID that
 * disk_setup() then formats with. A blank disk gets a new UUID on every
 * call, on purpose: nothing was written yet, and the UUID only matters once
 * a header carries it. On a disk it will refuse, it fails as disk_setup()
 * would (same errno, ret->reason and ret->message) without asking for a
 * key. ret->found and ret->path are filled either way. */
int disk_key_uuid(const DiskConfig *c, char ret_uuid[static DISK_UUID_STRING_MAX], DiskResult *ret);

/* Runs the decision with the key released for uuid (from disk_key_uuid()).
 * If the disk no longer matches uuid (it changed since), it is refused.
 * ret is filled on success and failure; on failure ret->reason is one of
 * disk.not_found, disk.root_disk, disk.foreign_fs, disk.foreign_ptable,
 * disk.foreign_luks, disk.unknown_data, disk.wrong_key, disk.format_failed,
 * disk.open_failed, disk.mkfs_failed, disk.mount_failed, disk.changed. */
int disk_setup(const DiskConfig *c, const char *uuid, const Secret *key, DiskResult *ret);
