/* The attest phase: KBS rounds against the configured verifiers until one
 * releases the resources, with the retry schedule of kbs-backoff, systemd
 * kept informed, and each failure logged once with its reason. */

#include "attest.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "gather.h"
#include "notify.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"
#include "confnode/disk/disk.h"
#include "confnode/kbs/kbs-backoff.h"
#include "confnode/tpm/tpm-context.h"

/* What a round may take beyond its requests: the evidence (TEE report,
 * quote, event log). Used only to size EXTEND_TIMEOUT_USEC=. */
#define ATTEST_EVIDENCE_ALLOWANCE_MS (60u * 1000)

static uint64_t attest_now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool attest_stopped(const AttestOptions *o) {
        return o->stop && *o->stop;
}

void attest_result_done(AttestResult *r) {
        if (!r)
                return;
        kbs_round_result_done(&r->released);
        free(r->url);
        *r = (AttestResult){};
}

void attest_released_line(const KbsReleased *r, char *buf, size_t size) {
        char fp[9];

        secret_fingerprint(r->value, fp);
        snprintf(buf, size, "released %s (%zu bytes, sha256 %s)", r->path, r->value->size, fp);
}

int attest_uuid_normalize(const char *s, char ret[static ATTEST_UUID_STRING_MAX]) {
        if (!s || strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return -EINVAL;
                        ret[i] = '-';
                } else if (isxdigit((unsigned char)s[i]))
                        ret[i] = (char)tolower((unsigned char)s[i]);
                else
                        return -EINVAL;
        }
        ret[36] = 0;
        return 0;
}

/* Which TEE this is. Azure's report is in the TPM, which is open only for
 * the look: the evidence step opens it again (swtpm serves one connection
 * at a time). */
int attest_detect_tee(const Config *c, TeeDetection *ret) {
        _cleanup_(tpm_context_freep) TpmContext *tpm = NULL;
        TeeSource want = tee_source_from_string(c->tee);
        TeeError err = {};
        TeeOptions o;
        int r;

        if (want == TEE_SOURCE_AUTO || want == TEE_SOURCE_AZURE) {
                r = tpm_context_open(c->tcti, &tpm);
                if (r < 0)
                        log_debug_errno(r,
                                        "Cannot open the TPM through '%s' to look for Azure's HCL "
                                        "report, ignoring: %m",
                                        c->tcti);
        }
        gather_tee_options(c, tpm, &o);
        r = tee_detect(&o, want, ret, &err);
        if (r < 0)
                return log_fail(r, PHASE_DETECT, "tee.unavailable",
                                "tee = %s is configured, but: %s", c->tee, err.what);
        if (ret->source == TEE_SOURCE_NONE) {
                log_set_tee(want == TEE_SOURCE_NONE ? "none" : "vtpm");
                if (want == TEE_SOURCE_NONE)
                        log_phase(PHASE_DETECT,
                                  "TEE collection disabled (tee = none): vTPM evidence only");
                else
                        log_phase(PHASE_DETECT,
                                  "No TEE found (configfs-tsm '%s', '%s', '%s', Azure's HCL report "
                                  "in vTPM NV): vTPM evidence only",
                                  c->tsm_path, c->sev_guest_path, c->tdx_guest_path);
                return 0;
        }
        log_set_tee(tee_type_to_string(ret->type));
        log_phase(PHASE_DETECT, "TEE %s via %s '%s'%s%s%s", tee_type_to_string(ret->type),
                  tee_source_to_string(ret->source), ret->where,
                  ret->provider[0] ? " (provider " : "", ret->provider,
                  ret->provider[0] ? ")" : "");
        if (ret->source == TEE_SOURCE_TDX_GUEST)
                log_warning("'%s' gives a TD report, which no verifier off this machine can check; "
                            "a quote needs configfs-tsm (tee = tsm)",
                            ret->where);
        return 0;
}

/* The disk module decides which key to ask for (disk_key_uuid()): an
 * existing confnode volume's UUID, or a fresh one for a blank disk. It
 * only reads the device. A disk it would refuse gets no key asked for. */
int attest_disk_uuid(const Config *c, char **ret) {
        _cleanup_(disk_result_done) DiskResult res = {};
        char uuid[DISK_UUID_STRING_MAX];
        DiskConfig dc;
        int r;

        *ret = NULL;
        if (!c->disk_device) {
                log_info("The state disk is not configured ([disk] device): not asking for a disk "
                         "key");
                return 0;
        }
        config_disk(c, &dc);
        r = disk_key_uuid(&dc, uuid, &res);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_info("%s; not asking for a disk key", res.message ? res.message : "The state disk is unusable");
                return 0;
        }
        log_info("The state disk '%s' holds %s: asking for the key of %s", res.path, res.found.what, uuid);
        *ret = strdup(uuid);
        return *ret ? 0 : -ENOMEM;
}

