#pragma once

/* What is on a disk, decided read-only with libblkid, libcryptsetup (a LUKS2
 * header and its confnode token) and an all-zero check of the first MiB. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#define DISK_UUID_STRING_MAX 37
#define DISK_PROBE_WHAT_MAX 256

/* The LUKS2 label and subsystem that mark a volume as confnode's. */
#define DISK_LUKS_LABEL "confnode-state"
#define DISK_LUKS_SUBSYSTEM "confnode"
#define DISK_TOKEN_TYPE "confnode"
#define DISK_TOKEN_VERSION 1

typedef enum DiskState {
        DISK_BLANK,                /* no signature, first MiB all zero */
        DISK_CONFNODE_READY,       /* confnode LUKS2, token state "ready" */
        DISK_CONFNODE_UNFINISHED,  /* confnode LUKS2, token not "ready": a first boot cut short */
        DISK_FOREIGN_FS,           /* a file system (or swap, RAID member, ...) */
        DISK_FOREIGN_PTABLE,       /* a partition table */
        DISK_FOREIGN_LUKS,         /* LUKS not marked as confnode's */
        DISK_OTHER,                /* non-zero bytes nothing recognises */
        _DISK_STATE_MAX,
        _DISK_STATE_INVALID = -EINVAL,
} DiskState;

typedef struct DiskProbe {
        DiskState state;
        char uuid[DISK_UUID_STRING_MAX]; /* LUKS UUID, canonical lower case; "" otherwise */
        char type[32];                   /* libblkid TYPE or PTTYPE; "" otherwise */
        char fs[16];                     /* confnode token: the file system inside */
        char what[DISK_PROBE_WHAT_MAX];  /* a sentence: what was found */
} DiskProbe;

const char *disk_state_to_string(DiskState s);

/* Probes path read-only. -errno only when it cannot be read at all. */
int disk_probe(const char *path, DiskProbe *ret);

/* Whether buf holds only zero bytes. */
bool disk_probe_all_zero(const void *buf, size_t size);
