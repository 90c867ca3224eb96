/* The boot path run by confnode.service: config, detect, the attest phase
 * (KBS auth, evidence, attest, resources, retried until a verifier
 * releases them), and (in the next step) disk and kubelet handoff. READY=1
 * is sent only at the very end of a good boot. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attest.h"
#include "commands.h"
#include "notify.h"
#include "confnode/basic/log.h"

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

int verb_boot(int argc, char *argv[], const AgentArgs *a) {
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(attest_result_done) AttestResult res = {};
        _cleanup_free_ char *disk_uuid = NULL;
        TeeDetection tee;
        ConfigLoad l;
        AttestOptions ao;
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
        if (attest_detect_tee(&l.config, &tee) < 0)
                goto fail;
        log_phase(PHASE_DETECT, "Detection took %.1f ms", now_ms() - t);

        /* Which disk key to ask for. Issue 6 replaces this with the disk
         * module; for now only an existing LUKS header names one. */
        r = attest_disk_uuid(&l.config, &disk_uuid);
        if (r < 0) {
                log_fail(r, PHASE_DISK, "agent.oom", "Out of memory");
                goto fail;
        }

        if (check_stop(PHASE_AUTH) < 0)
                goto fail;
        ao = (AttestOptions){
                .config = &l.config,
                .tee = &tee,
                .disk_uuid = disk_uuid,
                .notify = true,
                .stop = &stop_signal,
        };
        r = attest_run(&ao, &res);
        if (r == -EINTR) {
                log_fail(EINTR, PHASE_ATTEST, "agent.signal", "Stopped by signal %s while attesting",
                         strsignal(stop_signal ? stop_signal : SIGTERM));
                goto fail;
        }
        if (r < 0)
                goto fail;

        /* Honest stop: the resources are in locked memory, but the disk
         * unlock and the kubelet handoff are the next step; without them
         * the node must not report ready, and kubelet must not start. The
         * secrets are wiped on the way out. */
        log_fail(EOPNOTSUPP, PHASE_DISK, "agent.disk_unavailable",
                 "Attested to '%s' and received %zu resource(s), but unlocking the state disk and "
                 "the kubelet handoff are not part of this build yet; stopping without READY=1",
                 res.url, res.released.n_released);
        notify_stopping("Attested; disk unlock and kubelet handoff are not available in this build");
        config_load_done(&l);
        return EXIT_FAIL;

fail:
        notify_stopping("Boot failed; see the journal (CONFNODE_REASON=)");
        config_load_done(&l);
        return EXIT_FAIL;
}
