/* confnode-sim tsm-tree: a configfs-tsm look-alike over FUSE, so the
 * agent's configfs-tsm collector runs unchanged against a simulated TEE.
 * It keeps the kernel's semantics (drivers/virt/coco/tsm.c and the
 * providers' report_new()):
 *   - MOUNTPOINT/report/NAME is made by mkdir and goes with rmdir; other
 *     directories cannot be made or removed (EPERM);
 *   - attribute modes as configfs gives them (write-only 0200, read-only
 *     0444), and opening against them is EACCES;
 *   - inblob takes up to 64 bytes (more is EFBIG), all at once when the
 *     file is closed, as configfs commits binary attributes;
 *   - privlevel takes a number from privlevel_floor to 3 (else EINVAL) on
 *     each write; each write of either moves generation by one;
 *   - outblob and auxblob are made on the first read after a write (EINVAL
 *     while inblob is not 64 bytes, or when privlevel is below the floor)
 *     and served from that until the next write; one open file reads one
 *     snapshot;
 *   - sev_guest shows all seven attributes, outblob the bare 1184-byte
 *     report, auxblob the GHCB certificate table; tdx_guest shows inblob,
 *     outblob, provider and generation, outblob a TDX quote.
 * It runs single-threaded, so no request sees another half-done. */

#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fuse.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"
#include "sim-args.h"
#include "sim-daemon.h"
#include "snp-sim.h"
#include "tdx-sim.h"
#include "verbs.h"

#define TSM_TREE_INBLOB_MAX 64
#define TSM_TREE_PRIVLEVEL_MAX 3
#define TSM_TREE_TEXT_MAX 64

typedef enum TsmTreeProvider {
        TSM_TREE_SEV_GUEST,
        TSM_TREE_TDX_GUEST,
        _TSM_TREE_PROVIDER_MAX,
        _TSM_TREE_PROVIDER_INVALID = -EINVAL,
} TsmTreeProvider;

static const char *const tsm_tree_providers[_TSM_TREE_PROVIDER_MAX] = {
        [TSM_TREE_SEV_GUEST] = "sev_guest",
        [TSM_TREE_TDX_GUEST] = "tdx_guest",
};

typedef enum TsmTreeAttr {
        TSM_ATTR_INBLOB,
        TSM_ATTR_OUTBLOB,
        TSM_ATTR_AUXBLOB,
        TSM_ATTR_PROVIDER,
        TSM_ATTR_GENERATION,
        TSM_ATTR_PRIVLEVEL,
        TSM_ATTR_PRIVLEVEL_FLOOR,
        _TSM_ATTR_MAX,
        _TSM_ATTR_INVALID = -EINVAL,
} TsmTreeAttr;

static const struct {
        const char *name;
        mode_t mode;
        bool tdx; /* shown for tdx_guest too */
} tsm_tree_attrs[_TSM_ATTR_MAX] = {
        [TSM_ATTR_INBLOB] = {"inblob", 0200, true},
        [TSM_ATTR_OUTBLOB] = {"outblob", 0444, true},
        [TSM_ATTR_AUXBLOB] = {"auxblob", 0444, false},
        [TSM_ATTR_PROVIDER] = {"provider", 0444, true},
        [TSM_ATTR_GENERATION] = {"generation", 0444, true},
        [TSM_ATTR_PRIVLEVEL] = {"privlevel", 0200, false},
        [TSM_ATTR_PRIVLEVEL_FLOOR] = {"privlevel_floor", 0444, false},
};

typedef struct TsmTreeEntry {
        char *name;
        uint8_t inblob[TSM_TREE_INBLOB_MAX];
        size_t inblob_len;
        unsigned privlevel;
        unsigned long write_generation;
        unsigned long read_generation;
        uint8_t *outblob;
        size_t outblob_len;
        uint8_t *auxblob;
        size_t auxblob_len;
        time_t made;
        struct TsmTreeEntry *next;
} TsmTreeEntry;

