#include "confnode/disk/disk-format.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "confnode/disk/disk-probe.h"
#include "disk-crypt-internal.h"
#include "disk-token-internal.h"

/* aes-xts-plain64 with two 256-bit AES keys; HMAC-SHA256 adds its own. */
#define DISK_CIPHER "aes"
#define DISK_CIPHER_MODE "xts-plain64"
#define DISK_CIPHER_KEY_SIZE 64
#define DISK_HMAC_KEY_SIZE 32

static const char *const pbkdf_names[_DISK_PBKDF_MAX] = {
        [DISK_PBKDF_PBKDF2] = "pbkdf2",
        [DISK_PBKDF_ARGON2ID] = "argon2id",
};
static const char *const integrity_names[_DISK_INTEGRITY_MAX] = {
        [DISK_INTEGRITY_NONE] = "none",
        [DISK_INTEGRITY_HMAC_SHA256] = "hmac-sha256",
};
static const char *const fs_names[_DISK_FS_MAX] = {
        [DISK_FS_EXT4] = "ext4",
        [DISK_FS_XFS] = "xfs",
};

static int lookup(const char *const *names, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (strcmp(names[i], s) == 0)
                        return i;
        return -EINVAL;
}

const char *disk_pbkdf_to_string(DiskPbkdf p) {
        return p >= 0 && p < _DISK_PBKDF_MAX ? pbkdf_names[p] : NULL;
}
DiskPbkdf disk_pbkdf_from_string(const char *s) {
        return (DiskPbkdf) lookup(pbkdf_names, _DISK_PBKDF_MAX, s);
}
const char *disk_integrity_to_string(DiskIntegrity i) {
        return i >= 0 && i < _DISK_INTEGRITY_MAX ? integrity_names[i] : NULL;
}
DiskIntegrity disk_integrity_from_string(const char *s) {
        return (DiskIntegrity) lookup(integrity_names, _DISK_INTEGRITY_MAX, s);
}
const char *disk_fs_to_string(DiskFs f) {
        return f >= 0 && f < _DISK_FS_MAX ? fs_names[f] : NULL;
}
DiskFs disk_fs_from_string(const char *s) {
        return (DiskFs) lookup(fs_names, _DISK_FS_MAX, s);
}

/* The released key is 256 random bits, so stretching it buys nothing: by
 * default PBKDF2 runs libcryptsetup's minimum iterations, with no benchmark. */
static int pbkdf_params(const DiskFormatParams *p, struct crypt_pbkdf_type *ret) {
        const struct crypt_pbkdf_type *def;

        switch (p->pbkdf) {
        case DISK_PBKDF_PBKDF2:
                if (p->pbkdf_iterations != 0 && p->pbkdf_iterations < DISK_PBKDF2_MIN_ITERATIONS)
                        return -EINVAL;
                *ret = (struct crypt_pbkdf_type){
                        .type = CRYPT_KDF_PBKDF2,
                        .hash = "sha256",
                        .iterations = p->pbkdf_iterations ? p->pbkdf_iterations : DISK_PBKDF2_MIN_ITERATIONS,
                        .flags = CRYPT_PBKDF_NO_BENCHMARK,
                };
                return 0;
        case DISK_PBKDF_ARGON2ID:
                def = crypt_get_pbkdf_default(CRYPT_LUKS2);
                if (!def)
                        return -EINVAL;
                *ret = *def;
                ret->type = CRYPT_KDF_ARGON2ID;
                if (p->pbkdf_iterations != 0) {
                        ret->iterations = p->pbkdf_iterations;
                        ret->time_ms = 0;
                        ret->flags |= CRYPT_PBKDF_NO_BENCHMARK;
                }
                return 0;
        default:
                return -EINVAL;
        }
}

int disk_format(const char *path, const Secret *key, const DiskFormatParams *p) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        struct crypt_pbkdf_type pbkdf;
        struct crypt_params_luks2 params;
        size_t vk_size = DISK_CIPHER_KEY_SIZE;
        const char *fs = disk_fs_to_string(p->fs);
        int r;

        if (!key || key->size < DISK_KEY_MIN_SIZE || !fs)
                return -EINVAL;
        r = pbkdf_params(p, &pbkdf);
        if (r < 0)
                return r;
        params = (struct crypt_params_luks2){
                .pbkdf = &pbkdf,
                .label = DISK_LUKS_LABEL,
                .subsystem = DISK_LUKS_SUBSYSTEM,
        };
        switch (p->integrity) {
        case DISK_INTEGRITY_NONE:
                break;
        case DISK_INTEGRITY_HMAC_SHA256:
                params.integrity = "hmac(sha256)";
                vk_size += DISK_HMAC_KEY_SIZE;
                break;
        default:
                return -EINVAL;
        }

        r = disk_crypt_init(path, false, &cd);
        if (r < 0)
                return r;
        r = crypt_set_pbkdf_type(cd, &pbkdf);
        if (r < 0)
                return r;
        /* A NULL volume key: libcryptsetup draws a random one and keeps it
         * in its own locked memory until crypt_free(). */
        r = crypt_format(cd, CRYPT_LUKS2, DISK_CIPHER, DISK_CIPHER_MODE, p->uuid, NULL, vk_size, &params);
        if (r < 0)
                return r;
        r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, (const char *) key->data, key->size);
        if (r < 0)
                return r;
        /* Marked "formatting" until the file system is made and mounted: a
         * boot cut short before that is told apart from a finished one. */
        return disk_token_write(cd, CRYPT_ANY_TOKEN, DISK_TOKEN_STATE_FORMATTING, fs);
}

int disk_format_set_state(const char *path, const char *state) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        DiskToken tok;
        int r;

        r = disk_crypt_init(path, true, &cd);
        if (r < 0)
                return r;
        r = disk_token_find(cd, &tok);
        if (r < 0)
                return r;
        return disk_token_write(cd, tok.id, state, tok.fs[0] ? tok.fs : "ext4");
}

int disk_format_wipe_integrity(const char *name) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        char path[256];
        int r;

        r = crypt_init_by_name(&cd, name);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/dev/mapper/%s", name);
        r = crypt_wipe(cd, path, CRYPT_WIPE_ZERO, 0, 0, 1024 * 1024, 0, NULL, NULL);
        return r < 0 ? r : 0;
}
