/* Gathering evidence: the TEE report through whichever interface the
 * machine has, the measured-boot event log as the kernel exposes it and a
 * vTPM quote bound to the caller's nonce, with the PCR values the quote
 * covers. The log and the TEE report are parsed here too: evidence that
 * does not parse would be refused by any verifier, so it is better to fail
 * on the node where an operator can see why. */

#include "gather.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/evidence/snp-cert-table.h"
#include "confnode/kbs/kbs-binding.h"
#include "confnode/kbs/kbs-evidence.h"
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
        /* The TEE found, and its evidence (NULL when there is none). */
        TeeDetection detection;
        TeeEvidence *tee;
};

void evidence_free(Evidence *e) {
        if (!e)
                return;
        free(e->eventlog);
        eventlog_free(e->log);
        tpm_quote_free(e->quote);
        tee_evidence_free(e->tee);
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

static int gather_eventlog(const char *path, Evidence *e, TeeError *err) {
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
                return tee_evidence_error(err, r, "Cannot read the event log '%s'", path);
        r = eventlog_parse(e->eventlog, e->eventlog_size, EVENTLOG_TCG, &perr, &e->log);
        if (r < 0)
                return tee_evidence_error(err, r, "The event log '%s' is malformed (%s)", path,
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

void gather_tee_options(const Config *c, TpmContext *tpm, TeeOptions *ret) {
        *ret = (TeeOptions){
                .tsm_path = c->tsm_path,
                .sev_guest_path = c->sev_guest_path,
                .tdx_guest_path = c->tdx_guest_path,
                .tpm = tpm,
        };
}

/* The TEE report binds the nonce as the quote does: the verifier's nonce
 * is the report data, zero-padded to the 64 bytes every TEE takes. */
static int gather_tee(const Config *c, const TeeDetection *given, TpmContext *tpm, Evidence *e,
                      TeeError *err) {
        uint8_t report_data[TEE_REPORT_DATA_SIZE] = {};
        TeeOptions o;
        int r;

        gather_tee_options(c, tpm, &o);
        if (given)
                e->detection = *given;
        else {
                r = tee_detect(&o, tee_source_from_string(c->tee), &e->detection, err);
                if (r < 0)
                        return r;
        }
        if (e->detection.source == TEE_SOURCE_NONE)
                return 0;
        memcpy(report_data, e->nonce, e->nonce_size);
        return tee_detect_collect(&o, &e->detection, report_data, &e->tee, err);
}

int gather_evidence(const Config *c, const TeeDetection *tee, const uint8_t *nonce,
                    size_t nonce_size, Evidence **ret, TeeError *err) {
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

        r = gather_eventlog(c->eventlog_path, e, err);
        if (r < 0)
                return r;

        r = tpm_context_open(c->tcti, &tpm);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot open the TPM through '%s'", c->tcti);
        r = gather_tee(c, tee, tpm, e, err);
        if (r < 0)
                return r;
        r = tpm_quote_collect(tpm, alg, c->ak_handle, &c->pcrs, nonce, nonce_size, &e->quote);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot quote PCRs with the TPM through '%s'",
                                          c->tcti);

        gather_compare_replay(e);
        *ret = TAKE_PTR(e);
        return 0;
}

int gather_kbs_tee(const TeeDetection *d, KbsTee *ret, TeeError *err) {
        if (d->source == TEE_SOURCE_NONE) {
                *ret = KBS_TEE_TPM;
                return 0;
        }
        switch (d->type) {
        case TEE_TYPE_SNP:
                *ret = KBS_TEE_SNP;
                return 0;
        case TEE_TYPE_TDX:
                if (d->source == TEE_SOURCE_TDX_GUEST)
                        return tee_evidence_error(err, -EOPNOTSUPP,
                                                  "'%s' gives a TD report, which no verifier off "
                                                  "this machine can check; a TDX quote needs "
                                                  "configfs-tsm (tee = tsm)",
                                                  d->where);
                *ret = KBS_TEE_TDX;
                return 0;
        case TEE_TYPE_AZ_SNP_VTPM:
                *ret = KBS_TEE_AZ_SNP_VTPM;
                return 0;
        case TEE_TYPE_AZ_TDX_VTPM:
                *ret = KBS_TEE_AZ_TDX_VTPM;
                return 0;
        default:
                return tee_evidence_error(err, -EOPNOTSUPP, "TEE type %d has no KBS name",
                                          (int)d->type);
        }
}

static int gather_blob(KbsBlob *b, const uint8_t *data, size_t size) {
        if (!data || size == 0)
                return 0;
        b->data = malloc(size);
        if (!b->data)
                return -ENOMEM;
        memcpy(b->data, data, size);
        b->size = size;
        return 0;
}

/* The quote, the AK and the event log as the KBS evidence carries them. */
static int gather_kbs_tpm(const Evidence *e, KbsEvidence *k) {
        int r;

        k->has_tpm = true;
        k->tpm.pcrs = e->quote->pcrs;
        if ((r = gather_blob(&k->tpm.attest, e->quote->attest, e->quote->attest_size)) < 0 ||
            (r = gather_blob(&k->tpm.signature, e->quote->signature, e->quote->signature_size)) < 0 ||
            (r = gather_blob(&k->tpm.ak_public, e->quote->ak_public, e->quote->ak_public_size)) < 0 ||
            (r = gather_blob(&k->tpm.eventlog, e->eventlog, e->eventlog_size)) < 0)
                return r;
        return 0;
}

static int gather_kbs_report(const TeeEvidence *t, KbsEvidence *k) {
        int r;

        r = gather_blob(&k->report, t->report, t->report_size);
        if (r >= 0 && t->certs)
                r = gather_blob(&k->cert_table, t->certs, t->certs_size);
        return r;
}

int gather_kbs_evidence(const Config *c, const TeeDetection *tee, const GatherBinding *b,
                        Evidence **ret_ev, json_object **ret_primary, char **ret_additional,
                        TeeError *err) {
        /* Trustee's quotes carry all 24 SHA-256 PCRs, and its verifiers
         * hash all of them against the quote's digest. */
        static const PcrSelection kbs_pcrs = {
                .banks = { { .alg = 0x000b, .mask = (1u << PCR_MAX) - 1 } },
                .n_banks = 1,
        };
        _cleanup_(evidence_freep) Evidence *e = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *k = NULL;
        _cleanup_(tpm_context_freep) TpmContext *tpm = NULL;
        _cleanup_(json_object_putp) json_object *primary = NULL;
        _cleanup_free_ char *additional = NULL;
        TpmAkAlgorithm alg = gather_ak_algorithm(c->ak_algorithm);
        uint8_t digest[KBS_BINDING_MAX_DIGEST], report_data[KBS_REPORT_DATA_SIZE] = {};
        size_t digest_size, qd_size;
        TeeOptions o;
        KbsTee kt;
        int r;

        if (alg < 0)
                return -EINVAL;
        r = gather_kbs_tee(tee, &kt, err);
        if (r < 0)
                return r;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->ak_algorithm = c->ak_algorithm;
        e->detection = *tee;
        r = kbs_evidence_new(kt, &k);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot hold %s evidence", kbs_tee_to_string(kt));

        r = gather_eventlog(c->eventlog_path, e, err);
        if (r < 0)
                return r;
        r = tpm_context_open(c->tcti, &tpm);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot open the TPM through '%s'", c->tcti);
        gather_tee_options(c, tpm, &o);

        /* Stage one: the quote. For snp and tdx it is additional evidence
         * and binds {nonce, tee-pubkey}; everywhere else it is (part of)
         * the primary evidence and binds the three-member form with an
         * empty additional-evidence. */
        r = kbs_binding_digest(b->alg, b->nonce, b->tee_pubkey,
                               kt == KBS_TEE_SNP || kt == KBS_TEE_TDX ? NULL : "", digest,
                               &digest_size);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot compute the binding digest");
        r = kbs_binding_tpm_qualifying_data(kt == KBS_TEE_SNP || kt == KBS_TEE_TDX ? KBS_TEE_TPM : kt,
                                            digest, digest_size, e->nonce, &qd_size);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot form the quote's qualifying data");
        e->nonce_size = qd_size;
        r = tpm_quote_collect(tpm, alg, c->ak_handle, &kbs_pcrs, e->nonce, e->nonce_size, &e->quote);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot quote PCRs with the TPM through '%s'",
                                          c->tcti);
        gather_compare_replay(e);
        r = gather_kbs_tpm(e, k);
        if (r < 0)
                return r;

        /* Stage two: the additional_evidence string, then the TEE report
         * over the digest that includes it. */
        r = kbs_evidence_additional_to_string(k, &additional);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot encode the TPM evidence");
        if (kt != KBS_TEE_TPM) {
                r = kbs_binding_report_data(b->alg, b->nonce, b->tee_pubkey, additional,
                                            report_data);
                if (r < 0)
                        return tee_evidence_error(err, r, "Cannot compute the report data");
                r = tee_detect_collect(&o, &e->detection, report_data, &e->tee, err);
                if (r < 0)
                        return r;
                r = gather_kbs_report(e->tee, k);
                if (r < 0)
                        return r;
        }

        r = kbs_evidence_primary_to_json(k, &primary);
        if (r < 0)
                return tee_evidence_error(err, r, "Cannot encode the %s evidence as Trustee's "
                                                  "JSON",
                                          kbs_tee_to_string(kt));
        *ret_ev = TAKE_PTR(e);
        *ret_primary = TAKE_PTR(primary);
        *ret_additional = TAKE_PTR(additional);
        return 0;
}

/* Which certificates a table holds, as "ark, ask, vcek". */
static void gather_cert_kinds(const TeeEvidence *t, char *buf, size_t size) {
        SnpCertTable table;
        size_t o = 0;

        buf[0] = 0;
        if (!t->certs || snp_cert_table_parse(t->certs, t->certs_size, &table, NULL) < 0)
                return;
        for (size_t i = 0; i < table.n_entries; i++)
                o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s", i ? ", " : "",
                                      snp_cert_kind_to_string(table.entries[i].kind));
}

