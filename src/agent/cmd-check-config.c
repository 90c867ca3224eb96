#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "confnode/basic/log.h"

int verb_check_config(int argc, char *argv[], const AgentArgs *a) {
        static const struct option opts[] = {
                { "options", no_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        ConfigLoad l;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'o':
                        config_print_options_markdown(stdout);
                        return EXIT_OK;
                case 'h':
                        printf("Usage: confnode [--config PATH] check-config [--options]\n"
                               "Prints the effective configuration, then every problem as\n"
                               "'file:line: key: what is wrong' on stderr. Exit 1 on any problem.\n"
                               "--options prints the table of all options (Markdown).\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                log_error("check-config takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }

        r = config_load(a->config_path, a->config_path != NULL, &l);
        if (r < 0) {
                log_error_errno(r, "Failed to load configuration: %m");
                return EXIT_FAIL;
        }
        if (a->tcti)
                (void) config_set(&l, "tpm.tcti", a->tcti);
        config_validate(&l);
        config_print_effective(&l, stdout);
        fflush(stdout);
        config_print_problems(&l, stderr);
        r = l.n_problems > 0 ? EXIT_FAIL : EXIT_OK;
        config_load_done(&l);
        return r;
}