/* One run of the phase: what the callbacks need. */
typedef struct AttestRun {
        const AttestOptions *o;
        size_t n_resources;
        uint64_t t_step;
} AttestRun;

/* What a rejection at step refused. */
static const char *attest_rejected_what(KbsStep s) {
        switch (s) {
        case KBS_STEP_AUTH:
                return "session";
        case KBS_STEP_RESOURCE:
                return "request";
        default:
                return "evidence";
        }
}

static Phase attest_phase(KbsStep s) {
        switch (s) {
        case KBS_STEP_AUTH:
                return PHASE_AUTH;
        case KBS_STEP_EVIDENCE:
                return PHASE_EVIDENCE;
        case KBS_STEP_ATTEST:
                return PHASE_ATTEST;
        default:
                return PHASE_RESOURCES;
        }
}

static void attest_step(void *userdata, KbsStep step, const char *url) {
        AttestRun *run = userdata;
        const AttestOptions *o = run->o;

        run->t_step = attest_now_ms();
        switch (step) {
        case KBS_STEP_AUTH:
                if (o->notify)
                        notify_status("Authenticating to verifier %s", url);
                log_debug("Starting a KBS session with '%s'", url);
                break;
        case KBS_STEP_EVIDENCE:
                if (o->notify)
                        notify_status("Collecting evidence (TEE report, event log, vTPM quote)");
                break;
        case KBS_STEP_ATTEST:
                if (o->notify)
                        notify_status("Sending evidence to verifier %s", url);
                break;
        case KBS_STEP_RESOURCE:
                if (o->notify)
                        notify_status("Fetching %zu resource(s) from verifier %s", run->n_resources,
                                      url);
                break;
        default:
                break;
        }
}

static int attest_evidence(void *userdata, const KbsChallenge *chal, json_object *tee_pubkey,
                           json_object **ret_primary, char **ret_additional, KbsFailure *f) {
        AttestRun *run = userdata;
        _cleanup_(evidence_freep) Evidence *ev = NULL;
        GatherBinding b = {.alg = chal->hash_alg, .nonce = chal->nonce, .tee_pubkey = tee_pubkey};
        TeeError err = {};
        char summary[1280];
        int r;

        r = gather_kbs_evidence(run->o->config, run->o->tee, &b, &ev, ret_primary, ret_additional,
                                &err);
        if (r < 0)
                return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_EVIDENCE, r,
                                       "evidence.collect", "%s",
                                       err.what[0] ? err.what : strerror(-r));
        evidence_summary(ev, summary, sizeof(summary));
        log_phase(PHASE_EVIDENCE, "Evidence collected in %" PRIu64 " ms (%s binding): %s",
                  attest_now_ms() - run->t_step, kbs_hash_alg_to_string(chal->hash_alg), summary);
        return 0;
}

static int attest_save_one(const char *dir, const char *name, const char *data, size_t size) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (!data) {
                /* A file of an earlier round would be taken for this one's. */
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        return write_file_atomic(path, data, size, 0644);
}

/* The exact bodies of the round, for `confnode-verifier check DIR`. */
static void attest_save_bundle(const char *dir, const KbsExchange *ex) {
        int r;

        r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = attest_save_one(dir, "request.json", ex->request, ex->request_size);
        if (r >= 0)
                r = attest_save_one(dir, "challenge.json", ex->challenge, ex->challenge_size);
        if (r >= 0)
                r = attest_save_one(dir, "attestation.json", ex->attestation, ex->attestation_size);
        if (r < 0)
                log_warning_errno(r, "Failed to save the KBS exchange to '%s', ignoring: %m", dir);
        else
                log_info("Saved the KBS exchange with '%s' to '%s'%s", ex->url, dir,
                         ex->attestation ? "" : " (the round ended before the Attestation)");
}

/* How long one round may take, for EXTEND_TIMEOUT_USEC=. */
static uint64_t attest_round_budget_ms(const Config *c, size_t n_resources) {
        return ATTEST_EVIDENCE_ALLOWANCE_MS +
               (uint64_t)(3 + n_resources) * (c->connect_timeout_ms + c->request_timeout_ms);
}

