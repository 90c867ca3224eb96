#include "confnode/basic/secret.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

void memory_wipe(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
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

        p = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return -errno;
        /* Locked so the key never reaches swap; kept out of core dumps so a
         * crash report cannot carry it off the node. */
        if (mlock(p, mapped) < 0) {
                int e = errno;
                munmap(p, mapped);
                return -e;
        }
        if (madvise(p, mapped, MADV_DONTDUMP) < 0) {
                int e = errno;
                munlock(p, mapped);
                munmap(p, mapped);
                return -e;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                munlock(p, mapped);
                munmap(p, mapped);
                return -ENOMEM;
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
        munlock(s->data, s->mapped);
        munmap(s->data, s->mapped);
        explicit_bzero(s, sizeof(*s));
        free(s);
}

void secret_fingerprint(const Secret *s, char ret[static 9]) {
        static const char hexd[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;

        if (!EVP_Digest(s->data, s->size, md, &mdlen, EVP_sha256(), NULL) || mdlen < 4) {
                strcpy(ret, "????????");
                return;
        }
        for (int i = 0; i < 4; i++) {
                ret[2 * i] = hexd[md[i] >> 4];
                ret[2 * i + 1] = hexd[md[i] & 15];
        }
        ret[8] = 0;
}
