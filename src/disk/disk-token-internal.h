#pragma once

/* The LUKS2 token of type "confnode" that marks a volume as ours and
 * records how far the first boot got. Private to src/disk. */

#include <stddef.h>

struct crypt_device;

typedef struct DiskToken {
        int id;          /* the token slot */
        char state[16];  /* DISK_TOKEN_STATE_* or whatever the header said (cut) */
        int version;
        char fs[16];
} DiskToken;

/* Finds the first token of type DISK_TOKEN_TYPE on a loaded LUKS2 device and
 * parses it (the JSON came from the disk: bounded parsing). -ENOENT if there
 * is none, -EBADMSG if it is malformed. */
int disk_token_find(struct crypt_device *cd, DiskToken *ret);

/* Parses a confnode token's JSON (from the disk: bounded, untrusted); the
 * fields it lacks stay empty/0, id is -1. -EBADMSG if it is not a JSON
 * object within the bounds. */
int disk_token_parse(const char *json, size_t size, DiskToken *ret);

/* Writes the token into slot id (CRYPT_ANY_TOKEN for a new one). */
int disk_token_write(struct crypt_device *cd, int id, const char *state, const char *fs);