/* Sleeps ms, waking early for a stop signal. */
static void attest_sleep(const AttestOptions *o, uint64_t ms) {
        uint64_t until = attest_now_ms() + ms;

        while (!attest_stopped(o)) {
                uint64_t now = attest_now_ms(), left;
                struct timespec ts;

                if (now >= until)
                        return;
                left = until - now;
                /* Short slices: a signal that lands between the check and
                 * the sleep is seen within 200 ms. */
                if (left > 200)
                        left = 200;
                ts = (struct timespec){.tv_sec = (time_t)(left / 1000),
                                       .tv_nsec = (long)(left % 1000) * 1000000};
                (void)nanosleep(&ts, NULL);
        }
}

static uint32_t attest_jitter(void) {
        uint32_t j = 0;

        if (RAND_bytes((unsigned char *)&j, sizeof(j)) != 1)
                j = (uint32_t)attest_now_ms() * 2654435761u;
        return j;
}

static int attest_resources(const AttestOptions *o, char ***ret, size_t *ret_n) {
        const Config *c = o->config;
        char **v = calloc(3, sizeof(char *));
        size_t n = 0;
        int r;

        if (!v)
                return -ENOMEM;
        if (o->disk_uuid) {
                r = config_resource_path(c->resource_disk, o->disk_uuid, &v[n]);
                if (r < 0)
                        goto fail;
                n++;
        }
        r = config_resource_path(c->resource_join, NULL, &v[n]);
        if (r < 0)
                goto fail;
        n++;
        *ret = v;
        *ret_n = n;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
        return r;
}

static void attest_strv_free(char ***v) {
        for (size_t i = 0; *v && (*v)[i]; i++)
                free((*v)[i]);
        free(*v);
}

