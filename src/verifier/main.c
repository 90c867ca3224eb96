/* confnode-verifier: appraises the evidence of confnode nodes. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "verbs.h"
#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"

static void help(void) {
        printf("Usage: confnode-verifier [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Appraises attestation evidence.\n"
               "\n"
               "Commands:\n"
               "  check --type TYPE FILE ...  Verify one piece of evidence offline\n"
               "                              (see 'confnode-verifier check --help')\n"
               "  check BUNDLE [--policy FILE] Appraise a saved evidence bundle offline\n"
               "  serve [OPTIONS]             Serve the KBS protocol over HTTPS\n"
               "  reference --from BUNDLE     Print a bundle's reference values as policy\n"
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
                {"check", verb_check},
                {"serve", verb_serve},
                {"reference", verb_reference},
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
                        return EXIT_VERIFIED;
                case ARG_VERSION:
                        printf("confnode-verifier %s\n", CONFNODE_VERSION);
                        return EXIT_VERIFIED;
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
                        /* The verb parses its own options, with argv[0] = verb. */
                        int n = argc - optind;
                        char **v = argv + optind;

                        optind = 0;
                        return verbs[i].fn(n, v);
                }
        log_error("Unknown command '%s'; see 'confnode-verifier --help'", argv[optind]);
        return EXIT_USAGE;
}
