/* confnode collect: gather the evidence this machine can give into a
 * directory, without sending it anywhere (debugging a node, feeding
 * `confnode-verifier check`). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "commands.h"
#include "gather.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-quote.h"

#define COLLECT_DEFAULT_NONCE 32

static void collect_help(void) {
        printf("Usage: confnode [--config PATH] [--tcti TCTI] collect --out DIR [--nonce HEX]\n"
               "\n"
               "Gathers the TEE report, the event log and a vTPM quote into DIR: tee.json (which\n"
               "TEE, from where), tee-report.bin, tee-certs.bin and certs/*.pem (when the\n"
               "platform hands out certificates), ak.pem, ak.pub, tpm-quote.msg, tpm-quote.sig,\n"
               "pcrs.json, nonce.hex and eventlog.bin (when the machine has a log).\n"
               "\n"
               "  -o, --out DIR      Directory to write (created if missing)\n"
               "  -n, --nonce HEX    Quote nonce and TEE report data (zero-padded to 64 bytes),\n"
               "                     1-%d bytes (default: %d random bytes)\n"
               "  -h, --help         Show this help\n",
               TPM_QUOTE_NONCE_MAX, COLLECT_DEFAULT_NONCE);
}

int verb_collect(int argc, char *argv[], const AgentArgs *a) {
        static const struct option opts[] = {
                {"out", required_argument, NULL, 'o'},
                {"nonce", required_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(evidence_freep) Evidence *ev = NULL;
        _cleanup_free_ uint8_t *nonce = NULL;
        const char *out = NULL, *nonce_hex = NULL;
        size_t nonce_size = 0;
        char summary[1280];
        TeeError err = {};
        ConfigLoad l;
        int c, r;

        while ((c = getopt_long(argc, argv, "o:n:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'o':
                        out = optarg;
                        break;
                case 'n':
                        nonce_hex = optarg;
                        break;
                case 'h':
                        collect_help();
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind != argc) {
                log_error("collect takes no arguments, got '%s'; see 'confnode collect --help'",
                          argv[optind]);
                return EXIT_USAGE;
        }
        if (!out || !*out) {
                log_error("collect needs --out DIR; see 'confnode collect --help'");
                return EXIT_USAGE;
        }
        if (nonce_hex) {
                r = hex_decode(nonce_hex, &nonce, &nonce_size);
                if (r == -ENOMEM)
                        return log_error_errno(r, "Out of memory"), EXIT_FAIL;
                if (r < 0) {
                        log_error("--nonce '%s' is not hex (an even number of 0-9, a-f)",
                                  nonce_hex);
                        return EXIT_USAGE;
                }
                if (nonce_size == 0 || nonce_size > TPM_QUOTE_NONCE_MAX) {
                        log_error("--nonce must be 1-%d bytes, got %zu", TPM_QUOTE_NONCE_MAX,
                                  nonce_size);
                        return EXIT_USAGE;
                }
        } else {
                nonce_size = COLLECT_DEFAULT_NONCE;
                nonce = malloc(nonce_size);
                if (!nonce)
                        return log_error_errno(ENOMEM, "Out of memory"), EXIT_FAIL;
                if (RAND_bytes(nonce, (int)nonce_size) != 1) {
                        log_fail(EIO, PHASE_EVIDENCE, "crypto.random",
                                 "Failed to draw a nonce from the CSPRNG");
                        return EXIT_FAIL;
                }
        }

        r = agent_load_config(a, false, &l);
        if (r < 0)
                return EXIT_FAIL;

        r = gather_evidence(&l.config, NULL, nonce, nonce_size, &ev, &err);
        if (r < 0) {
                /* gather says which step failed, on what; the one error
                 * line names it and how to see more. */
                log_fail(r, PHASE_EVIDENCE, "evidence.collect",
                         "Failed to collect evidence (tee = %s): %s%s", l.config.tee,
                         err.what[0] ? err.what : strerror(-r),
                         log_get_max_level() < LOG_DEBUG ? "; run with --verbose for each step"
                                                         : "");
                config_load_done(&l);
                return EXIT_FAIL;
        }
        config_load_done(&l);

        r = evidence_write_dir(ev, out);
        if (r < 0) {
                log_error_errno(r, "Failed to write the evidence to '%s': %m", out);
                return EXIT_FAIL;
        }
        evidence_summary(ev, summary, sizeof(summary));
        log_info("Evidence written to '%s': %s", out, summary);
        return EXIT_OK;
}