typedef struct TsmTree {
        TsmTreeProvider provider;
        SimConfig config;
        SimCa *ca;
        uint8_t *certs;
        size_t certs_size;
        TsmTreeEntry *entries;
        bool other_writer; /* the next report is preceded by another writer's inblob */
        time_t started;
} TsmTree;

/* An open attribute: what was read (a snapshot) or is being written. */
typedef struct TsmTreeFile {
        char *entry;
        TsmTreeAttr attr;
        uint8_t *data;
        size_t size;
        bool filled; /* reads: the snapshot is taken */
        bool dirty;  /* inblob: written since the last commit */
} TsmTreeFile;

static TsmTree *tsm_tree(void) {
        return fuse_get_context()->private_data;
}

static void tsm_tree_entry_free(TsmTreeEntry *e) {
        if (!e)
                return;
        free(e->name);
        free(e->outblob);
        free(e->auxblob);
        free(e);
}

static bool tsm_tree_attr_visible(const TsmTree *t, TsmTreeAttr a) {
        return t->provider == TSM_TREE_SEV_GUEST || tsm_tree_attrs[a].tdx;
}

static TsmTreeAttr tsm_tree_attr_from_name(const TsmTree *t, const char *name) {
        for (TsmTreeAttr a = 0; a < _TSM_ATTR_MAX; a++)
                if (strcmp(tsm_tree_attrs[a].name, name) == 0 && tsm_tree_attr_visible(t, a))
                        return a;
        return _TSM_ATTR_INVALID;
}

static TsmTreeEntry *tsm_tree_entry_find(TsmTree *t, const char *name) {
        for (TsmTreeEntry *e = t->entries; e; e = e->next)
                if (strcmp(e->name, name) == 0)
                        return e;
        return NULL;
}

/* What a path names. */
typedef enum TsmTreeNode {
        TSM_NODE_ROOT,
        TSM_NODE_REPORTS,
        TSM_NODE_ENTRY, /* report/NAME, existing or not */
        TSM_NODE_ATTR,  /* report/NAME/ATTR, the entry existing */
        TSM_NODE_NONE,
        _TSM_NODE_MAX,
        _TSM_NODE_INVALID = -EINVAL,
} TsmTreeNode;

typedef struct TsmTreePath {
        TsmTreeNode node;
        char entry[NAME_MAX + 1];
        TsmTreeEntry *e; /* for ENTRY (if it exists) and ATTR */
        TsmTreeAttr attr;
} TsmTreePath;

static void tsm_tree_resolve(TsmTree *t, const char *path, TsmTreePath *ret) {
        const char *p = path, *slash;
        size_t n;

        *ret = (TsmTreePath){.node = TSM_NODE_NONE, .attr = _TSM_ATTR_INVALID};
        if (strcmp(p, "/") == 0) {
                ret->node = TSM_NODE_ROOT;
                return;
        }
        if (strncmp(p, "/report", 7) != 0 || (p[7] != 0 && p[7] != '/'))
                return;
        p += 7;
        if (*p == 0) {
                ret->node = TSM_NODE_REPORTS;
                return;
        }
        p++;
        slash = strchr(p, '/');
        n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || n > NAME_MAX)
                return;
        memcpy(ret->entry, p, n);
        ret->entry[n] = 0;
        ret->e = tsm_tree_entry_find(t, ret->entry);
        if (!slash) {
                ret->node = TSM_NODE_ENTRY;
                return;
        }
        if (!ret->e || strchr(slash + 1, '/'))
                return;
        ret->attr = tsm_tree_attr_from_name(t, slash + 1);
        if (ret->attr >= 0)
                ret->node = TSM_NODE_ATTR;
}

