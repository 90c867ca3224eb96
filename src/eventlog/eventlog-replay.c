#include "confnode/eventlog/eventlog.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/openssl-cleanup.h"

/* Owned OpenSSL objects of this file only. */

/* TPM2_ALG_ID to the hash, fetched once for the process. SM3 is what Hygon CSV guests
 * log; the SHA-3 ids are in the TCG algorithm registry and a Spec ID event
 * may announce them. */
static const struct {
        uint16_t alg;
        EvpFetchMd md;
} eventlog_replay_hashes[] = {
        { 0x0004, EVP_FETCH_SHA1 },     { 0x000b, EVP_FETCH_SHA256 },
        { 0x000c, EVP_FETCH_SHA384 },   { 0x000d, EVP_FETCH_SHA512 },
        { 0x0012, EVP_FETCH_SM3 },      { 0x0027, EVP_FETCH_SHA3_256 },
        { 0x0028, EVP_FETCH_SHA3_384 }, { 0x0029, EVP_FETCH_SHA3_512 },
};

static const EVP_MD *eventlog_replay_hash(uint16_t alg) {
        for (size_t i = 0; i < ELEMENTSOF(eventlog_replay_hashes); i++)
                if (eventlog_replay_hashes[i].alg == alg)
                        return evp_fetch_md(eventlog_replay_hashes[i].md);
        return NULL;
}

static const EventLogDigest *eventlog_replay_find_digest(const EventLogEvent *ev, uint16_t alg) {
        for (size_t i = 0; i < ev->n_digests; i++)
                if (ev->digests[i].alg == alg)
                        return &ev->digests[i];
        return NULL;
}

/* Registers before the first extend. PCRs 17-22 are the dynamic-launch PCRs:
 * TPM2_Startup leaves them at all ones and only a dynamic launch resets them
 * (to zero), so a PC Client log that never extends them must replay to all
 * ones. PCR 0 carries the startup locality in its last byte (PFP,
 * StartupLocality). A CC MR has neither rule. */
static void eventlog_replay_initial(const EventLog *log, EventLogBankValues *v) {
        if (log->flavor != EVENTLOG_TCG)
                return;
        for (unsigned i = 17; i <= 22; i++)
                memset(v->value[i], 0xff, v->size);
        if (log->has_locality)
                v->value[0][v->size - 1] = log->startup_locality;
}

int eventlog_replay(const EventLog *log, uint16_t alg, EventLogBankValues *ret) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        EventLogBankValues v = { .alg = alg };
        size_t bank = log->n_banks, n_regs = eventlog_max_index(log->flavor);
        const EVP_MD *md;

        for (size_t b = 0; b < log->n_banks; b++)
                if (log->banks[b] == alg)
                        bank = b;
        if (bank == log->n_banks)
                return -ENOENT;
        v.size = log->bank_sizes[bank];

        md = eventlog_replay_hash(alg);
        if (!md)
                return -EOPNOTSUPP;
        /* The parser takes digest sizes of unknown algorithms from the log;
         * one that disagrees with the real hash cannot be replayed. */
        if ((size_t) EVP_MD_get_size(md) != v.size)
                return -EBADMSG;
        ctx = EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;

        eventlog_replay_initial(log, &v);
        for (size_t i = 0; i < log->n_events; i++) {
                const EventLogEvent *ev = &log->events[i];
                const EventLogDigest *d;
                uint8_t *reg;

                /* EV_NO_ACTION events are informational (the Spec ID header,
                 * StartupLocality, SP800-155 reference data): never extended. */
                if (ev->type == EVENTLOG_EV_NO_ACTION)
                        continue;
                if (ev->index >= n_regs)
                        return -EBADMSG;
                d = eventlog_replay_find_digest(ev, alg);
                if (!d)
                        return -ENODATA;

                /* An H-CRTM measures itself before TPM2_Startup: the TPM
                 * then resets PCR 0 to 0…04 (locality 4) and extends the
                 * H-CRTM digest into it (TPM 2.0 Library, Part 1, H-CRTM
                 * event sequence), whatever a StartupLocality event says. */
                if (log->flavor == EVENTLOG_TCG && ev->type == EVENTLOG_EV_EFI_HCRTM_EVENT &&
                    ev->index == 0 && !(v.used & 1)) {
                        memset(v.value[0], 0, v.size);
                        v.value[0][v.size - 1] = 4;
                }

                /* Nothing can extend PCRs 17-22 before a dynamic launch
                 * resets them to zero, so events for them start from there. */
                if (log->flavor == EVENTLOG_TCG && ev->index >= 17 && ev->index <= 22 &&
                    !(v.used & (UINT32_C(1) << ev->index)))
                        memset(v.value[ev->index], 0, v.size);

                reg = v.value[ev->index];
                if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
                    EVP_DigestUpdate(ctx, reg, v.size) != 1 ||
                    EVP_DigestUpdate(ctx, d->value, d->size) != 1 ||
                    EVP_DigestFinal_ex(ctx, reg, NULL) != 1)
                        return -EIO;
                v.used |= UINT32_C(1) << ev->index;
        }

        *ret = v;
        return 0;
}
