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
               "  init DIR [--generation GEN] [--set KEY=VALUE]...\n"
               "                  Make a simulated SEV-SNP and TDX platform: its values and the\n"
               "                  simulated AMD and Intel certificate hierarchies\n"
               "  snp-report --dir DIR --report-data HEX --out FILE [--certs-out FILE]\n"
               "                  Write a signed SEV-SNP attestation report\n"
               "  tdx-quote --dir DIR --report-data HEX --out FILE\n"
               "                  Write a TDX DCAP quote (version 4)\n"
               "  tsm-tree --dir DIR MOUNTPOINT [--provider sev_guest|tdx_guest]\n"
               "                  Serve a configfs-tsm look-alike (FUSE) at MOUNTPOINT/report\n"
               "  sev-guest --dir DIR [--name NAME]\n"
               "                  Serve /dev/NAME with the sev-guest ioctl ABI (CUSE)\n"
               "  hcl-nv --tcti TCTI --dir DIR [--ak-handle HANDLE]\n"
               "                  Write an Azure HCL report into the TPM's NV index 0x01400001\n"
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
                {"init", verb_init},
                {"snp-report", verb_snp_report},
                {"tdx-quote", verb_tdx_quote},
                {"tsm-tree", verb_tsm_tree},
                {"sev-guest", verb_sev_guest},
                {"hcl-nv", verb_hcl_nv},
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
