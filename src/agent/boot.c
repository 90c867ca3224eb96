/* The boot path run by confnode.service: config, detect, the attest phase
 * (KBS auth, evidence, attest, resources, retried until a verifier
 * releases them), the state disk (src/disk), and the kubelet handoff (src/kubelet). READY=1
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
#include "confnode/disk/disk.h"
#include "confnode/kubelet/handoff.h"

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

/* The released disk key: the resource [verifier] resource_disk names for uuid. */
/* The released resource at the KBS path template (with {uuid} filled in),
 * or -ENOENT. */
static int boot_released(const AttestResult *res, const char *template, const char *uuid,
                         const Secret **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = config_resource_path(template, uuid, &path);
        if (r < 0)
                return r;
        for (size_t i = 0; i < res->released.n_released; i++)
                if (strcmp(res->released.released[i].path, path) == 0 && res->released.released[i].value) {
                        *ret = res->released.released[i].value;
                        return 0;
                }
        return -ENOENT;
}

int verb_boot(int argc, char *argv[], const AgentArgs *a) {
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(attest_result_done) AttestResult res = {};
        _cleanup_free_ char *disk_uuid = NULL;
        _cleanup_(disk_result_done) DiskResult disk = {};
        char uuid[DISK_UUID_STRING_MAX];
        const Secret *disk_key = NULL, *join = NULL;
        KubeletResult kr = {};
        DiskConfig dc = {};
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

        /* Which disk key to ask for: the disk module reads the disk (and
         * writes nothing). A disk it would refuse stops the boot here,
         * before any key is asked for. */
        if (l.config.disk_device) {
                config_disk(&l.config, &dc);
                r = disk_key_uuid(&dc, uuid, &disk);
                if (r < 0) {
                        log_fail(r, PHASE_DISK, disk.reason, "%s", disk.message ? disk.message : "State disk unusable");
                        goto fail;
                }
                log_phase(PHASE_DISK, "The state disk '%s' holds %s; asking for the key of %s (probe %.1f ms)",
                          disk.path, disk.found.what, uuid, disk.ms_probe);
                disk_uuid = strdup(uuid);
                if (!disk_uuid) {
                        log_fail(ENOMEM, PHASE_DISK, "agent.oom", "Out of memory");
                        goto fail;
                }
        } else
                log_info("The state disk is not configured ([disk] device): not asking for a disk key");

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

        if (check_stop(PHASE_DISK) < 0)
                goto fail;
        if (!disk_uuid) {
                log_fail(ENODEV, PHASE_DISK, "disk.not_found",
                         "No state disk is configured ([disk] device): the node's state would not be "
                         "encrypted; stopping without READY=1");
                goto fail;
        }
        r = boot_released(&res, l.config.resource_disk, disk_uuid, &disk_key);
        if (r < 0) {
                log_fail(r, PHASE_DISK, "disk.wrong_key", "The verifier released no disk key for %s", disk_uuid);
                goto fail;
        }
        notify_status("Unlocking the state disk");
        t = now_ms();
        r = disk_setup(&dc, disk_uuid, disk_key, &disk);
        if (r < 0) {
                log_fail(r, PHASE_DISK, disk.reason, "%s", disk.message ? disk.message : "State disk setup failed");
                goto fail;
        }
        log_phase(PHASE_DISK,
                  "State disk '%s' %s: LUKS2 %s open as '%s', mounted at '%s' in %.1f ms (probe %.1f, format "
                  "%.1f, open %.1f, mkfs %.1f, fsck %.1f, mount %.1f ms)",
                  disk.path, disk_action_to_string(disk.action), disk.uuid, disk.mapper, dc.mountpoint,
                  now_ms() - t, disk.ms_probe, disk.ms_format, disk.ms_open, disk.ms_mkfs, disk.ms_fsck,
                  disk.ms_mount);

        if (check_stop(PHASE_KUBELET) < 0)
                goto fail;
        notify_status("Handing off to kubelet");
        t = now_ms();
        r = boot_released(&res, l.config.resource_join, NULL, &join);
        if (r < 0) {
                log_fail(r, PHASE_KUBELET, "kubelet.bundle_missing",
                         "The verifier released no join bundle at '%s'", l.config.resource_join);
                goto fail;
        }
        r = kubelet_handoff(&l.config.kubelet, join, &kr);
        if (r < 0) {
                log_fail(r, PHASE_KUBELET, kr.reason, "%s", kr.what);
                goto fail;
        }
        if (kr.expires_soon)
                log_warning("The bootstrap token (sha256 %s) expires within 5 minutes, ignoring",
                            kr.token_fingerprint);
        log_phase(PHASE_KUBELET, "Wrote the bootstrap kubeconfig '%s' (token sha256 %s) and '%s' in %.1f ms",
                  l.config.kubelet.bootstrap_kubeconfig, kr.token_fingerprint, l.config.kubelet.ca_file,
                  now_ms() - t);

        /* Only now: a verified key opened the state disk and kubelet has its
         * credentials. kubelet.service (Requires=, After=) starts on this. */
        log_phase(PHASE_READY, "Node attested to '%s', state disk %s, kubelet handed off; total %.1f ms",
                  res.url, disk_action_to_string(disk.action), now_ms() - t0);
        notify_ready("Attested; state disk unlocked; kubelet may start");
        config_load_done(&l);
        return EXIT_OK;

fail:
        notify_stopping("Boot failed; see the journal (CONFNODE_REASON=)");
        config_load_done(&l);
        return EXIT_FAIL;
}
