/* Reports through configfs-tsm: make an entry, write inblob, read outblob
 * (and auxblob), and check with generation that nobody else wrote in
 * between; remove the entry whatever happened. */

#include "confnode/evidence/tsm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"

/* TSM_OUTBLOB_MAX: the most a provider may return. */
#define TSM_BLOB_MAX (32u * 1024)
#define TSM_ATTR_MAX 64u
/* Names taken by someone else before we find a free one. */
#define TSM_NAME_TRIES 16

typedef struct TsmEntry {
        char *path;
} TsmEntry;

/* The entry goes whatever happened: a stale one would hold the last
 * report for anyone to read, and configfs keeps it until removed. */
static void tsm_entry_remove(TsmEntry *e) {
        if (!e->path)
                return;
        if (rmdir(e->path) < 0)
                log_debug_errno(errno, "Cannot remove the configfs-tsm entry '%s', ignoring: %m",
                                e->path);
        free(e->path);
        e->path = NULL;
}

static int tsm_entry_make(const char *report_dir, TsmEntry *ret, TeeError *err) {
        static unsigned counter;

        for (unsigned i = 0; i < TSM_NAME_TRIES; i++) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s/confnode-%d-%u", report_dir, (int)getpid(), counter++) < 0)
                        return -ENOMEM;
                if (mkdir(path, 0700) == 0) {
                        ret->path = TAKE_PTR(path);
                        return 0;
                }
                switch (errno) {
                case EEXIST:
                        continue;
                case ENOENT:
                        return tee_evidence_error(
                                err, -ENOENT, "No configfs-tsm report directory '%s'", report_dir);
                case ENXIO:
                        return tee_evidence_error(err, -ENXIO,
                                                  "No TSM provider behind '%s' (mkdir '%s')",
                                                  report_dir, path);
                default:
                        return tee_evidence_error(err, -errno,
                                                  "Cannot create the report entry '%s'", path);
                }
        }
        return tee_evidence_error(err, -EEXIST, "No free entry name under '%s'", report_dir);
}

static int tsm_attr_path(const TsmEntry *e, const char *name, char **ret) {
        if (asprintf(ret, "%s/%s", e->path, name) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int tsm_read(const TsmEntry *e, const char *name, size_t max, uint8_t **ret,
                    size_t *ret_size, TeeError *err) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = tsm_attr_path(e, name, &path);
        if (r < 0)
                return r;
        r = read_full_file(path, max, ret, ret_size);
        if (r == -ENOENT)
                return r; /* the caller knows which attributes are optional */
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot read '%s'", path);
        return 0;
}

/* A text attribute: a value and a newline, as sysfs_emit() writes. */
static int tsm_read_text(const TsmEntry *e, const char *name, char *buf, size_t size,
                         TeeError *err) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t n;
        int r;

        r = tsm_read(e, name, TSM_ATTR_MAX, &data, &n, err);
        if (r == -ENOENT)
                return tee_evidence_error(err, r, "No '%s' in the configfs-tsm entry '%s'", name,
                                          e->path);
        if (r < 0)
                return r;
        while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == 0))
                n--;
        if (n == 0 || n >= size || memchr(data, 0, n) || memchr(data, '\n', n))
                return tee_evidence_error(err, -EBADMSG, "'%s/%s' does not hold one line of text",
                                          e->path, name);
        memcpy(buf, data, n);
        buf[n] = 0;
        return 0;
}

static int tsm_read_u64(const TsmEntry *e, const char *name, uint64_t *ret, TeeError *err) {
        char text[32], *end;
        uint64_t v;
        int r;

        r = tsm_read_text(e, name, text, sizeof(text), err);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoull(text, &end, 10);
        if (errno != 0 || *end != 0 || text[0] == '-')
                return tee_evidence_error(err, -EBADMSG, "'%s/%s' holds '%s', not a number",
                                          e->path, name, text);
        *ret = v;
        return 0;
}

/* One write() and close(): configfs takes a binary attribute when the
 * file is closed, so an error may only show there. */
static int tsm_write(const TsmEntry *e, const char *name, const void *data, size_t size,
                     TeeError *err) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        ssize_t n;
        int r;

        r = tsm_attr_path(e, name, &path);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return tee_evidence_error(err, -errno, "Cannot open '%s' for writing", path);
        n = write(fd, data, size);
        if (n < 0)
                return tee_evidence_error(err, -errno, "Cannot write '%s'", path);
        if ((size_t)n != size)
                return tee_evidence_error(err, -EIO, "Short write to '%s' (%zd of %zu bytes)", path,
                                          n, size);
        if (close(TAKE_FD(fd)) < 0)
                return tee_evidence_error(err, -errno, "Writing '%s' failed on close", path);
        return 0;
}

int tsm_provider(const char *report_dir, char *ret, size_t size, TeeError *err) {
        _cleanup_(tsm_entry_remove) TsmEntry e = {};
        int r;

        r = tsm_entry_make(report_dir, &e, err);
        if (r < 0)
                return r;
        return tsm_read_text(&e, "provider", ret, size, err);
}

