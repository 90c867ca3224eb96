/* bench-luks: how long a LUKS2 keyslot takes to open with the released key,
 * for confnode's default (PBKDF2-SHA256 at 1000 iterations) against
 * cryptsetup's default argon2id (benchmarked for about 2 s, up to 1 GiB),
 * both formatted with the state disk's own disk_format(). Median of N.
 * Prints figures, asserts nothing.
 *
 *   keyslot   crypt_activate_by_passphrase() with name NULL: the KDF and the
 *             keyslot decryption, no device-mapper (works on any host).
 *   activate  (-m) disk_unlock() with a device-mapper name, exactly as the
 *             agent opens the state disk (header load, KDF, keyslot, dm-crypt
 *             table load and udev), then disk_unlock_close(), timed apart.
 *             Needs root and device-mapper: in the e2e guest, not on the
 *             build host.
 *
 *   bench-luks [-n N] [-a N_ARGON] [-m] [-d DEVICE] [-k]   (defaults 50 and 5)
 *
 * -a 0 leaves argon2id out. Without -d both KDFs are formatted in turn on
 * one 32 MiB file image in a temporary directory (libcryptsetup attaches a
 * loop device for -m). With -d DEVICE they are formatted in turn on DEVICE,
 * which must be blank (its first MiB all zero), and its LUKS2 header area is
 * zeroed again at the end. -k adds one "bench-luks kdf=... key=value" line
 * per KDF for scripts. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/secret.h"
#include "confnode/disk/disk-format.h"
#include "confnode/disk/disk-unlock.h"

/* LUKS2's default header: 2 x 16 KiB metadata plus the keyslots area. */
#define BENCH_HEADER_SIZE (16 * 1024 * 1024)
#define BENCH_IMAGE_SIZE (32 * 1024 * 1024)
#define BENCH_BLANK_SIZE (1024 * 1024)

DEFINE_CLEANUP(struct crypt_device, crypt_free)

typedef struct BenchKdf {
        const char *name;
        DiskPbkdf pbkdf;
        int n;
        char params[128];
        double ms_format, ms_keyslot, ms_activate, ms_close;
        /* The first of the N: what a fresh process pays, as the agent does
         * once per boot (first use of the kernel's ciphers, cold caches). */
        double ms_keyslot_first, ms_activate_first;
} BenchKdf;

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

static double median(double *t, int n) {
        qsort(t, (size_t) n, sizeof(double), cmp_double);
        return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void quiet(int level, const char *msg, void *usrptr) {
        (void) level;
        (void) msg;
        (void) usrptr;
}

/* Median of b->n opens of the keyslot of path (no device-mapper), and the
 * keyslot's KDF parameters as libcryptsetup reports them. */
static int time_keyslot(const char *path, const Secret *key, BenchKdf *b) {
        _cleanup_free_ double *t = calloc((size_t) b->n, sizeof(double));
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        struct crypt_pbkdf_type ks;
        int r;

        if (!t)
                return -ENOMEM;
        r = crypt_init(&cd, path);
        if (r == 0)
                r = crypt_load(cd, CRYPT_LUKS2, NULL);
        if (r < 0)
                return r;
        if (crypt_keyslot_get_pbkdf(cd, 0, &ks) == 0) {
                if (ks.max_memory_kb)
                        snprintf(b->params, sizeof(b->params), "%s, %u iterations, %u KiB, %u threads", ks.type,
                                 ks.iterations, ks.max_memory_kb, ks.parallel_threads);
                else
                        snprintf(b->params, sizeof(b->params), "%s-%s, %u iterations", ks.type,
                                 ks.hash ? ks.hash : "?", ks.iterations);
        }
        for (int i = 0; i < b->n; i++) {
                double t0 = now_ms();

                r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, (const char *) key->data, key->size, 0);
                t[i] = now_ms() - t0;
                if (r < 0)
                        return r;
        }
        b->ms_keyslot_first = t[0];
        b->ms_keyslot = median(t, b->n);
        return 0;
}

/* Median of b->n activations through the agent's own disk_unlock() as
 * /dev/mapper/name, each followed by disk_unlock_close() (timed apart). */
