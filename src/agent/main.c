/* confnode: the boot-time attestation agent of a confidential Kubernetes node. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "confnode/basic/log.h"

static void help(void) {
        printf("Usage: confnode [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Attests this confidential node to a verifier and unlocks its state disk.\n"
               "\n"
               "Commands:\n"
               "  boot                       Run the boot path (what confnode.service runs)\n"
               "  collect --out DIR [--nonce HEX]\n"
               "                             Gather the evidence this machine can give into DIR\n"
               "  inspect [--type TYPE] FILE Decode evidence to JSON (TYPE: eventlog, ccel, tpm-quote)\n"
               "  check-config [--options]   Print the effective configuration and every problem\n"
               "\n"
               "Options:\n"
               "  -c, --config PATH  Configuration file (default " CONFIG_DEFAULT_PATH ")\n"
               "                     plus PATH.d/*.conf\n"
               "      --tcti TCTI    TPM access (overrides [tpm] tcti)\n"
               "  -v, --verbose      Log at debug level\n"
               "  -h, --help         Show this help\n"
               "      --version      Show the version\n");
}

int agent_load_config(const AgentArgs *a, bool validate, ConfigLoad *ret) {
        ConfigLoad l;
        int r;

        r = config_load(a->config_path, a->config_path != NULL, &l);
        if (r < 0)
                return log_fail(r, PHASE_CONFIG, "config.load", "Failed to load configuration: %m");
        if (a->tcti) {
                r = config_set(&l, "tpm.tcti", a->tcti);
                if (r < 0) {
                        config_load_done(&l);
                        return log_fail(r, PHASE_CONFIG, "config.load", "Failed to apply --tcti: %m");
                }
        }
        if (validate)
                config_validate(&l);
        if (!a->verbose)
                log_set_max_level(l.config.log_level);
        for (size_t i = 0; i < l.n_problems; i++) {
                char buf[1024];

                log_internal(LOG_ERR, 0, PHASE_CONFIG, "config.invalid", __FILE__, __LINE__, __func__,
                             "%s", config_problem_format(&l.problems[i], buf, sizeof(buf)));
        }
        if (l.n_problems > 0) {
                size_t n = l.n_problems;

                config_load_done(&l);
                return log_fail(EINVAL, PHASE_CONFIG, "config.invalid",
                                "Configuration has %zu problem(s); see 'confnode check-config'", n);
        }
        *ret = l;
        return 0;
}

int main(int argc, char *argv[]) {
        enum { ARG_TCTI = 0x100, ARG_VERSION };
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "tcti", required_argument, NULL, ARG_TCTI },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        static const struct {
                const char *name;
                int (*fn)(int, char *[], const AgentArgs *);
        } verbs[] = {
                { "boot", verb_boot },
                { "collect", verb_collect },
                { "inspect", verb_inspect },
                { "check-config", verb_check_config },
                { "attest", verb_attest },
        };
        AgentArgs a = {};
        int c;

        log_setup(LOG_TARGET_AUTO);
        while ((c = getopt_long(argc, argv, "+c:vh", opts, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a.config_path = optarg;
                        break;
                case ARG_TCTI:
                        a.tcti = optarg;
                        break;
                case 'v':
                        a.verbose = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("confnode %s\n", CONFNODE_VERSION);
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (a.verbose)
                log_set_max_level(LOG_DEBUG);
        if (optind >= argc) {
                help();
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0) {
                        /* The verb parses its own options, with argv[0] = verb. */
                        int n = argc - optind;
                        char **v = argv + optind;

                        optind = 0;
                        return verbs[i].fn(n, v, &a);
                }
        log_error("Unknown command '%s'; see 'confnode --help'", argv[optind]);
        return EXIT_USAGE;
}