static int tsm_tree_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
        TsmTree *t = tsm_tree();
        TsmTreePath p;

        tsm_tree_resolve(t, path, &p);
        memset(st, 0, sizeof(*st));
        st->st_uid = getuid();
        st->st_gid = getgid();
        st->st_atime = st->st_mtime = st->st_ctime = t->started;
        switch (p.node) {
        case TSM_NODE_ROOT:
        case TSM_NODE_REPORTS:
                st->st_mode = S_IFDIR | 0755;
                st->st_nlink = 2;
                return 0;
        case TSM_NODE_ENTRY:
                if (!p.e)
                        return -ENOENT;
                st->st_mode = S_IFDIR | 0755;
                st->st_nlink = 2;
                st->st_atime = st->st_mtime = st->st_ctime = p.e->made;
                return 0;
        case TSM_NODE_ATTR:
                /* configfs gives every attribute a page-sized length; the
                 * contents are read with direct I/O, whatever it says. */
                st->st_mode = S_IFREG | tsm_tree_attrs[p.attr].mode;
                st->st_nlink = 1;
                st->st_size = 4096;
                st->st_atime = st->st_mtime = st->st_ctime = p.e->made;
                return 0;
        default:
                return -ENOENT;
        }
}

static int tsm_tree_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                            struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
        TsmTree *t = tsm_tree();
        TsmTreePath p;

        tsm_tree_resolve(t, path, &p);
        if (p.node != TSM_NODE_ROOT && p.node != TSM_NODE_REPORTS &&
            !(p.node == TSM_NODE_ENTRY && p.e))
                return p.node == TSM_NODE_ATTR ? -ENOTDIR : -ENOENT;
        fill(buf, ".", NULL, 0, 0);
        fill(buf, "..", NULL, 0, 0);
        if (p.node == TSM_NODE_ROOT)
                fill(buf, "report", NULL, 0, 0);
        else if (p.node == TSM_NODE_REPORTS)
                for (TsmTreeEntry *e = t->entries; e; e = e->next)
                        fill(buf, e->name, NULL, 0, 0);
        else
                for (TsmTreeAttr a = 0; a < _TSM_ATTR_MAX; a++)
                        if (tsm_tree_attr_visible(t, a))
                                fill(buf, tsm_tree_attrs[a].name, NULL, 0, 0);
        return 0;
}

static int tsm_tree_mkdir(const char *path, mode_t mode) {
        TsmTree *t = tsm_tree();
        TsmTreeEntry *e;
        TsmTreePath p;

        tsm_tree_resolve(t, path, &p);
        if (p.node != TSM_NODE_ENTRY) {
                _cleanup_free_ char *parent = strdup(path);
                char *slash = parent ? strrchr(parent, '/') : NULL;
                TsmTreePath pp;

                if (!slash)
                        return -ENOMEM;
                /* configfs: directories are made only as report entries;
                 * anywhere else that exists, not at all. */
                if (slash == parent)
                        return -EPERM;
                *slash = 0;
                tsm_tree_resolve(t, parent, &pp);
                return pp.node == TSM_NODE_NONE || (pp.node == TSM_NODE_ENTRY && !pp.e) ? -ENOENT
                                                                                        : -EPERM;
        }
        if (p.e)
                return -EEXIST;
        e = calloc(1, sizeof(*e));
        if (!e || !(e->name = strdup(p.entry))) {
                free(e);
                return -ENOMEM;
        }
        e->made = time(NULL);
        e->next = t->entries;
        t->entries = e;
        log_debug("tsm-tree: entry '%s' made", e->name);
        return 0;
}

static int tsm_tree_rmdir(const char *path) {
        TsmTree *t = tsm_tree();
        TsmTreePath p;

        tsm_tree_resolve(t, path, &p);
        if (p.node != TSM_NODE_ENTRY)
                return p.node == TSM_NODE_ATTR ? -ENOTDIR : -EPERM;
        if (!p.e)
                return -ENOENT;
        for (TsmTreeEntry **pp = &t->entries; *pp; pp = &(*pp)->next)
                if (*pp == p.e) {
                        *pp = p.e->next;
                        break;
                }
        log_debug("tsm-tree: entry '%s' removed", p.e->name);
        tsm_tree_entry_free(p.e);
        return 0;
}