static void gather_tee_summary(const Evidence *e, char *buf, size_t size) {
        const TeeEvidence *t = e->tee;
        char kinds[128];

        if (!t) {
                snprintf(buf, size, "no TEE report");
                return;
        }
        gather_cert_kinds(t, kinds, sizeof(kinds));
        snprintf(buf, size, "TEE %s via %s '%s'%s%s%s: %s of %zu bytes%s%s%s",
                 tee_type_to_string(t->type), tee_source_to_string(t->source), t->where,
                 t->provider[0] ? " (provider " : "", t->provider, t->provider[0] ? ")" : "",
                 tee_format_to_string(t->format), t->report_size, kinds[0] ? ", certificates " : "",
                 kinds, t->attempts > 1 ? ", after another writer" : "");
}

void evidence_summary(const Evidence *e, char *buf, size_t size) {
        char sel[256], logpart[256], teepart[512], banks[64] = "";
        size_t o = 0;

        gather_tee_summary(e, teepart, sizeof(teepart));
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
        snprintf(buf, size, "%s; %s; quote over %s (%zu-byte nonce, attest %zu bytes), %s AK %s",
                 teepart, logpart, sel, e->nonce_size, e->quote->attest_size,
                 ak_algorithm_to_string(e->ak_algorithm) ?: "?", e->quote->ak_fingerprint);
}

