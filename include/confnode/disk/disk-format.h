#pragma once

/* Writing a confnode LUKS2 header: a random volume key in one keyslot
 * whose passphrase is the released key, marked as confnode's by label,
 * subsystem and a "confnode" token that records the first boot's progress. */

#include <errno.h>
#include <stdint.h>

#include "confnode/basic/secret.h"

typedef enum DiskPbkdf {
        DISK_PBKDF_PBKDF2,   /* sha256, minimum iterations unless configured */
        DISK_PBKDF_ARGON2ID, /* cryptsetup's benchmarked default unless configured */
        _DISK_PBKDF_MAX,
        _DISK_PBKDF_INVALID = -EINVAL,
} DiskPbkdf;

typedef enum DiskIntegrity {
        DISK_INTEGRITY_NONE,
        DISK_INTEGRITY_HMAC_SHA256, /* dm-integrity, authenticated encryption */
        _DISK_INTEGRITY_MAX,
        _DISK_INTEGRITY_INVALID = -EINVAL,
} DiskIntegrity;

typedef enum DiskFs {
        DISK_FS_EXT4,
        DISK_FS_XFS,
        _DISK_FS_MAX,
        _DISK_FS_INVALID = -EINVAL,
} DiskFs;

/* The token's "state". */
#define DISK_TOKEN_STATE_FORMATTING "formatting"
#define DISK_TOKEN_STATE_READY "ready"

/* The smallest released key we format with: 256 bits. */
#define DISK_KEY_MIN_SIZE 32
/* libcryptsetup's floor for PBKDF2 iterations. */
#define DISK_PBKDF2_MIN_ITERATIONS 1000

typedef struct DiskFormatParams {
        DiskPbkdf pbkdf;
        uint32_t pbkdf_iterations; /* 0: the minimum (PBKDF2) or the benchmark (argon2id) */
        DiskIntegrity integrity;
        DiskFs fs;
        const char *uuid;          /* the UUID the key was released for; NULL: random */
} DiskFormatParams;

const char *disk_pbkdf_to_string(DiskPbkdf p);
DiskPbkdf disk_pbkdf_from_string(const char *s);
const char *disk_integrity_to_string(DiskIntegrity i);
DiskIntegrity disk_integrity_from_string(const char *s);
const char *disk_fs_to_string(DiskFs f);
DiskFs disk_fs_from_string(const char *s);

/* Formats path as confnode LUKS2 with the token state "formatting". Every
 * byte of the old header area is overwritten; call it only on a disk the
 * probe found blank or unfinished. -EINVAL for a key shorter than
 * DISK_KEY_MIN_SIZE or bad parameters; other -errno from libcryptsetup. */
int disk_format(const char *path, const Secret *key, const DiskFormatParams *p);

/* Sets the token's state (DISK_TOKEN_STATE_*) on the confnode volume at
 * path, keeping its other fields. -ENOENT if it has no confnode token. */
int disk_format_set_state(const char *path, const char *state);

/* With dm-integrity, every sector's tag must be written once before the
 * file system reads it: zeroes the opened volume /dev/mapper/name. */
int disk_format_wipe_integrity(const char *name);