static int tsm_tree_open(const char *path, struct fuse_file_info *fi) {
        TsmTree *t = tsm_tree();
        TsmTreeFile *f;
        TsmTreePath p;
        int acc = fi->flags & O_ACCMODE;

        tsm_tree_resolve(t, path, &p);
        if (p.node != TSM_NODE_ATTR)
                return p.node == TSM_NODE_NONE || p.node == TSM_NODE_ENTRY ? -ENOENT : -EISDIR;
        if ((acc != O_WRONLY && !(tsm_tree_attrs[p.attr].mode & 0400)) ||
            (acc != O_RDONLY && !(tsm_tree_attrs[p.attr].mode & 0200)))
                return -EACCES;
        f = calloc(1, sizeof(*f));
        if (!f || !(f->entry = strdup(p.entry))) {
                free(f);
                return -ENOMEM;
        }
        f->attr = p.attr;
        fi->fh = (uint64_t)(uintptr_t)f;
        fi->direct_io = 1;
        fi->nonseekable = 0;
        return 0;
}

/* The kernel stops taking writes when write_generation would catch up
 * with read_generation without a read in between. */
static int tsm_tree_advance(TsmTreeEntry *e) {
        if (e->write_generation == e->read_generation - 1)
                return -EBUSY;
        e->write_generation++;
        return 0;
}

/* The provider's report_new(): what outblob and auxblob hold for the
 * entry's inblob and privlevel. */
static int tsm_tree_report_new(TsmTree *t, TsmTreeEntry *e) {
        _cleanup_free_ uint8_t *out = NULL, *aux = NULL;
        size_t out_len = 0, aux_len = 0;
        int r;

        if (e->inblob_len != TSM_TREE_INBLOB_MAX)
                return -EINVAL;
        if (t->provider == TSM_TREE_SEV_GUEST) {
                /* The firmware refuses a VMPL above the guest's own; the
                 * kernel turns that status into EINVAL. */
                if (e->privlevel < t->config.snp.vmpl)
                        return -EINVAL;
                out = malloc(SNP_REPORT_SIZE);
                if (!out)
                        return -ENOMEM;
                r = snp_sim_report(&t->config.snp, t->ca->vcek_key, e->inblob, e->privlevel, out);
                if (r < 0)
                        return r;
                out_len = SNP_REPORT_SIZE;
                aux = malloc(t->certs_size);
                if (!aux)
                        return -ENOMEM;
                memcpy(aux, t->certs, t->certs_size);
                aux_len = t->certs_size;
        } else {
                r = tdx_sim_quote(&t->config.tdx, t->ca, e->inblob, &out, &out_len);
                if (r < 0)
                        return r;
        }
        free(e->outblob);
        free(e->auxblob);
        e->outblob = TAKE_PTR(out);
        e->outblob_len = out_len;
        e->auxblob = TAKE_PTR(aux);
        e->auxblob_len = aux_len;
        return 0;
}

/* As another process writing inblob between our write and our read: the
 * report is then of its data, and generation says so. */
static void tsm_tree_other_writer(TsmTree *t, TsmTreeEntry *e) {
        if (!t->other_writer)
                return;
        t->other_writer = false;
        if (RAND_bytes(e->inblob, sizeof(e->inblob)) != 1)
                memset(e->inblob, 0x5a, sizeof(e->inblob));
        e->inblob_len = sizeof(e->inblob);
        (void)tsm_tree_advance(e);
        log_info("tsm-tree: simulating another writer to '%s' (generation now %lu)", e->name,
                 e->write_generation);
}