static int evidence_write_file(const char *dir, const char *name, const void *data, size_t size) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        return write_file_atomic(path, data, size, 0644);
}

static int evidence_remove(const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static const char *const evidence_cert_files[] = {
        [SNP_CERT_KIND_ARK] = "certs/ark.pem",
        [SNP_CERT_KIND_ASK] = "certs/ask.pem",
        [SNP_CERT_KIND_VCEK] = "certs/vcek.pem",
        [SNP_CERT_KIND_VLEK] = "certs/vlek.pem",
};

/* Stale TEE files of an earlier run (another TEE, or one with
 * certificates) would be taken for this machine's. */
static int evidence_remove_tee(const char *dir, bool report, bool certs) {
        _cleanup_free_ char *certs_dir = NULL;
        int r = 0;

        if (!report)
                r = evidence_remove(dir, "tee-report.bin");
        if (r >= 0 && !certs)
                r = evidence_remove(dir, "tee-certs.bin");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(evidence_cert_files); i++)
                r = evidence_remove(dir, evidence_cert_files[i]);
        if (r < 0)
                return r;
        if (asprintf(&certs_dir, "%s/certs", dir) < 0)
                return -ENOMEM;
        if (rmdir(certs_dir) < 0 && errno != ENOENT && errno != ENOTEMPTY)
                return -errno;
        return 0;
}

