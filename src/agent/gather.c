/* Gathering evidence: the measured-boot event log as the kernel exposes it
 * and a vTPM quote bound to the caller's nonce, with the PCR values the
 * quote covers. The log is parsed here too: a log that does not parse would
 * be refused by any verifier, so it is better to fail on the node where an
 * operator can see why. */

#include "gather.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-quote.h"

/* binary_bios_measurements is a few tens of KiB on real machines; anything
 * this large is not an event log. */
#define GATHER_EVENTLOG_MAX (16u * 1024 * 1024)

struct Evidence {
        uint8_t *eventlog;
        size_t eventlog_size;
        EventLog *log;
        TpmQuote *quote;
        AkAlgorithm ak_algorithm;
        uint8_t nonce[TPM_QUOTE_NONCE_MAX];
        size_t nonce_size;
        /* Replay of the log against the quoted PCRs: -1 not compared (no
         * log, or no bank in common), 0 all equal, 1 some differ. */
        int replay_mismatch;
        uint16_t mismatch_alg;
        unsigned mismatch_pcr;
};

void evidence_free(Evidence *e) {
        if (!e)
                return;
        free(e->eventlog);
        eventlog_free(e->log);
        tpm_quote_free(e->quote);
        free(e);
}

static TpmAkAlgorithm gather_ak_algorithm(AkAlgorithm a) {
        switch (a) {
        case AK_ALG_RSA2048:
                return TPM_AK_RSA2048;
        case AK_ALG_ECC_P256:
                return TPM_AK_ECC_P256;
        default:
                return _TPM_AK_INVALID;
        }
}

static int gather_eventlog(const char *path, Evidence *e) {
        ParseError perr = {};
        char buf[256];
        int r;

        if (!path)
                return 0;
        r = read_full_file(path, GATHER_EVENTLOG_MAX, &e->eventlog, &e->eventlog_size);
        if (r == -ENOENT) {
                log_debug("No event log at '%s'; collecting the quote without one", path);
                return 0;
        }
        if (r < 0)
                return log_debug_errno(r, "Cannot read the event log '%s': %m", path);
        r = eventlog_parse(e->eventlog, e->eventlog_size, EVENTLOG_TCG, &perr, &e->log);
        if (r < 0)
                return log_debug_errno(r, "The event log '%s' is malformed: %s", path,
                                       parse_error_string(&perr, buf, sizeof(buf)));
        return 0;
}

/* A log that does not replay to the quoted PCRs is still sent (the verifier
 * decides), but the summary says so: it is the first thing an operator
 * looking at a rejected node wants to know. */
static void gather_compare_replay(Evidence *e) {
        const PcrSelection *sel = &e->quote->selection;

        e->replay_mismatch = -1;
        if (!e->log)
                return;
        for (size_t b = 0; b < sel->n_banks; b++) {
                const TpmPcrBankValues *q = tpm_pcr_values_bank(&e->quote->pcrs, sel->banks[b].alg);
                EventLogBankValues v;
                size_t n = tpm_alg_hash_size(sel->banks[b].alg);

                if (!q || eventlog_replay(e->log, sel->banks[b].alg, &v) < 0)
                        continue;
                if (e->replay_mismatch < 0)
                        e->replay_mismatch = 0;
                for (unsigned i = 0; i < PCR_MAX && i < EVENTLOG_MAX_PCRS; i++) {
                        if (!(sel->banks[b].mask & (1u << i)))
                                continue;
                        if (v.size != n || memcmp(v.value[i], q->value[i], n) != 0) {
                                log_debug("Event log replay of %s PCR %u differs from the TPM's "
                                          "value",
                                          tpm_alg_hash_name(sel->banks[b].alg), i);
                                e->replay_mismatch = 1;
                                e->mismatch_alg = sel->banks[b].alg;
                                e->mismatch_pcr = i;
                                return;
                        }
                }
        }
}

