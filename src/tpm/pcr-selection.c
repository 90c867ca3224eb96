#include "confnode/tpm/pcr-selection.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
        uint16_t alg;
        const char *name;
        size_t size;
} hash_algs[] = {
        { 0x0004, "sha1", 20 },
        { 0x000b, "sha256", 32 },
        { 0x000c, "sha384", 48 },
        { 0x000d, "sha512", 64 },
        { 0x0012, "sm3_256", 32 },
};

const char *tpm_alg_hash_name(uint16_t alg) {
        for (size_t i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++)
                if (hash_algs[i].alg == alg)
                        return hash_algs[i].name;
        return NULL;
}

int tpm_alg_hash_from_name(const char *name) {
        for (size_t i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++)
                if (strcasecmp(hash_algs[i].name, name) == 0)
                        return hash_algs[i].alg;
        return -EINVAL;
}

size_t tpm_alg_hash_size(uint16_t alg) {
        for (size_t i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++)
                if (hash_algs[i].alg == alg)
                        return hash_algs[i].size;
        return 0;
}

static int fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_size, const char *fmt, ...) {
        va_list ap;

        if (err && err_size > 0) {
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int parse_index(const char **p, unsigned *ret) {
        char *end;
        unsigned long v;

        if (**p < '0' || **p > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno != 0 || v >= PCR_MAX)
                return -ERANGE;
        *p = end;
        *ret = (unsigned) v;
        return 0;
}

int pcr_selection_parse(const char *s, PcrSelection *ret, char *err, size_t err_size) {
        PcrSelection sel = { 0 };
        const char *p = s;

        if (!s || !*s)
                return fail(err, err_size, "empty PCR selection");
        for (;;) {
                char name[16];
                size_t n = strcspn(p, ":");
                PcrBank *bank;
                int alg;

                if (p[n] != ':' || n == 0 || n >= sizeof(name))
                        return fail(err, err_size, "expected BANK:PCRS (e.g. sha256:0-7,9), got '%s'", p);
                memcpy(name, p, n);
                name[n] = 0;
                alg = tpm_alg_hash_from_name(name);
                if (alg < 0)
                        return fail(err, err_size, "unknown PCR bank '%s' (sha1, sha256, sha384, sha512)", name);
                for (size_t i = 0; i < sel.n_banks; i++)
                        if (sel.banks[i].alg == alg)
                                return fail(err, err_size, "bank '%s' is selected twice", name);
                if (sel.n_banks >= PCR_SELECTION_MAX_BANKS)
                        return fail(err, err_size, "more than %d banks", PCR_SELECTION_MAX_BANKS);
                bank = &sel.banks[sel.n_banks++];
                bank->alg = (uint16_t) alg;
                p += n + 1;

                for (;;) {
                        unsigned a, b;
                        int r = parse_index(&p, &a);

                        if (r < 0)
                                return fail(err, err_size, r == -ERANGE ? "PCR index out of range 0-23 in bank '%s'"
                                                                       : "expected a PCR index in bank '%s'", name);
                        b = a;
                        if (*p == '-') {
                                p++;
                                r = parse_index(&p, &b);
                                if (r < 0 || b < a)
                                        return fail(err, err_size, "bad PCR range in bank '%s'", name);
                        }
                        for (unsigned i = a; i <= b; i++)
                                bank->mask |= 1u << i;
                        if (*p != ',')
                                break;
                        p++;
                }
                if (*p == 0)
                        break;
                if (*p != '+')
                        return fail(err, err_size, "unexpected '%c' in PCR selection", *p);
                p++;
        }
        *ret = sel;
        return 0;
}

/* Appends what fits of s, keeping buf NUL-terminated: the text comes out
 * as snprintf() would cut it. The verifier formats a selection several
 * times per appraisal; a snprintf() per PCR was most of its cost. */
static void pcr_selection_put(char *buf, size_t size, size_t *o, const char *s, size_t n) {
        size_t room = *o < size - 1 ? size - 1 - *o : 0;

        memcpy(buf + *o, s, n < room ? n : room);
        *o += n < room ? n : room;
        buf[*o] = 0;
}

void pcr_selection_format(const PcrSelection *sel, char *buf, size_t size) {
        size_t o = 0;

        if (size == 0)
                return;
        buf[0] = 0;
        for (size_t b = 0; b < sel->n_banks; b++) {
                const char *name = tpm_alg_hash_name(sel->banks[b].alg) ?: "?";
                bool first = true;

                if (b)
                        pcr_selection_put(buf, size, &o, "+", 1);
                pcr_selection_put(buf, size, &o, name, strlen(name));
                pcr_selection_put(buf, size, &o, ":", 1);
                for (unsigned i = 0; i < PCR_MAX; i++) {
                        char num[4];
                        size_t n = 0;

                        if (!(sel->banks[b].mask & (1u << i)))
                                continue;
                        if (!first)
                                num[n++] = ',';
                        if (i >= 10)
                                num[n++] = (char)('0' + i / 10);
                        num[n++] = (char)('0' + i % 10);
                        pcr_selection_put(buf, size, &o, num, n);
                        first = false;
                }
        }
}
