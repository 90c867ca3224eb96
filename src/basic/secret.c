#include "confnode/basic/secret.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "confnode/basic/evp-fetch.h"

void memory_wipe(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
}

/* Single pages that held a secret, wiped and still locked and out of
 * core dumps, kept for the next secret. Unmapping a page costs more than
 * the syscall: in a process with several threads the kernel interrupts
 * every other CPU the process runs on to flush its TLB. A verifier makes
 * a few short-lived secrets per request, so it reuses these instead. */
#define SECRET_POOL_MAX 64

static struct {
        pthread_mutex_t lock;
        void *pages[SECRET_POOL_MAX];
        size_t n;
        size_t page;
} secret_pool = { .lock = PTHREAD_MUTEX_INITIALIZER };
static pthread_once_t secret_pool_once = PTHREAD_ONCE_INIT;

/* mlock() is not inherited over fork(): a child forgets the pool, so each
 * page it gets is locked by itself. The lock is held over fork() so that
 * the child finds the pool in one piece. */
static void secret_pool_atfork_prepare(void) {
        pthread_mutex_lock(&secret_pool.lock);
}

static void secret_pool_atfork_parent(void) {
        pthread_mutex_unlock(&secret_pool.lock);
}

static void secret_pool_atfork_child(void) {
        for (size_t i = 0; i < secret_pool.n; i++)
                (void)munmap(secret_pool.pages[i], secret_pool.page);
        secret_pool.n = 0;
        pthread_mutex_unlock(&secret_pool.lock);
}

static void secret_pool_init(void) {
        long page = sysconf(_SC_PAGESIZE);

        /* Without the handlers a child could reuse an unlocked page: no pool. */
        if (page > 0 && pthread_atfork(secret_pool_atfork_prepare, secret_pool_atfork_parent,
                                       secret_pool_atfork_child) == 0)
                secret_pool.page = (size_t)page;
}

static void *secret_pool_get(size_t mapped) {
        void *p = NULL;

        if (pthread_once(&secret_pool_once, secret_pool_init) != 0 || mapped != secret_pool.page)
                return NULL;
        pthread_mutex_lock(&secret_pool.lock);
        if (secret_pool.n > 0)
                p = secret_pool.pages[--secret_pool.n];
        pthread_mutex_unlock(&secret_pool.lock);
        return p;
}

/* Takes a wiped page back; false if the pool is full or not in use. */
static bool secret_pool_put(void *p, size_t mapped) {
        bool kept = false;

        if (pthread_once(&secret_pool_once, secret_pool_init) != 0 || mapped != secret_pool.page)
                return false;
        pthread_mutex_lock(&secret_pool.lock);
        if (secret_pool.n < SECRET_POOL_MAX) {
                secret_pool.pages[secret_pool.n++] = p;
                kept = true;
        }
        pthread_mutex_unlock(&secret_pool.lock);
        return kept;
}

int secret_new(size_t size, Secret **ret) {
        long page = sysconf(_SC_PAGESIZE);
        size_t mapped;
        Secret *s;
        void *p;

        if (size == 0 || page <= 0)
                return -EINVAL;
        if (size > SIZE_MAX - (size_t) page)
                return -ENOMEM;
        mapped = (size + (size_t) page - 1) / (size_t) page * (size_t) page;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        /* A pooled page is zero, locked and flagged like a new one. */
        p = secret_pool_get(mapped);
        if (!p) {
                p = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                        int e = errno;
                        free(s);
                        return -e;
                }
                /* Locked so the key never reaches swap; kept out of core dumps so a
                 * crash report cannot carry it off the node. */
                if (mlock(p, mapped) < 0) {
                        int e = errno;
                        munmap(p, mapped);
                        free(s);
                        return -e;
                }
                if (madvise(p, mapped, MADV_DONTDUMP) < 0) {
                        int e = errno;
                        munlock(p, mapped);
                        munmap(p, mapped);
                        free(s);
                        return -e;
                }
        }
        *s = (Secret){ .data = p, .size = size, .mapped = mapped };
        *ret = s;
        return 0;
}

int secret_new_copy(const void *data, size_t size, Secret **ret) {
        Secret *s;
        int r = secret_new(size, &s);
        if (r < 0)
                return r;
        memcpy(s->data, data, size);
        *ret = s;
        return 0;
}

void secret_free(Secret *s) {
        if (!s)
                return;
        explicit_bzero(s->data, s->mapped);
        if (!secret_pool_put(s->data, s->mapped)) {
                munlock(s->data, s->mapped);
                munmap(s->data, s->mapped);
        }
        explicit_bzero(s, sizeof(*s));
        free(s);
}

void secret_fingerprint(const Secret *s, char ret[static 9]) {
        static const char hexd[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;

        if (!EVP_Digest(s->data, s->size, md, &mdlen, evp_fetch_sha256(), NULL) || mdlen < 4) {
                strcpy(ret, "????????");
                return;
        }
        for (int i = 0; i < 4; i++) {
                ret[2 * i] = hexd[md[i] >> 4];
                ret[2 * i + 1] = hexd[md[i] & 15];
        }
        ret[8] = 0;
}
