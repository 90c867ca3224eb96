/* confnode attest: the attest phase alone, as a dry run on a live node.
 * It detects the TEE, attests to the configured verifiers and prints which
 * resources were released (path, size, a short SHA-256 fingerprint; never
 * the value), then wipes them. Nothing on disk changes unless
 * --save-bundle asks for the exchange to be written. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "attest.h"
#include "commands.h"
#include "confnode/basic/log.h"

static volatile sig_atomic_t attest_stop;

static void attest_on_signal(int sig) {
        attest_stop = sig;
}

static void attest_help(void) {
        printf("Usage: confnode [--config PATH] [--tcti TCTI] attest [--disk-uuid UUID]\n"
               "                [--save-bundle DIR] [--once]\n"
               "\n"
               "Runs the attestation and release steps of the boot path alone: KBS auth,\n"
               "evidence, attest and the resources (the disk key, the kubelet join bundle).\n"
               "Prints each released resource's path, size and SHA-256 fingerprint, never its\n"
               "value. Transient failures are retried as the boot does ([verifier] retry_*);\n"
               "a rejection ends the run with the verifier's reason.\n"
               "\n"
               "      --disk-uuid UUID   Ask for the key of this LUKS UUID (default: as the boot\n"
               "                         does: the UUID of confnode's volume on [disk] device,\n"
               "                         a fresh one for a blank disk, none without a disk)\n"
               "      --save-bundle DIR  Write request.json, challenge.json and attestation.json,\n"
               "                         the exact bodies of the last round, into DIR (for\n"
               "                         'confnode-verifier check DIR')\n"
               "      --once             Try each endpoint once; no retries\n"
               "  -h, --help             Show this help\n"
               "\n"
               "Exit status: 0 released, 1 rejected, 2 any other error.\n");
}

int verb_attest(int argc, char *argv[], const AgentArgs *a) {
        enum { ARG_DISK_UUID = 0x100, ARG_SAVE_BUNDLE, ARG_ONCE };
        static const struct option opts[] = {
                {"disk-uuid", required_argument, NULL, ARG_DISK_UUID},
                {"save-bundle", required_argument, NULL, ARG_SAVE_BUNDLE},
                {"once", no_argument, NULL, ARG_ONCE},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(attest_result_done) AttestResult res = {};
        _cleanup_free_ char *disk_uuid = NULL;
        const char *uuid_arg = NULL, *bundle = NULL;
        char uuid[ATTEST_UUID_STRING_MAX];
        struct sigaction sa = {.sa_handler = attest_on_signal};
        bool once = false;
        TeeDetection tee;
        AttestOptions ao;
        ConfigLoad l;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case ARG_DISK_UUID:
                        uuid_arg = optarg;
                        break;
                case ARG_SAVE_BUNDLE:
                        bundle = optarg;
                        break;
                case ARG_ONCE:
                        once = true;
                        break;
                case 'h':
                        attest_help();
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind != argc) {
                log_error("attest takes no arguments, got '%s'; see 'confnode attest --help'",
                          argv[optind]);
                return EXIT_USAGE;
        }
        if (uuid_arg && attest_uuid_normalize(uuid_arg, uuid) < 0) {
                log_error("--disk-uuid '%s' is not a UUID (8-4-4-4-12 hex digits)", uuid_arg);
                return EXIT_USAGE;
        }
        if (bundle && !*bundle) {
                log_error("--save-bundle needs a directory");
                return EXIT_USAGE;
        }
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
                return log_error_errno(errno, "Failed to install signal handlers: %m"), EXIT_USAGE;

        r = agent_load_config(a, true, &l);
        if (r < 0)
                return EXIT_USAGE;
        if (attest_detect_tee(&l.config, &tee) < 0) {
                config_load_done(&l);
                return EXIT_USAGE;
        }
        if (uuid_arg)
                disk_uuid = strdup(uuid);
        else
                r = attest_disk_uuid(&l.config, &disk_uuid);
        if (r < 0 || (uuid_arg && !disk_uuid)) {
                log_error_errno(ENOMEM, "Out of memory");
                config_load_done(&l);
                return EXIT_USAGE;
        }

        ao = (AttestOptions){
                .config = &l.config,
                .tee = &tee,
                .disk_uuid = disk_uuid,
                .once = once,
                .stop_on_rejection = true,
                .save_bundle = bundle,
                .stop = &attest_stop,
        };
        r = attest_run(&ao, &res);
        config_load_done(&l);
        if (r == -EACCES) {
                printf("rejected %s\n", res.reason[0] ? res.reason : "kbs.rejected");
                return EXIT_FAIL;
        }
        if (r == -EINTR) {
                log_error("Stopped by signal %s", strsignal(attest_stop ? attest_stop : SIGINT));
                return EXIT_USAGE;
        }
        if (r < 0)
                return EXIT_USAGE;
        for (size_t i = 0; i < res.released.n_released; i++) {
                char line[512];

                attest_released_line(&res.released.released[i], line, sizeof(line));
                printf("%s\n", line);
        }
        /* The values are wiped with res on the way out. */
        return EXIT_OK;
}
