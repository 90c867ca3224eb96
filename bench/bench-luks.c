/* bench-luks: how long a LUKS2 keyslot takes to open with the released key
 * (crypt_activate_by_passphrase with name NULL: the KDF and the keyslot
 * decryption, no device-mapper), for confnode's default (PBKDF2-SHA256 at
 * 1000 iterations) against cryptsetup's default argon2id (benchmarked for
 * about 2 s, up to 1 GiB). Median of N on file images in a temporary
 * directory. Prints figures, asserts nothing.
 *
 *   bench-luks [-n N] [-a N_ARGON]       (defaults 50 and 5) */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include "confnode/basic/secret.h"
#include "confnode/disk/disk-format.h"

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

static void quiet(int level, const char *msg, void *usrptr) {
        (void) level;
        (void) msg;
        (void) usrptr;
}

/* Median of n opens of the keyslot of img; -errno on a failed open. */
static int median_open(const char *img, const Secret *key, int n, double *ret, char *kdf, size_t kdf_size) {
        double *t = calloc((size_t) n, sizeof(double));
        struct crypt_device *cd = NULL;
        struct crypt_pbkdf_type ks;
        int r;

        if (!t)
                return -ENOMEM;
        r = crypt_init(&cd, img);
        if (r == 0)
                r = crypt_load(cd, CRYPT_LUKS2, NULL);
        if (r < 0)
                goto out;
        if (crypt_keyslot_get_pbkdf(cd, 0, &ks) == 0)
        {
                if (ks.max_memory_kb)
                        snprintf(kdf, kdf_size, "%s, %u iterations, %u KiB, %u threads", ks.type, ks.iterations,
                                 ks.max_memory_kb, ks.parallel_threads);
                else
                        snprintf(kdf, kdf_size, "%s-%s, %u iterations", ks.type, ks.hash ? ks.hash : "?",
                                 ks.iterations);
        }
        for (int i = 0; i < n; i++) {
                double t0 = now_ms();

                r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, (const char *) key->data, key->size, 0);
                t[i] = now_ms() - t0;
                if (r < 0)
                        goto out;
        }
        qsort(t, (size_t) n, sizeof(double), cmp_double);
        *ret = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
        r = 0;
out:
        crypt_free(cd);
        free(t);
        return r;
}

static char *make_image(const char *dir, const char *name) {
        char *p;
        int fd;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return NULL;
        fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, 32 * 1024 * 1024) < 0) {
                if (fd >= 0)
                        close(fd);
                free(p);
                return NULL;
        }
        close(fd);
        return p;
}

int main(int argc, char *argv[]) {
        char dir[] = "/tmp/bench-luks.XXXXXX", kdf1[128] = "", kdf2[128] = "";
        int n = 50, n_argon = 5, c, r, rc = 1;
        char *img1 = NULL, *img2 = NULL;
        Secret *key = NULL;
        double m1 = 0, m2 = 0, f1, f2;

        while ((c = getopt(argc, argv, "n:a:h")) >= 0) {
                switch (c) {
                case 'n':
                        n = atoi(optarg);
                        break;
                case 'a':
                        n_argon = atoi(optarg);
                        break;
                default:
                        fprintf(stderr, "Usage: bench-luks [-n N] [-a N_ARGON]\n");
                        return 2;
                }
        }
        if (n < 1 || n_argon < 1)
                return 2;
        crypt_set_log_callback(NULL, quiet, NULL);
        if (!mkdtemp(dir) || secret_new(32, &key) < 0)
                return 1;
        FILE *u = fopen("/dev/urandom", "re");
        if (!u || fread(key->data, 1, key->size, u) != key->size)
                return 1;
        fclose(u);
        img1 = make_image(dir, "pbkdf2.img");
        img2 = make_image(dir, "argon2id.img");
        if (!img1 || !img2)
                goto out;

        DiskFormatParams p1 = { .pbkdf = DISK_PBKDF_PBKDF2 }, p2 = { .pbkdf = DISK_PBKDF_ARGON2ID };
        f1 = now_ms();
        r = disk_format(img1, key, &p1);
        f1 = now_ms() - f1;
        if (r < 0) {
                fprintf(stderr, "format (pbkdf2): %s\n", strerror(-r));
                goto out;
        }
        f2 = now_ms();
        r = disk_format(img2, key, &p2);
        f2 = now_ms() - f2;
        if (r < 0) {
                fprintf(stderr, "format (argon2id): %s\n", strerror(-r));
                goto out;
        }
        r = median_open(img1, key, n, &m1, kdf1, sizeof(kdf1));
        if (r == 0)
                r = median_open(img2, key, n_argon, &m2, kdf2, sizeof(kdf2));
        if (r < 0) {
                fprintf(stderr, "open: %s\n", strerror(-r));
                goto out;
        }
        printf("LUKS2 keyslot open (crypt_activate_by_passphrase, name NULL), median\n");
        printf("  confnode default  %-52s %9.2f ms  (n=%d; format %.0f ms)\n", kdf1, m1, n, f1);
        printf("  cryptsetup default %-51s %9.2f ms  (n=%d; format incl. benchmark %.0f ms)\n", kdf2, m2, n_argon,
               f2);
        printf("  ratio %.0fx\n", m1 > 0 ? m2 / m1 : 0.0);
        rc = 0;
out:
        if (img1)
                unlink(img1);
        if (img2)
                unlink(img2);
        rmdir(dir);
        free(img1);
        free(img2);
        secret_free(key);
        return rc;
}