int gather_evidence(const Config *c, const uint8_t *nonce, size_t nonce_size, Evidence **ret) {
        _cleanup_(evidence_freep) Evidence *e = NULL;
        _cleanup_(tpm_context_freep) TpmContext *tpm = NULL;
        TpmAkAlgorithm alg = gather_ak_algorithm(c->ak_algorithm);
        int r;

        if (nonce_size > TPM_QUOTE_NONCE_MAX || alg < 0)
                return -EINVAL;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->ak_algorithm = c->ak_algorithm;
        memcpy(e->nonce, nonce, nonce_size);
        e->nonce_size = nonce_size;

        r = gather_eventlog(c->eventlog_path, e);
        if (r < 0)
                return r;

        r = tpm_context_open(c->tcti, &tpm);
        if (r < 0)
                return log_debug_errno(r, "Cannot open the TPM through '%s': %m", c->tcti);
        r = tpm_quote_collect(tpm, alg, c->ak_handle, &c->pcrs, nonce, nonce_size, &e->quote);
        if (r < 0)
                return log_debug_errno(r, "Cannot quote PCRs with the TPM: %m");

        gather_compare_replay(e);
        *ret = TAKE_PTR(e);
        return 0;
}

void evidence_summary(const Evidence *e, char *buf, size_t size) {
        char sel[256], logpart[256], banks[64] = "";
        size_t o = 0;

        pcr_selection_format(&e->quote->selection, sel, sizeof(sel));
        if (e->log) {
                for (size_t i = 0; i < e->log->n_banks; i++)
                        o += (size_t)snprintf(banks + o, o < sizeof(banks) ? sizeof(banks) - o : 0,
                                              "%s%s", i ? "+" : "",
                                              tpm_alg_hash_name(e->log->banks[i]) ?: "?");
                if (e->replay_mismatch == 1)
                        snprintf(logpart, sizeof(logpart),
                                 "event log %zu bytes, %zu events, banks %s, replay differs at %s "
                                 "PCR %u",
                                 e->eventlog_size, e->log->n_events, banks[0] ? banks : "sha1",
                                 tpm_alg_hash_name(e->mismatch_alg) ?: "?", e->mismatch_pcr);
                else
                        snprintf(logpart, sizeof(logpart),
                                 "event log %zu bytes, %zu events, banks %s, %s", e->eventlog_size,
                                 e->log->n_events, banks[0] ? banks : "sha1",
                                 e->replay_mismatch == 0 ? "replays to the quoted PCRs"
                                                         : "no bank in common with the quote");
        } else
                snprintf(logpart, sizeof(logpart), "no event log");
        snprintf(buf, size, "%s; quote over %s (%zu-byte nonce, attest %zu bytes), %s AK %s",
                 logpart, sel, e->nonce_size, e->quote->attest_size,
                 ak_algorithm_to_string(e->ak_algorithm) ?: "?", e->quote->ak_fingerprint);
}

static int evidence_write_file(const char *dir, const char *name, const void *data, size_t size) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        return write_file_atomic(path, data, size, 0644);
}

int evidence_write_dir(const Evidence *e, const char *dir) {
        _cleanup_(json_object_putp) json_object *pcrs = NULL;
        _cleanup_free_ char *nonce_hex = NULL, *eventlog_path = NULL;
        const char *s;
        int r;

        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;

        r = evidence_write_file(dir, "ak.pem", e->quote->ak_pem, strlen(e->quote->ak_pem));
        if (r < 0)
                return r;
        r = evidence_write_file(dir, "ak.pub", e->quote->ak_public, e->quote->ak_public_size);
        if (r < 0)
                return r;
        r = evidence_write_file(dir, "tpm-quote.msg", e->quote->attest, e->quote->attest_size);
        if (r < 0)
                return r;
        r = evidence_write_file(dir, "tpm-quote.sig", e->quote->signature,
                                e->quote->signature_size);
        if (r < 0)
                return r;

        r = tpm_pcr_values_to_json(&e->quote->pcrs, &pcrs);
        if (r < 0)
                return r;
        s = json_object_to_json_string_ext(pcrs, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
        if (!s)
                return -ENOMEM;
        r = evidence_write_file(dir, "pcrs.json", s, strlen(s));
        if (r < 0)
                return r;

        nonce_hex = hex_encode(e->nonce, e->nonce_size);
        if (!nonce_hex)
                return -ENOMEM;
        r = evidence_write_file(dir, "nonce.hex", nonce_hex, strlen(nonce_hex));
        if (r < 0)
                return r;

        if (e->eventlog)
                return evidence_write_file(dir, "eventlog.bin", e->eventlog, e->eventlog_size);
        /* A log left from an earlier run in the same directory would be
         * taken for this machine's. */
        if (asprintf(&eventlog_path, "%s/eventlog.bin", dir) < 0)
                return -ENOMEM;
        if (unlink(eventlog_path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
