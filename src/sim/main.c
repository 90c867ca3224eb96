/* confnode-sim: simulated platforms that give real-format evidence through
 * the interfaces the agent uses on hardware. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "verbs.h"
#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"

static void help(void) {
        printf("Usage: confnode-sim [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Simulates platform parts for tests and demos.\n"
               "\n"
               "Commands:\n"
               "  measure-boot --tcti TCTI --out FILE [--cmdline STRING]\n"
               "                  Measure a simulated UEFI boot into a TPM's PCRs and write its\n"
               "                  TCG event log\n"
               "\n"
               "Options:\n"
               "  -v, --verbose  Log at debug level\n"
               "  -h, --help     Show this help\n"
               "      --version  Show the version\n");
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100 };
        static const struct option opts[] = {
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {},
        };
        static const struct {
                const char *name;
                int (*fn)(int, char *[]);
        } verbs[] = {
                {"measure-boot", verb_measure_boot},
        };
        int c;

        log_setup(LOG_TARGET_AUTO);
        log_set_max_level(LOG_INFO);
        while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) >= 0) {
                switch (c) {
                case 'v':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("confnode-sim %s\n", CONFNODE_VERSION);
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                help();
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0) {
                        int n = argc - optind;
                        char **v = argv + optind;

                        optind = 0;
                        return verbs[i].fn(n, v);
                }
        log_error("Unknown command '%s'; see 'confnode-sim --help'", argv[optind]);
        return EXIT_USAGE;
}