int attest_run(const AttestOptions *o, AttestResult *ret) {
        const Config *c = o->config;
        __attribute__((cleanup(attest_strv_free))) char **resources = NULL;
        _cleanup_(kbs_exchange_done) KbsExchange ex = {};
        KbsClient client = {
                .urls = c->verifier_urls,
                .http =
                        {
                                .ca_file = c->verifier_ca,
                                .use_system_trust = c->use_system_trust,
                                .connect_timeout_ms = c->connect_timeout_ms,
                                .request_timeout_ms = c->request_timeout_ms,
                                .cancel = o->stop,
                        },
        };
        KbsBackoff backoff = {.initial_ms = c->retry_initial_ms, .max_ms = c->retry_max_ms};
        AttestRun run = {.o = o};
        KbsFailure f = {};
        size_t n_endpoints = kbs_client_n_endpoints(&client);
        uint64_t start = attest_now_ms(), budget;
        unsigned attempt = 0;
        KbsTee tee;
        TeeError terr = {};
        int r;

        *ret = (AttestResult){};
        if (n_endpoints == 0 || !c->verifier_ca)
                return log_fail(EINVAL, PHASE_AUTH, "config.invalid",
                                "No verifier configured ([verifier] url and ca)");
        r = gather_kbs_tee(o->tee, &tee, &terr);
        if (r < 0)
                return log_fail(r, PHASE_EVIDENCE, "evidence.tee_unsupported", "%s", terr.what);
        r = attest_resources(o, &resources, &run.n_resources);
        if (r < 0)
                return log_fail(r, PHASE_RESOURCES, "config.invalid",
                                "Cannot form the resource paths from [verifier] resource_disk "
                                "'%s' and resource_join '%s'",
                                c->resource_disk, c->resource_join);
        budget = attest_round_budget_ms(c, run.n_resources);
        log_phase(PHASE_AUTH, "Attesting as '%s' to %zu verifier endpoint(s), asking for %s%s%s",
                  kbs_tee_to_string(tee), n_endpoints, resources[0], resources[1] ? " and " : "",
                  resources[1] ? resources[1] : "");

        for (;;) {
                bool rejected = false;
                uint64_t delay, retry_after = 0;
                const char *url = NULL;

                for (size_t i = 0; i < n_endpoints; i++) {
                        _cleanup_(ephemeral_key_freep) EphemeralKey *key = NULL;
                        KbsRoundParams p = {
                                .tee = tee,
                                .evidence = attest_evidence,
                                .step = attest_step,
                                .userdata = &run,
                                .resources = (const char *const *)resources,
                        };

                        if (attest_stopped(o))
                                return -EINTR;
                        url = c->verifier_urls[i];
                        /* A fresh key per session: a key never outlives the
                         * nonce it was bound to. */
                        r = ephemeral_key_new(EPHEMERAL_KEY_P256, &key);
                        if (r < 0)
                                return log_fail(r, PHASE_AUTH, "crypto.key",
                                                "Failed to make an ephemeral key: %m");
                        p.key = key;
                        if (o->notify)
                                notify_extend_timeout(budget * 1000);
                        r = kbs_client_round(&client, i, &p, &ret->released, &ex, &f);
                        if (o->save_bundle && ex.request)
                                attest_save_bundle(o->save_bundle, &ex);
                        if (r >= 0) {
                                ret->url = strdup(url);
                                if (!ret->url) {
                                        attest_result_done(ret);
                                        return log_fail(ENOMEM, PHASE_RESOURCES, "agent.oom",
                                                        "Out of memory");
                                }
                                for (size_t k = 0; k < ret->released.n_released; k++) {
                                        char line[512];

                                        attest_released_line(&ret->released.released[k], line,
                                                             sizeof(line));
                                        log_phase(PHASE_RESOURCES, "Verifier '%s' %s", url, line);
                                }
                                log_phase(PHASE_RESOURCES,
                                          "Attested to '%s' in %.1f s; %zu resource(s) in locked "
                                          "memory",
                                          url, (double)(attest_now_ms() - start) / 1000.0,
                                          ret->released.n_released);
                                return 0;
                        }
                        snprintf(ret->reason, sizeof(ret->reason), "%s", f.reason);
                        if (attest_stopped(o) || f.error == -ECANCELED)
                                return -EINTR;
                        if (f.outcome == KBS_OUTCOME_FATAL)
                                return log_fail(f.error, attest_phase(f.step), f.reason,
                                                "Verifier '%s': %s", url, f.what);
                        if (f.outcome == KBS_OUTCOME_REJECTED) {
                                /* Replicas share one policy: asking the next
                                 * endpoint the same question is pointless. */
                                rejected = true;
                                break;
                        }
                        if (f.retry_after_ms > retry_after)
                                retry_after = f.retry_after_ms;
                        if (i + 1 < n_endpoints)
                                log_internal(LOG_WARNING, f.error, attest_phase(f.step), f.reason,
                                             __FILE__, __LINE__, __func__,
                                             "Verifier '%s': %s; trying '%s'", url, f.what,
                                             c->verifier_urls[i + 1]);
                }

                if (rejected) {
                        attempt = 0;
                        delay = c->rejection_retry_ms;
                } else
                        delay = kbs_backoff_delay(&backoff, attempt++, attest_jitter(),
                                                  retry_after);

                if (o->once || (rejected && o->stop_on_rejection)) {
                        if (rejected)
                                log_internal(LOG_ERR, f.error, attest_phase(f.step), f.reason,
                                             __FILE__, __LINE__, __func__,
                                             "Verifier '%s' rejected the %s: %s", url,
                                             attest_rejected_what(f.step), f.what);
                        else
                                log_internal(LOG_ERR, f.error, attest_phase(f.step), f.reason,
                                             __FILE__, __LINE__, __func__,
                                             "No verifier released the resources (--once, no "
                                             "retries); last '%s': %s",
                                             url, f.what);
                        return rejected ? -EACCES : -ETIMEDOUT;
                }
                if (c->retry_deadline_ms > 0 &&
                    attest_now_ms() + delay > start + c->retry_deadline_ms) {
                        log_internal(LOG_ERR, f.error, attest_phase(f.step), f.reason, __FILE__,
                                     __LINE__, __func__,
                                     "Giving up: no verifier released the resources within "
                                     "retry_deadline (%.1f s); last '%s': %s%s",
                                     (double)c->retry_deadline_ms / 1000.0, url,
                                     rejected ? "rejected: " : "", f.what);
                        if (o->notify)
                                notify_status("Gave up on the verifier: %s", f.reason);
                        return rejected ? -EACCES : -ETIMEDOUT;
                }

                if (rejected) {
                        log_internal(LOG_ERR, f.error, attest_phase(f.step), f.reason, __FILE__,
                                     __LINE__, __func__,
                                     "Verifier '%s' rejected the %s: %s; attesting again in %.1f s",
                                     url, attest_rejected_what(f.step), f.what,
                                     (double)delay / 1000.0);
                        if (o->notify)
                                notify_status("Rejected by verifier %s: %s; attesting again in "
                                              "%.1f s",
                                              url, f.reason, (double)delay / 1000.0);
                } else {
                        log_internal(LOG_WARNING, f.error, attest_phase(f.step), f.reason, __FILE__,
                                     __LINE__, __func__,
                                     "Waiting for verifier: %s: %s; retry %u in %.1f s", url,
                                     f.what, attempt, (double)delay / 1000.0);
                        if (o->notify)
                                notify_status("Waiting for verifier: %s: %s; retry %u in %.1f s",
                                              url, f.what, attempt, (double)delay / 1000.0);
                }
                if (o->notify)
                        notify_extend_timeout((delay + budget) * 1000);
                attest_sleep(o, delay);
        }
}