static int tsm_tree_fill(TsmTree *t, TsmTreeEntry *e, TsmTreeFile *f) {
        char text[TSM_TREE_TEXT_MAX];
        const uint8_t *src;
        size_t n;
        int r;

        switch (f->attr) {
        case TSM_ATTR_PROVIDER:
                n = (size_t)snprintf(text, sizeof(text), "%s\n", tsm_tree_providers[t->provider]);
                src = (const uint8_t *)text;
                break;
        case TSM_ATTR_GENERATION:
                n = (size_t)snprintf(text, sizeof(text), "%lu\n", e->write_generation);
                src = (const uint8_t *)text;
                break;
        case TSM_ATTR_PRIVLEVEL_FLOOR:
                n = (size_t)snprintf(text, sizeof(text), "%u\n", t->config.snp.vmpl);
                src = (const uint8_t *)text;
                break;
        case TSM_ATTR_OUTBLOB:
        case TSM_ATTR_AUXBLOB:
                if (e->inblob_len == 0)
                        return -EINVAL;
                if (!e->outblob || e->read_generation != e->write_generation) {
                        tsm_tree_other_writer(t, e);
                        r = tsm_tree_report_new(t, e);
                        if (r < 0)
                                return r;
                        e->read_generation = e->write_generation;
                }
                src = f->attr == TSM_ATTR_OUTBLOB ? e->outblob : e->auxblob;
                n = f->attr == TSM_ATTR_OUTBLOB ? e->outblob_len : e->auxblob_len;
                break;
        default:
                return -EACCES;
        }
        f->data = n > 0 ? malloc(n) : NULL;
        if (n > 0 && !f->data)
                return -ENOMEM;
        if (n > 0)
                memcpy(f->data, src, n);
        f->size = n;
        f->filled = true;
        return 0;
}

static int tsm_tree_read(const char *path, char *buf, size_t size, off_t off,
                         struct fuse_file_info *fi) {
        TsmTreeFile *f = (TsmTreeFile *)(uintptr_t)fi->fh;
        TsmTree *t = tsm_tree();
        TsmTreeEntry *e;
        int r;

        if (!f->filled) {
                e = tsm_tree_entry_find(t, f->entry);
                if (!e)
                        return -ENOENT;
                r = tsm_tree_fill(t, e, f);
                if (r < 0)
                        return r;
        }
        if (off < 0 || (size_t)off >= f->size)
                return 0;
        if (size > f->size - (size_t)off)
                size = f->size - (size_t)off;
        memcpy(buf, f->data + off, size);
        return (int)size;
}

/* kstrtouint(buf, 0, …): decimal, 0x hex or 0 octal, one trailing
 * newline allowed. */
static int tsm_tree_parse_uint(const char *buf, size_t size, unsigned *ret) {
        char text[TSM_TREE_TEXT_MAX], *end;
        unsigned long v;

        if (size == 0 || size >= sizeof(text))
                return -EINVAL;
        memcpy(text, buf, size);
        text[size] = 0;
        if (text[size - 1] == '\n')
                text[size - 1] = 0;
        if (!text[0] || text[0] == '-' || text[0] == '+' || text[0] == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoul(text, &end, 0);
        if (errno != 0 || *end != 0 || v > UINT_MAX)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

static int tsm_tree_write(const char *path, const char *buf, size_t size, off_t off,
                          struct fuse_file_info *fi) {
        TsmTreeFile *f = (TsmTreeFile *)(uintptr_t)fi->fh;
        TsmTree *t = tsm_tree();
        TsmTreeEntry *e = tsm_tree_entry_find(t, f->entry);
        unsigned v;
        int r;

        if (!e)
                return -ENOENT;
        if (f->attr == TSM_ATTR_PRIVLEVEL) {
                /* A text attribute is stored on every write. */
                r = tsm_tree_parse_uint(buf, size, &v);
                if (r < 0 || v < t->config.snp.vmpl || v > TSM_TREE_PRIVLEVEL_MAX)
                        return -EINVAL;
                r = tsm_tree_advance(e);
                if (r < 0)
                        return r;
                e->privlevel = v;
                return (int)size;
        }
        if (f->attr != TSM_ATTR_INBLOB)
                return -EACCES;
        if (off < 0 || (size_t)off + size > TSM_TREE_INBLOB_MAX)
                return -EFBIG;
        if (!f->data) {
                f->data = calloc(1, TSM_TREE_INBLOB_MAX);
                if (!f->data)
                        return -ENOMEM;
        }
        memcpy(f->data + off, buf, size);
        if ((size_t)off + size > f->size)
                f->size = (size_t)off + size;
        f->dirty = true;
        return (int)size;
}

/* configfs hands a binary attribute to the provider when the file is
 * released; close() waits for FUSE's flush, so that is where it happens
 * here, and the writer sees generation moved once close() returns. */
static int tsm_tree_flush(const char *path, struct fuse_file_info *fi) {
        TsmTreeFile *f = (TsmTreeFile *)(uintptr_t)fi->fh;
        TsmTree *t = tsm_tree();
        TsmTreeEntry *e;

        if (!f->dirty)
                return 0;
        f->dirty = false;
        e = tsm_tree_entry_find(t, f->entry);
        if (!e)
                return 0;
        /* As configfs, the result of the commit is not reported. */
        if (tsm_tree_advance(e) < 0)
                return 0;
        memcpy(e->inblob, f->data, f->size);
        e->inblob_len = f->size;
        log_debug("tsm-tree: '%s' inblob of %zu bytes, generation %lu", e->name, f->size,
                  e->write_generation);
        return 0;
}

static int tsm_tree_release(const char *path, struct fuse_file_info *fi) {
        TsmTreeFile *f = (TsmTreeFile *)(uintptr_t)fi->fh;

        (void)tsm_tree_flush(path, fi);
        free(f->entry);
        free(f->data);
        free(f);
        return 0;
}

static int tsm_tree_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
        TsmTreePath p;

        tsm_tree_resolve(tsm_tree(), path, &p);
        if (p.node != TSM_NODE_ATTR)
                return -EPERM;
        /* Opening with O_TRUNC, as a shell's '>' does, is fine; the
         * attribute's value is whatever the next write says. */
        return 0;
}

static void *tsm_tree_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
        /* Every answer fresh: entries come and go, and attributes change
         * with every write. */
        cfg->direct_io = 1;
        cfg->entry_timeout = 0;
        cfg->attr_timeout = 0;
        cfg->negative_timeout = 0;
        cfg->kernel_cache = 0;
        return fuse_get_context()->private_data;
}