static int time_activate(const char *path, const char *name, const Secret *key, BenchKdf *b) {
        _cleanup_free_ double *t = calloc((size_t) b->n, sizeof(double));
        _cleanup_free_ double *c = calloc((size_t) b->n, sizeof(double));
        int r;

        if (!t || !c)
                return -ENOMEM;
        for (int i = 0; i < b->n; i++) {
                double t0 = now_ms(), t1;

                r = disk_unlock(path, name, key, false);
                t1 = now_ms();
                t[i] = t1 - t0;
                if (r < 0) {
                        (void) disk_unlock_close(name);
                        return r;
                }
                r = disk_unlock_close(name);
                c[i] = now_ms() - t1;
                if (r < 0)
                        return r;
        }
        b->ms_activate_first = t[0];
        b->ms_activate = median(t, b->n);
        b->ms_close = median(c, b->n);
        return 0;
}

/* -EEXIST unless the first MiB of path is all zero: the bench formats only
 * what holds nothing. */
static int check_blank(const char *path) {
        _cleanup_free_ uint8_t *buf = malloc(BENCH_BLANK_SIZE);
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = pread(fd, buf, BENCH_BLANK_SIZE, 0);
        if (n < 0)
                return -errno;
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] != 0)
                        return -EEXIST;
        return 0;
}

/* Zeroes the LUKS2 header area (or all of a smaller path): the device is
 * left as blank as it was found. */
static int wipe_header(const char *path) {
        _cleanup_free_ uint8_t *zero = calloc(1, BENCH_BLANK_SIZE);
        _cleanup_close_ int fd = -EBADF;

        if (!zero)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (off_t off = 0; off < BENCH_HEADER_SIZE; off += BENCH_BLANK_SIZE) {
                ssize_t n = pwrite(fd, zero, BENCH_BLANK_SIZE, off);

                if (n < 0)
                        return errno == ENOSPC ? 0 : -errno;
                if (n < BENCH_BLANK_SIZE)
                        break;
        }
        return fsync(fd) < 0 ? -errno : 0;
}

static char *make_image(const char *dir) {
        char *p;
        int fd;

        if (asprintf(&p, "%s/bench.img", dir) < 0)
                return NULL;
        fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, BENCH_IMAGE_SIZE) < 0) {
                if (fd >= 0)
                        close(fd);
                free(p);
                return NULL;
        }
        close(fd);
        return p;
}

/* Formats path with b's KDF and times it; returns the failing step's name
 * in *ret_step. */
static int bench_kdf(const char *path, const char *dm_name, const Secret *key, BenchKdf *b,
                     const char **ret_step) {
        DiskFormatParams p = { .pbkdf = b->pbkdf };
        double t0 = now_ms();
        int r;

        *ret_step = "format";
        r = disk_format(path, key, &p);
        b->ms_format = now_ms() - t0;
        if (r < 0)
                return r;
        *ret_step = "keyslot open";
        r = time_keyslot(path, key, b);
        if (r < 0 || !dm_name)
                return r;
        *ret_step = "device-mapper activation (needs root and dm-crypt; run without -m)";
        return time_activate(path, dm_name, key, b);
}

static void print_kdf(const BenchKdf *b, const char *label, bool dm) {
        printf("  %-19s %-50s keyslot  %9.2f ms (n=%d, first %.2f); format%s %.0f ms\n", label, b->params,
               b->ms_keyslot, b->n, b->ms_keyslot_first, b->pbkdf == DISK_PBKDF_ARGON2ID ? " incl. benchmark" : "",
               b->ms_format);
        if (dm)
                printf("  %-19s %-50s activate %9.2f ms (n=%d, first %.2f); close %.2f ms\n", "", "", b->ms_activate,
                       b->n, b->ms_activate_first, b->ms_close);
}