/* Each certificate of the table as PEM, the form `confnode-verifier check
 * --certs DIR` and openssl read. */
static int evidence_write_certs(const TeeEvidence *t, const char *dir, json_object *list) {
        _cleanup_free_ char *certs_dir = NULL;
        SnpCertTable table;
        int r;

        r = snp_cert_table_parse(t->certs, t->certs_size, &table, NULL);
        if (r < 0)
                return r;
        if (asprintf(&certs_dir, "%s/certs", dir) < 0)
                return -ENOMEM;
        r = mkdir_p(certs_dir, 0755);
        if (r < 0)
                return r;
        for (size_t i = 0; i < table.n_entries; i++) {
                const SnpCertTableEntry *en = &table.entries[i];
                const unsigned char *p = en->data;
                X509 *cert;
                BIO *bio;
                char *pem;
                long n;

                if (json_object_array_add(
                            list, json_object_new_string(snp_cert_kind_to_string(en->kind))) < 0)
                        return -ENOMEM;
                if ((size_t)en->kind >= ELEMENTSOF(evidence_cert_files) ||
                    !evidence_cert_files[en->kind])
                        continue; /* a CRL or an unknown GUID: in tee-certs.bin only */
                cert = d2i_X509(NULL, &p, (long)en->size);
                if (!cert)
                        return log_debug_errno(
                                EBADMSG, "The %s in the certificate table is not a certificate",
                                snp_cert_kind_to_string(en->kind));
                bio = BIO_new(BIO_s_mem());
                r = bio && PEM_write_bio_X509(bio, cert) == 1 ? 0 : -ENOMEM;
                X509_free(cert);
                if (r >= 0) {
                        n = BIO_get_mem_data(bio, &pem);
                        r = evidence_write_file(dir, evidence_cert_files[en->kind], pem, (size_t)n);
                }
                BIO_free(bio);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int evidence_write_tee(const Evidence *e, const char *dir) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
        const TeeEvidence *t = e->tee;
        const char *s;
        int r;

        if (!j)
                return -ENOMEM;
        if (!t) {
                r = evidence_remove_tee(dir, false, false);
                if (r >= 0)
                        r = json_add_string(j, "tee", "none");
                if (r >= 0)
                        r = json_add_string(j, "source", tee_source_to_string(e->detection.source));
        } else {
                r = evidence_remove_tee(dir, true, t->certs != NULL);
                if (r >= 0)
                        r = json_add_string(j, "tee", tee_type_to_string(t->type));
                if (r >= 0)
                        r = json_add_string(j, "source", tee_source_to_string(t->source));
                if (r >= 0)
                        r = json_add_string(j, "where", t->where);
                if (r >= 0 && t->provider[0])
                        r = json_add_string(j, "provider", t->provider);
                if (r >= 0 && t->source == TEE_SOURCE_TSM)
                        r = json_add_u64(j, "attempts", t->attempts);
                if (r >= 0)
                        r = json_add_string(j, "format", tee_format_to_string(t->format));
                if (r >= 0)
                        r = json_add_string(j, "report", "tee-report.bin");
                if (r >= 0)
                        r = json_add_u64(j, "report_size", t->report_size);
                if (r >= 0)
                        r = json_add_hex(j, "report_data", t->report_data, sizeof(t->report_data));
                if (r >= 0)
                        r = evidence_write_file(dir, "tee-report.bin", t->report, t->report_size);
                if (r >= 0 && t->certs) {
                        json_object *list = json_object_new_array();

                        r = list ? json_object_object_add(j, "certificates", list) : -ENOMEM;
                        if (r < 0)
                                json_object_put(list);
                        if (r >= 0)
                                r = json_add_string(j, "certs", "tee-certs.bin");
                        if (r >= 0)
                                r = evidence_write_file(dir, "tee-certs.bin", t->certs,
                                                        t->certs_size);
                        if (r >= 0)
                                r = evidence_write_certs(t, dir, list);
                }
        }
        if (r < 0)
                return r;
        s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        return evidence_write_file(dir, "tee.json", s, strlen(s));
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

        r = evidence_write_tee(e, dir);
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