static const struct fuse_operations tsm_tree_ops = {
        .init = tsm_tree_init,
        .getattr = tsm_tree_getattr,
        .readdir = tsm_tree_readdir,
        .mkdir = tsm_tree_mkdir,
        .rmdir = tsm_tree_rmdir,
        .open = tsm_tree_open,
        .read = tsm_tree_read,
        .write = tsm_tree_write,
        .flush = tsm_tree_flush,
        .release = tsm_tree_release,
        .truncate = tsm_tree_truncate,
};

static void tsm_tree_done(TsmTree *t) {
        while (t->entries) {
                TsmTreeEntry *e = t->entries;

                t->entries = e->next;
                tsm_tree_entry_free(e);
        }
        sim_ca_free(t->ca);
        free(t->certs);
}

static void tsm_tree_help(void) {
        printf("Usage: confnode-sim tsm-tree --dir DIR MOUNTPOINT [--provider "
               "sev_guest|tdx_guest]\n"
               "                            [--daemon] [--pid-file FILE] "
               "[--simulate-other-writer]\n"
               "\n"
               "Serves a configfs-tsm look-alike of the simulated platform in DIR at\n"
               "MOUNTPOINT/report (point the agent's tsm_path there). Runs until SIGTERM, then\n"
               "unmounts.\n"
               "\n"
               "  -d, --dir DIR             A directory made by 'confnode-sim init'\n"
               "  -p, --provider NAME       sev_guest (default: SEV-SNP reports) or tdx_guest\n"
               "                            (TDX quotes)\n"
               "  -D, --daemon              Return once mounted; serve in the background\n"
               "  -P, --pid-file FILE       Write the serving process's PID to FILE\n"
               "      --simulate-other-writer\n"
               "                            Before the first report, write another inblob as a\n"
               "                            second process would (tests generation checks)\n"
               "  -c, --config FILE         Values over DIR/sim.conf\n"
               "  -s, --set KEY=VALUE       One value (repeatable)\n");
}

