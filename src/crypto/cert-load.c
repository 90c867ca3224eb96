/* Loading X.509 certificates. PEM is recognised by its armour anywhere in
 * the data (AMD's KDS and Azure hand out chains with text around them);
 * everything else is read as DER, one certificate after another, so a
 * concatenation of DER files loads as well as a single one. */

#include "confnode/crypto/cert-load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"
#include "confnode/basic/openssl-cleanup.h"


void cert_load_stack_free(STACK_OF(X509) *certs) {
        sk_X509_pop_free(certs, X509_free);
}

static bool cert_load_is_pem(const uint8_t *data, size_t size) {
        static const char armour[] = "-----BEGIN ";

        return memmem(data, size, armour, sizeof(armour) - 1) != NULL;
}

/* Pushes onto a scratch stack first, so a failure half way leaves the
 * caller's stack untouched. */
static int cert_load_push(STACK_OF(X509) *got, size_t already, X509 **cert) {
        if (already + (size_t) sk_X509_num(got) >= CERT_LOAD_MAX_CERTS)
                return -E2BIG;
        if (sk_X509_push(got, *cert) <= 0)
                return -ENOMEM;
        *cert = NULL;
        return 0;
}

static int cert_load_pem(BIO *bio, size_t already, STACK_OF(X509) *got) {
        for (;;) {
                _cleanup_(X509_freep) X509 *cert = NULL;
                unsigned long e;
                int r;

                ERR_clear_error();
                cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
                if (!cert) {
                        /* Running out of armour is how PEM input ends;
                         * anything else is a damaged certificate block. */
                        e = ERR_peek_last_error();
                        ERR_clear_error();
                        if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
                            ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
                                return 0;
                        return log_debug_errno(EBADMSG, "A PEM certificate block does not decode");
                }
                r = cert_load_push(got, already, &cert);
                if (r < 0)
                        return r;
        }
}

static int cert_load_der(BIO *bio, size_t already, STACK_OF(X509) *got) {
        while (BIO_pending(bio) > 0) {
                _cleanup_(X509_freep) X509 *cert = NULL;
                int r;

                cert = d2i_X509_bio(bio, NULL);
                if (!cert) {
                        ERR_clear_error();
                        return log_debug_errno(EBADMSG,
                                               "Bytes at the end are not a DER certificate");
                }
                r = cert_load_push(got, already, &cert);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cert_load_buffer(const uint8_t *data, size_t size, STACK_OF(X509) *certs) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *got = NULL;
        _cleanup_(BIO_freep) BIO *bio = NULL;
        size_t already = (size_t) sk_X509_num(certs);
        int r;

        if (!data || size == 0 || size > INT_MAX)
                return -EBADMSG;
        got = sk_X509_new_null();
        bio = BIO_new_mem_buf(data, (int) size);
        if (!got || !bio)
                return -ENOMEM;
        if (cert_load_is_pem(data, size))
                r = cert_load_pem(bio, already, got);
        else
                r = cert_load_der(bio, already, got);
        if (r < 0)
                return r;
        if (sk_X509_num(got) == 0)
                return log_debug_errno(EBADMSG, "No certificate in %zu bytes", size);

        /* Hand the certificates over in order; this cannot fail half way
         * once the stack has room for all of them. */
        if (sk_X509_reserve(certs, (int) already + sk_X509_num(got)) == 0)
                return -ENOMEM;
        while (sk_X509_num(got) > 0)
                (void) sk_X509_push(certs, sk_X509_shift(got));
        return 0;
}

int cert_load_file(const char *path, STACK_OF(X509) *certs) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        int r;

        r = read_full_file(path, CERT_LOAD_MAX_FILE, &data, &size);
        if (r < 0)
                return log_debug_errno(r, "Cannot read '%s': %m", path);
        r = cert_load_buffer(data, size, certs);
        if (r < 0)
                return log_debug_errno(r, "'%s' holds no usable certificate: %m", path);
        return 0;
}