int main(int argc, char *argv[]) {
        char dir[] = "/tmp/bench-luks.XXXXXX", dm_name[64];
        const char *device = NULL, *step = NULL;
        bool dm = false, kv = false, made_dir = false;
        _cleanup_free_ char *img = NULL;
        _cleanup_(secret_freep) Secret *key = NULL;
        BenchKdf kdf[2] = {
                { .name = "pbkdf2", .pbkdf = DISK_PBKDF_PBKDF2, .n = 50 },
                { .name = "argon2id", .pbkdf = DISK_PBKDF_ARGON2ID, .n = 5 },
        };
        const char *path;
        int c, r, rc = 1;
        FILE *u;

        while ((c = getopt(argc, argv, "n:a:md:kh")) >= 0) {
                switch (c) {
                case 'n':
                        kdf[0].n = atoi(optarg);
                        break;
                case 'a':
                        kdf[1].n = atoi(optarg);
                        break;
                case 'm':
                        dm = true;
                        break;
                case 'd':
                        device = optarg;
                        break;
                case 'k':
                        kv = true;
                        break;
                default:
                        fprintf(stderr, "Usage: bench-luks [-n N] [-a N_ARGON] [-m] [-d BLANK_DEVICE] [-k]\n");
                        return 2;
                }
        }
        if (kdf[0].n < 1 || kdf[1].n < 0 || optind != argc) {
                fprintf(stderr, "bench-luks: N must be at least 1, N_ARGON at least 0, and no arguments follow "
                                "the options\n");
                return 2;
        }
        crypt_set_log_callback(NULL, quiet, NULL);
        snprintf(dm_name, sizeof(dm_name), "bench-luks-%d", (int) getpid());
        if (secret_new(32, &key) < 0)
                return 1;
        u = fopen("/dev/urandom", "re");
        if (!u || fread(key->data, 1, key->size, u) != key->size) {
                fprintf(stderr, "bench-luks: cannot read /dev/urandom\n");
                if (u)
                        fclose(u);
                return 1;
        }
        fclose(u);

        if (device) {
                r = check_blank(device);
                if (r < 0) {
                        fprintf(stderr, "bench-luks: '%s' %s; it formats only a blank device (first MiB zero)\n",
                                device, r == -EEXIST ? "is not blank" : strerror(-r));
                        return 1;
                }
                path = device;
        } else {
                if (!mkdtemp(dir)) {
                        fprintf(stderr, "bench-luks: mkdtemp '%s': %s\n", dir, strerror(errno));
                        return 1;
                }
                made_dir = true;
                img = make_image(dir);
                if (!img) {
                        fprintf(stderr, "bench-luks: cannot make a %d MiB image in '%s'\n",
                                BENCH_IMAGE_SIZE >> 20, dir);
                        goto out;
                }
                path = img;
        }

        for (size_t i = 0; i < 2; i++) {
                if (kdf[i].n == 0)
                        continue;
                r = bench_kdf(path, dm ? dm_name : NULL, key, &kdf[i], &step);
                if (r < 0) {
                        fprintf(stderr, "bench-luks: %s, %s on '%s': %s\n", kdf[i].name, step, path, strerror(-r));
                        goto out;
                }
        }

        printf("LUKS2 open on %s, median (keyslot: crypt_activate_by_passphrase, name NULL%s)\n",
               device ? device : "a 32 MiB file image",
               dm ? "; activate: disk_unlock() to a dm-crypt device, as the agent opens the state disk" : "");
        print_kdf(&kdf[0], "confnode default", dm);
        if (kdf[1].n > 0) {
                print_kdf(&kdf[1], "cryptsetup default", dm);
                printf("  ratio %.0fx (keyslot)", kdf[0].ms_keyslot > 0 ? kdf[1].ms_keyslot / kdf[0].ms_keyslot : 0.0);
                if (dm)
                        printf(", %.0fx (activate)",
                               kdf[0].ms_activate > 0 ? kdf[1].ms_activate / kdf[0].ms_activate : 0.0);
                printf("\n");
        }
        if (kv)
                for (size_t i = 0; i < 2 && kdf[i].n > 0; i++) {
                        printf("bench-luks kdf=%s n=%d keyslot_ms=%.2f keyslot_first_ms=%.2f format_ms=%.0f",
                               kdf[i].name, kdf[i].n, kdf[i].ms_keyslot, kdf[i].ms_keyslot_first, kdf[i].ms_format);
                        if (dm)
                                printf(" activate_ms=%.2f activate_first_ms=%.2f close_ms=%.2f", kdf[i].ms_activate,
                                       kdf[i].ms_activate_first, kdf[i].ms_close);
                        printf(" params='%s'\n", kdf[i].params);
                }
        rc = 0;
out:
        if (device) {
                r = wipe_header(device);
                if (r < 0) {
                        fprintf(stderr, "bench-luks: zeroing the header area of '%s' failed: %s\n", device,
                                strerror(-r));
                        rc = 1;
                }
        }
        if (img)
                unlink(img);
        if (made_dir)
                rmdir(dir);
        return rc;
}
