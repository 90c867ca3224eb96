/* The boot path run by confnode.service: config, detect, evidence, and (in
 * later steps) attestation, key release, disk and kubelet handoff. READY=1
 * is sent only at the very end of a good boot. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "commands.h"
#include "gather.h"
#include "notify.h"
#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-context.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) {
        stop_signal = sig;
}

static int install_signals(void) {
        struct sigaction sa = { .sa_handler = on_signal };

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
                return -errno;
        return 0;
}

/* Between phases: a SIGTERM/SIGINT means stop now, cleanly, with every
 * secret wiped by the cleanup handlers on the way out. */
static int check_stop(Phase phase) {
        if (!stop_signal)
                return 0;
        notify_stopping("Stopped by signal");
        return log_fail(EINTR, phase, "agent.signal", "Stopped by signal %s before the %s phase",
                        strsignal(stop_signal), phase_to_string(phase));
}

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

/* Which TEE this is. Azure's report is in the TPM, which is open only for
 * the look: the evidence phase opens it again (swtpm serves one
 * connection at a time). */
static int boot_detect(const Config *c, TeeDetection *ret) {
        _cleanup_(tpm_context_freep) TpmContext *tpm = NULL;
        TeeSource want = tee_source_from_string(c->tee);
        TeeError err = {};
        TeeOptions o;
        int r;

        if (want == TEE_SOURCE_AUTO || want == TEE_SOURCE_AZURE) {
                r = tpm_context_open(c->tcti, &tpm);
                if (r < 0)
                        log_debug_errno(
                                r,
                                "Cannot open the TPM through '%s' to look for Azure's HCL report, "
                                "ignoring: %m",
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

int verb_boot(int argc, char *argv[], const AgentArgs *a) {
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(evidence_freep) Evidence *ev = NULL;
        TeeDetection tee;
        TeeError err = {};
        ConfigLoad l;
        uint8_t nonce[32];
        char summary[1280];
        double t0, t;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        printf("Usage: confnode [--config PATH] [--tcti TCTI] boot\n"
                               "Runs the boot path; what confnode.service runs.\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        r = install_signals();
        if (r < 0)
                return log_error_errno(r, "Failed to install signal handlers: %m"), EXIT_FAIL;

        t0 = now_ms();
        notify_status("Reading configuration");
        r = agent_load_config(a, true, &l);
        if (r < 0) {
                notify_stopping("Configuration is invalid");
                return EXIT_FAIL;
        }
        log_phase(PHASE_CONFIG, "Configuration loaded (%zu file(s)) in %.1f ms", l.n_files, now_ms() - t0);

        if (check_stop(PHASE_DETECT) < 0)
                goto fail;
        t = now_ms();
        notify_status("Detecting the TEE");
        if (boot_detect(&l.config, &tee) < 0)
                goto fail;
        log_phase(PHASE_DETECT, "Detection took %.1f ms", now_ms() - t);

        if (check_stop(PHASE_EVIDENCE) < 0)
                goto fail;
        t = now_ms();
        notify_status("Collecting evidence (TEE report, event log, vTPM quote)");
        /* Until the KBS client exists there is no verifier nonce; a fresh
         * random one still proves the quote path end to end. */
        if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
                log_fail(EIO, PHASE_EVIDENCE, "crypto.random", "Failed to draw a nonce from the CSPRNG");
                goto fail;
        }
        r = gather_evidence(&l.config, &tee, nonce, sizeof(nonce), &ev, &err);
        if (r < 0) {
                log_fail(r, PHASE_EVIDENCE, "evidence.collect", "Failed to collect evidence: %s",
                         err.what[0] ? err.what : strerror(-r));
                goto fail;
        }
        evidence_summary(ev, summary, sizeof(summary));
        log_phase(PHASE_EVIDENCE, "Evidence collected in %.1f ms: %s", now_ms() - t, summary);

        if (check_stop(PHASE_ATTEST) < 0)
                goto fail;
        /* Honest stop: without the KBS client nothing can be attested, so no
         * key is released, no disk is touched and kubelet must not start. */
        log_fail(EOPNOTSUPP, PHASE_ATTEST, "agent.attest_unavailable",
                 "Attestation to '%s' is not part of this build yet (next: the KBS client and the "
                 "reference verifier); stopping before key release, disk unlock and kubelet handoff",
                 l.config.verifier_urls[0]);
        notify_stopping("Evidence collected; attestation not available in this build");
        config_load_done(&l);
        return EXIT_FAIL;

fail:
        notify_stopping("Boot failed; see the journal (CONFNODE_REASON=)");
        config_load_done(&l);
        return EXIT_FAIL;
}