static int cert_load_dir_sort(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

typedef struct CertLoadNames {
        char **v;
        size_t n, alloc;
} CertLoadNames;

static void cert_load_names_done(CertLoadNames *names) {
        for (size_t i = 0; i < names->n; i++)
                free(names->v[i]);
        free(names->v);
        *names = (CertLoadNames){};
}

static int cert_load_names_add(CertLoadNames *names, const char *name) {
        if (names->n >= CERT_LOAD_MAX_CERTS)
                return -E2BIG;
        if (names->n == names->alloc) {
                size_t na = names->alloc ? names->alloc * 2 : 16;
                char **nv = realloc(names->v, na * sizeof(char *));

                if (!nv)
                        return -ENOMEM;
                names->v = nv;
                names->alloc = na;
        }
        names->v[names->n] = strdup(name);
        if (!names->v[names->n])
                return -ENOMEM;
        names->n++;
        return 0;
}

static void cert_load_closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
        *d = NULL;
}

/* The names of the regular files in the directory, sorted so that the
 * order the certificates come in (and any verdict that lists them) does
 * not depend on the file system. Takes dfd. */
static int cert_load_dir_names(int dfd, CertLoadNames *ret) {
        _cleanup_(cert_load_closedirp) DIR *d = NULL;
        _cleanup_(cert_load_names_done) CertLoadNames names = {};
        struct dirent *de;
        int r;

        d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                (void) close(dfd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                        return -errno;
                if (!S_ISREG(st.st_mode))
                        continue;
                r = cert_load_names_add(&names, de->d_name);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return -errno;
        if (names.n > 0)
                qsort(names.v, names.n, sizeof(char *), cert_load_dir_sort);
        *ret = names;
        names = (CertLoadNames){};
        return 0;
}

int cert_load_dir(const char *path, STACK_OF(X509) *certs, unsigned *ret_skipped) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *got = NULL;
        _cleanup_(cert_load_names_done) CertLoadNames names = {};
        unsigned skipped = 0;
        int dfd, r;

        /* Collected apart and handed over at the end, so that a directory
         * that fails half way leaves certs as it was. */
        got = sk_X509_new_null();
        if (!got)
                return -ENOMEM;

        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return log_debug_errno(errno, "Cannot open directory '%s': %m", path);
        r = cert_load_dir_names(dfd, &names);
        if (r < 0)
                return log_debug_errno(r, "Cannot list '%s': %m", path);

        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *file = NULL;

                if ((size_t) sk_X509_num(certs) + (size_t) sk_X509_num(got) >= CERT_LOAD_MAX_CERTS)
                        return -E2BIG;
                if (asprintf(&file, "%s/%s", path, names.v[i]) < 0) {
                        file = NULL;
                        return -ENOMEM;
                }
                r = cert_load_file(file, got);
                if (r == -EBADMSG) {
                        log_debug("Skipping '%s': it holds no certificate", file);
                        skipped++;
                        continue;
                }
                if (r < 0)
                        return r;
        }
        if ((size_t) sk_X509_num(certs) + (size_t) sk_X509_num(got) > CERT_LOAD_MAX_CERTS)
                return -E2BIG;
        if (sk_X509_reserve(certs, sk_X509_num(certs) + sk_X509_num(got)) == 0)
                return -ENOMEM;
        while (sk_X509_num(got) > 0)
                (void) sk_X509_push(certs, sk_X509_shift(got));
        if (ret_skipped)
                *ret_skipped = skipped;
        return 0;
}

int cert_load_path(const char *path, STACK_OF(X509) *certs, unsigned *ret_skipped) {
        struct stat st;

        if (stat(path, &st) < 0)
                return log_debug_errno(errno, "Cannot access '%s': %m", path);
        if (S_ISDIR(st.st_mode))
                return cert_load_dir(path, certs, ret_skipped);
        if (ret_skipped)
                *ret_skipped = 0;
        return cert_load_file(path, certs);
}
