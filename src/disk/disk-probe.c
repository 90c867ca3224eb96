#include "confnode/disk/disk-probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkid/blkid.h>

#include "confnode/basic/cleanup.h"
#include "disk-crypt-internal.h"
#include "disk-token-internal.h"

#define DISK_PROBE_ZERO_SIZE (1024 * 1024)

static const char *const state_names[_DISK_STATE_MAX] = {
        [DISK_BLANK] = "blank",
        [DISK_CONFNODE_READY] = "confnode-ready",
        [DISK_CONFNODE_UNFINISHED] = "confnode-unfinished",
        [DISK_FOREIGN_FS] = "foreign-fs",
        [DISK_FOREIGN_PTABLE] = "foreign-ptable",
        [DISK_FOREIGN_LUKS] = "foreign-luks",
        [DISK_OTHER] = "other",
};

const char *disk_state_to_string(DiskState s) {
        if (s < 0 || s >= _DISK_STATE_MAX)
                return NULL;
        return state_names[s];
}

static void blkid_free_probep(blkid_probe *p) {
        if (*p)
                blkid_free_probe(*p);
        *p = NULL;
}

bool disk_probe_all_zero(const void *buf, size_t size) {
        const uint8_t *p = buf;

        for (size_t i = 0; i < size; i++)
                if (p[i])
                        return false;
        return true;
}

/* Reads up to the first MiB; a shorter device is checked as far as it goes. */
static int first_mib_is_zero(int fd, bool *ret) {
        _cleanup_free_ uint8_t *buf = malloc(DISK_PROBE_ZERO_SIZE);
        size_t got = 0;

        if (!buf)
                return -ENOMEM;
        while (got < DISK_PROBE_ZERO_SIZE) {
                ssize_t n = pread(fd, buf + got, DISK_PROBE_ZERO_SIZE - got, (off_t) got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        *ret = disk_probe_all_zero(buf, got);
        return 0;
}

static void lower(char *s) {
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'F')
                        *s = (char) (*s - 'A' + 'a');
}

/* A LUKS volume: ours (label, subsystem and token) or someone else's. */
static void probe_luks(const char *path, const char *version, DiskProbe *ret) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        const char *label, *subsystem, *uuid;
        DiskToken tok;
        int r;

        snprintf(ret->type, sizeof(ret->type), "crypto_LUKS");
        ret->state = DISK_FOREIGN_LUKS;
        r = disk_crypt_init(path, true, &cd);
        if (r < 0) {
                snprintf(ret->what, sizeof(ret->what), "a LUKS%s header that is not LUKS2 or does not load (%s)",
                         version ? version : "", strerror(-r));
                return;
        }
        uuid = crypt_get_uuid(cd);
        if (uuid) {
                snprintf(ret->uuid, sizeof(ret->uuid), "%s", uuid);
                lower(ret->uuid);
        }
        label = crypt_get_label(cd);
        subsystem = crypt_get_subsystem(cd);
        if (!label || !subsystem || strcmp(label, DISK_LUKS_LABEL) != 0 ||
            strcmp(subsystem, DISK_LUKS_SUBSYSTEM) != 0) {
                snprintf(ret->what, sizeof(ret->what),
                         "a LUKS2 volume %s labelled '%s' (subsystem '%s') that is not confnode's", ret->uuid,
                         label ? label : "", subsystem ? subsystem : "");
                return;
        }
        r = disk_token_find(cd, &tok);
        if (r < 0) {
                snprintf(ret->what, sizeof(ret->what),
                         "a LUKS2 volume %s labelled as confnode's but without a valid confnode token (%s)",
                         ret->uuid, strerror(-r));
                return;
        }
        snprintf(ret->fs, sizeof(ret->fs), "%s", tok.fs);
        if (tok.version == DISK_TOKEN_VERSION && strcmp(tok.state, "ready") == 0) {
                ret->state = DISK_CONFNODE_READY;
                snprintf(ret->what, sizeof(ret->what), "confnode's LUKS2 volume %s, ready (%s)", ret->uuid,
                         tok.fs[0] ? tok.fs : "no fs named");
        } else if (tok.version == DISK_TOKEN_VERSION) {
                ret->state = DISK_CONFNODE_UNFINISHED;
                snprintf(ret->what, sizeof(ret->what),
                         "confnode's LUKS2 volume %s with state '%s': a first boot that did not finish",
                         ret->uuid, tok.state);
        } else
                snprintf(ret->what, sizeof(ret->what),
                         "a LUKS2 volume %s with a confnode token of unknown version %d", ret->uuid, tok.version);
}

int disk_probe(const char *path, DiskProbe *ret) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        _cleanup_close_ int fd = -1;
        const char *type = NULL, *pttype = NULL, *version = NULL, *usage = NULL;
        bool zero = false;
        int r;

        *ret = (DiskProbe){ .state = DISK_OTHER };
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        (void) blkid_probe_enable_superblocks(pr, 1);
        (void) blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_VERSION |
                                                             BLKID_SUBLKS_USAGE | BLKID_SUBLKS_UUID);
        (void) blkid_probe_enable_partitions(pr, 1);
        (void) blkid_probe_set_partitions_flags(pr, 0);
        r = blkid_do_safeprobe(pr);
        if (r == -2) {
                ret->state = DISK_OTHER;
                snprintf(ret->what, sizeof(ret->what),
                         "more than one signature libblkid recognises (ambivalent probe)");
                return 0;
        }
        if (r < 0)
                return -EIO;
        if (r == 0) {
                (void) blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
                (void) blkid_probe_lookup_value(pr, "VERSION", &version, NULL);
                (void) blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
                (void) blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
        }
        if (type && strcmp(type, "crypto_LUKS") == 0) {
                probe_luks(path, version, ret);
                return 0;
        }
        if (type) {
                ret->state = DISK_FOREIGN_FS;
                snprintf(ret->type, sizeof(ret->type), "%s", type);
                snprintf(ret->what, sizeof(ret->what), "a %s signature '%s'%s%s",
                         usage ? usage : "file system", type, version ? " version " : "", version ? version : "");
                return 0;
        }
        if (pttype) {
                ret->state = DISK_FOREIGN_PTABLE;
                snprintf(ret->type, sizeof(ret->type), "%s", pttype);
                snprintf(ret->what, sizeof(ret->what), "a '%s' partition table", pttype);
                return 0;
        }
        r = first_mib_is_zero(fd, &zero);
        if (r < 0)
                return r;
        if (!zero) {
                ret->state = DISK_OTHER;
                snprintf(ret->what, sizeof(ret->what),
                         "non-zero data in the first MiB that libblkid does not recognise");
                return 0;
        }
        ret->state = DISK_BLANK;
        snprintf(ret->what, sizeof(ret->what), "a blank disk (no signature, first MiB all zero)");
        return 0;
}