static int tsm_type(const char *provider, TeeType *ret_type, TeeFormat *ret_format) {
        if (strcmp(provider, "sev_guest") == 0) {
                *ret_type = TEE_TYPE_SNP;
                *ret_format = TEE_FORMAT_SNP_REPORT;
                return 0;
        }
        if (strcmp(provider, "tdx_guest") == 0) {
                *ret_type = TEE_TYPE_TDX;
                *ret_format = TEE_FORMAT_TDX_QUOTE;
                return 0;
        }
        return -EOPNOTSUPP;
}

/* A guest running above VMPL 0 (under an SVSM) must ask for its own level
 * or above; the default of 0 would be refused. */
static int tsm_privlevel(const TsmEntry *e, unsigned *ret_writes, TeeError *err) {
        uint64_t floor;
        char text[24];
        int r;

        r = tsm_read_u64(e, "privlevel_floor", &floor, err);
        if (r == -ENOENT) {
                *err = (TeeError){};
                return 0;
        }
        if (r < 0)
                return r;
        if (floor == 0)
                return 0;
        snprintf(text, sizeof(text), "%" PRIu64 "\n", floor);
        r = tsm_write(e, "privlevel", text, strlen(text), err);
        if (r < 0)
                return r;
        (*ret_writes)++;
        return 0;
}

/* One entry, one report. -EAGAIN when generation says someone else
 * wrote: the report may be of their inblob. */
static int tsm_attempt(const char *report_dir,
                       const uint8_t report_data[static TEE_REPORT_DATA_SIZE], TeeEvidence *ev,
                       TeeError *err) {
        _cleanup_(tsm_entry_remove) TsmEntry e = {};
        uint64_t before, after;
        unsigned writes = 0;
        int r;

        r = tsm_entry_make(report_dir, &e, err);
        if (r < 0)
                return r;
        r = tsm_read_text(&e, "provider", ev->provider, sizeof(ev->provider), err);
        if (r < 0)
                return r;
        if (tsm_type(ev->provider, &ev->type, &ev->format) < 0)
                return tee_evidence_error(err, -EOPNOTSUPP,
                                          "configfs-tsm provider '%s' of '%s' is not one confnode "
                                          "reads (sev_guest, tdx_guest)",
                                          ev->provider, report_dir);
        r = tsm_read_u64(&e, "generation", &before, err);
        if (r < 0)
                return r;
        if (ev->type == TEE_TYPE_SNP) {
                r = tsm_privlevel(&e, &writes, err);
                if (r < 0)
                        return r;
        }
        r = tsm_write(&e, "inblob", report_data, TEE_REPORT_DATA_SIZE, err);
        if (r < 0)
                return r;
        writes++;

        free(ev->report);
        ev->report = NULL;
        r = tsm_read(&e, "outblob", TSM_BLOB_MAX, &ev->report, &ev->report_size, err);
        if (r == -ENOENT)
                return tee_evidence_error(err, r, "No 'outblob' in the configfs-tsm entry '%s'",
                                          e.path);
        if (r < 0)
                return r;
        free(ev->certs);
        ev->certs = NULL;
        ev->certs_size = 0;
        r = tsm_read(&e, "auxblob", TSM_BLOB_MAX, &ev->certs, &ev->certs_size, err);
        if (r < 0 && r != -ENOENT)
                return r;

        r = tsm_read_u64(&e, "generation", &after, err);
        if (r < 0)
                return r;
        if (after != before + writes) {
                log_debug("configfs-tsm entry '%s': generation went from %" PRIu64 " to %" PRIu64
                          " over our %u write(s): someone else wrote to it",
                          e.path, before, after, writes);
                return tee_evidence_error(err, -EAGAIN,
                                          "The generation of '%s' moved from %" PRIu64
                                          " to %" PRIu64 " over our %u write(s): another writer",
                                          e.path, before, after, writes);
        }
        return 0;
}

int tsm_collect(const char *report_dir, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                TeeEvidence **ret, TeeError *err) {
        _cleanup_(tee_evidence_freep) TeeEvidence *ev = NULL;
        int r;

        r = tee_evidence_new(TEE_SOURCE_TSM, report_dir, &ev);
        if (r < 0)
                return r;
        memcpy(ev->report_data, report_data, TEE_REPORT_DATA_SIZE);
        for (ev->attempts = 1; ev->attempts <= TSM_ATTEMPTS; ev->attempts++) {
                r = tsm_attempt(report_dir, report_data, ev, err);
                if (r != -EAGAIN)
                        break;
        }
        if (r == -EAGAIN)
                return tee_evidence_error(err, -EBUSY,
                                          "Another writer kept changing configfs-tsm entries under "
                                          "'%s' (%d attempts)",
                                          report_dir, TSM_ATTEMPTS);
        if (r < 0)
                return r;
        r = tee_evidence_check(ev, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ev);
        return 0;
}
