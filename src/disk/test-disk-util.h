#pragma once

/* Helpers shared by the src/disk tests: a temporary directory with file
 * images, and the real cryptsetup/mkfs tools as oracles. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#define TEST_HASH_SIZE 32

#include "confnode/basic/secret.h"

#define TEST_IMAGE_SIZE (40 * 1024 * 1024)

static inline char *test_tmpdir(void) {
        char *d = strdup("/tmp/confnode-disk-test.XXXXXX");

        if (!d || !mkdtemp(d))
                abort();
        return d;
}

static inline void test_rm_rf(const char *dir) {
        char cmd[512];

        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

/* A sparse all-zero image. */
static inline char *test_image(const char *dir, const char *name, off_t size) {
        char *p;
        int fd;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, size) < 0)
                abort();
        close(fd);
        return p;
}

/* Runs a shell command (tests only), output silenced; its exit status. */
static inline int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int test_sh(const char *fmt, ...) {
        char *cmd, *full;
        va_list ap;
        int r;

        va_start(ap, fmt);
        if (vasprintf(&cmd, fmt, ap) < 0)
                abort();
        va_end(ap);
        if (asprintf(&full, "(%s) >/dev/null 2>&1", cmd) < 0)
                abort();
        r = system(full);
        free(cmd);
        free(full);
        return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* Output of a shell command (tests only), NUL-terminated, or NULL. */
static inline char *test_sh_output(const char *cmd) {
        FILE *f = popen(cmd, "r");
        char *buf = NULL;
        size_t size = 0, n;

        if (!f)
                return NULL;
        FILE *m = open_memstream(&buf, &size);
        char chunk[4096];

        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                fwrite(chunk, 1, n, m);
        fclose(m);
        if (pclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* A random 32-byte key in a Secret, also written to dir/name for the
 * cryptsetup CLI (--key-file). */
static inline Secret *test_key(const char *dir, const char *name) {
        Secret *s = NULL;
        char *p;
        FILE *f;

        if (secret_new(32, &s) < 0)
                abort();
        f = fopen("/dev/urandom", "re");
        if (!f || fread(s->data, 1, 32, f) != 32)
                abort();
        fclose(f);
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        f = fopen(p, "we");
        if (!f || fwrite(s->data, 1, 32, f) != 32)
                abort();
        fclose(f);
        free(p);
        return s;
}

/* SHA-256 of the whole file, to show a refused disk was not touched. */
static inline void test_file_hash(const char *path, uint8_t ret[TEST_HASH_SIZE]) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        static uint8_t buf[65536];
        size_t n;
        FILE *f = fopen(path, "re");

        if (!f || !c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
                abort();
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                EVP_DigestUpdate(c, buf, n);
        EVP_DigestFinal_ex(c, ret, NULL);
        EVP_MD_CTX_free(c);
        fclose(f);
}
