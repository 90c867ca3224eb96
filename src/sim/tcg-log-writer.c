#include "tcg-log-writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

void tcg_log_writer_done(TcgLogWriter *w) {
        free(w->data);
        *w = (TcgLogWriter){};
}

static int tcg_log_writer_put(TcgLogWriter *w, const void *p, size_t n) {
        if (n > SIZE_MAX - w->size)
                return -ENOMEM;
        if (w->size + n > w->alloc) {
                size_t na = w->alloc ? w->alloc : 4096;
                uint8_t *nd;

                while (na < w->size + n)
                        na *= 2;
                nd = realloc(w->data, na);
                if (!nd)
                        return -ENOMEM;
                w->data = nd;
                w->alloc = na;
        }
        if (n > 0)
                memcpy(w->data + w->size, p, n);
        w->size += n;
        return 0;
}

static int tcg_log_writer_u8(TcgLogWriter *w, uint8_t v) {
        return tcg_log_writer_put(w, &v, 1);
}

static int tcg_log_writer_u16(TcgLogWriter *w, uint16_t v) {
        uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
        return tcg_log_writer_put(w, b, sizeof(b));
}

static int tcg_log_writer_u32(TcgLogWriter *w, uint32_t v) {
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
        return tcg_log_writer_put(w, b, sizeof(b));
}

int tcg_log_writer_begin(TcgLogWriter *w, const uint16_t *banks, size_t n_banks) {
        static const char signature[16] = "Spec ID Event03";
        static const uint8_t zero_sha1[20] = {};
        int r = 0;

        if (n_banks == 0 || n_banks > TCG_LOG_MAX_BANKS)
                return -EINVAL;
        memcpy(w->banks, banks, n_banks * sizeof(banks[0]));
        w->n_banks = n_banks;

        /* TCG_PCClientPCREvent: PCR 0, EV_NO_ACTION, an all-zero SHA-1
         * digest, then the TCG_EfiSpecIdEvent as its data. */
        r = r ?: tcg_log_writer_u32(w, 0);
        r = r ?: tcg_log_writer_u32(w, TCG_EV_NO_ACTION);
        r = r ?: tcg_log_writer_put(w, zero_sha1, sizeof(zero_sha1));
        r = r ?: tcg_log_writer_u32(w, (uint32_t)(16 + 4 + 4 + 4 + 4 * n_banks + 1));
        r = r ?: tcg_log_writer_put(w, signature, sizeof(signature));
        r = r ?: tcg_log_writer_u32(w, 0); /* platformClass: client */
        r = r ?: tcg_log_writer_u8(w, 0);  /* specVersionMinor */
        r = r ?: tcg_log_writer_u8(w, 2);  /* specVersionMajor */
        r = r ?: tcg_log_writer_u8(w, 2);  /* specErrata */
        r = r ?: tcg_log_writer_u8(w, 2);  /* uintnSize: UINT64 */
        r = r ?: tcg_log_writer_u32(w, (uint32_t)n_banks);
        for (size_t i = 0; i < n_banks && r == 0; i++) {
                r = tcg_log_writer_u16(w, banks[i]);
                r = r ?: tcg_log_writer_u16(w, (uint16_t)tpm_alg_hash_size(banks[i]));
        }
        r = r ?: tcg_log_writer_u8(w, 0); /* vendorInfoSize */
        return r;
}

int tcg_log_writer_digests(const TcgLogWriter *w, const void *content, size_t size,
                           TpmDigest *ret) {
        for (size_t i = 0; i < w->n_banks; i++) {
                const char *name = tpm_alg_hash_name(w->banks[i]);
                EVP_MD *md = name ? EVP_MD_fetch(NULL, name, NULL) : NULL;
                unsigned n;
                int ok;

                if (!md)
                        return -EOPNOTSUPP;
                ok = EVP_Digest(content, size, ret[i].value, &n, md, NULL);
                EVP_MD_free(md);
                if (ok != 1)
                        return -EIO;
                ret[i].alg = w->banks[i];
                ret[i].size = (uint8_t)n;
        }
        return 0;
}

int tcg_log_writer_event(TcgLogWriter *w, uint32_t pcr, uint32_t type, const TpmDigest *digests,
                         const void *data, size_t data_size) {
        int r = 0;

        if (data_size > UINT32_MAX)
                return -EINVAL;
        r = r ?: tcg_log_writer_u32(w, pcr);
        r = r ?: tcg_log_writer_u32(w, type);
        r = r ?: tcg_log_writer_u32(w, (uint32_t)w->n_banks);
        for (size_t i = 0; i < w->n_banks && r == 0; i++) {
                r = tcg_log_writer_u16(w, digests[i].alg);
                r = r ?: tcg_log_writer_put(w, digests[i].value, digests[i].size);
        }
        r = r ?: tcg_log_writer_u32(w, (uint32_t)data_size);
        r = r ?: tcg_log_writer_put(w, data, data_size);
        return r;
}