int verb_tsm_tree(int argc, char *argv[]) {
        enum { ARG_OTHER_WRITER = 0x100 };
        static const struct option opts[] = {
                {"dir", required_argument, NULL, 'd'},
                {"provider", required_argument, NULL, 'p'},
                {"daemon", no_argument, NULL, 'D'},
                {"pid-file", required_argument, NULL, 'P'},
                {"simulate-other-writer", no_argument, NULL, ARG_OTHER_WRITER},
                SIM_ARGS_CONFIG_LONG,
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(tsm_tree_done) TsmTree t = {.provider = TSM_TREE_SEV_GUEST};
        _cleanup_(sim_daemon_done) SimDaemon daemon = SIM_DAEMON_INIT;
        struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
        const char *dir = NULL, *pid_file = NULL;
        _cleanup_free_ char *mountpoint = NULL;
        SimArgsConfig config = {};
        bool background = false;
        struct fuse *fuse = NULL;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "d:p:DP:c:s:h", opts, NULL)) >= 0) {
                switch (opt) {
                case 'd':
                        dir = optarg;
                        break;
                case 'p':
                        t.provider = _TSM_TREE_PROVIDER_INVALID;
                        for (TsmTreeProvider p = 0; p < _TSM_TREE_PROVIDER_MAX; p++)
                                if (strcmp(optarg, tsm_tree_providers[p]) == 0)
                                        t.provider = p;
                        if (t.provider < 0) {
                                log_error("--provider '%s' is not sev_guest or tdx_guest", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'D':
                        background = true;
                        break;
                case 'P':
                        pid_file = optarg;
                        break;
                case ARG_OTHER_WRITER:
                        t.other_writer = true;
                        break;
                case 'h':
                        tsm_tree_help();
                        return EXIT_OK;
                default:
                        if (sim_args_config_option(&config, opt, optarg) <= 0)
                                return EXIT_USAGE;
                        break;
                }
        }
        if (!dir || optind != argc - 1) {
                log_error("tsm-tree needs --dir DIR and a MOUNTPOINT; see 'confnode-sim tsm-tree "
                          "--help'");
                return EXIT_USAGE;
        }
        mountpoint = realpath(argv[optind], NULL);
        if (!mountpoint)
                return log_error_errno(errno, "Mount point '%s': %m", argv[optind]), EXIT_USAGE;
        if (sim_args_load(dir, &config, &t.config, &t.ca) < 0)
                return EXIT_FAIL;
        r = snp_sim_cert_table(t.ca, &t.certs, &t.certs_size);
        if (r < 0)
                return log_error_errno(r, "Cannot make the certificate table: %m"), EXIT_FAIL;
        t.started = time(NULL);

        r = sim_daemon_start(background, pid_file, &daemon);
        if (r < 0)
                return log_error_errno(r, "Cannot start in the background: %m"), EXIT_FAIL;
        if (fuse_opt_add_arg(&args, "confnode-sim") < 0 || fuse_opt_add_arg(&args, "-o") < 0 ||
            fuse_opt_add_arg(&args, "fsname=confnode-sim-tsm,subtype=tsm") < 0)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_FAIL;
        fuse = fuse_new(&args, &tsm_tree_ops, sizeof(tsm_tree_ops), &t);
        fuse_opt_free_args(&args);
        if (!fuse) {
                log_error("Cannot set up FUSE");
                return EXIT_FAIL;
        }
        if (fuse_mount(fuse, mountpoint) != 0) {
                log_error("Cannot mount the configfs-tsm tree at '%s' (is /dev/fuse there?)",
                          mountpoint);
                fuse_destroy(fuse);
                return EXIT_FAIL;
        }
        if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0) {
                fuse_unmount(fuse);
                fuse_destroy(fuse);
                return log_error_errno(EIO, "Cannot set up signal handling"), EXIT_FAIL;
        }
        r = sim_daemon_ready(&daemon);
        if (r >= 0) {
                log_info("configfs-tsm look-alike (provider %s) of '%s' at '%s/report'",
                         tsm_tree_providers[t.provider], dir, mountpoint);
                r = fuse_loop(fuse);
        }
        fuse_remove_signal_handlers(fuse_get_session(fuse));
        fuse_unmount(fuse);
        fuse_destroy(fuse);
        if (r < 0)
                return log_error_errno(r, "Serving the tree failed: %m"), EXIT_FAIL;
        log_info("configfs-tsm look-alike at '%s' stopped", mountpoint);
        return EXIT_OK;
}
