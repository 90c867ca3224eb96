/* confnode-sim snp-report and tdx-quote: evidence of the simulated
 * platform as files, for tests and for feeding the verifier directly. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"
#include "sim-args.h"
#include "snp-sim.h"
#include "tdx-sim.h"
#include "verbs.h"

typedef struct EvidenceArgs {
        const char *dir;
        const char *out;
        const char *certs_out;
        const char *report_data_hex;
        long vmpl; /* -1: the platform's */
        SimArgsConfig config;
} EvidenceArgs;

/* Returned by evidence_parse() when the verb goes on. */
#define EVIDENCE_GO (-1)

/* The options both verbs take; snp says whether --vmpl and --certs-out
 * are among them. Returns EVIDENCE_GO, or the exit code to end with. */
static int evidence_parse(int argc, char *argv[], bool snp, void (*help)(void), EvidenceArgs *a) {
        static const struct option opts[] = {
                {"dir", required_argument, NULL, 'd'},
                {"report-data", required_argument, NULL, 'r'},
                {"out", required_argument, NULL, 'o'},
                {"certs-out", required_argument, NULL, 'C'},
                {"vmpl", required_argument, NULL, 'V'},
                SIM_ARGS_CONFIG_LONG,
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int opt;

        a->vmpl = -1;
        while ((opt = getopt_long(argc, argv, "d:r:o:c:s:h", opts, NULL)) >= 0) {
                switch (opt) {
                case 'd':
                        a->dir = optarg;
                        break;
                case 'r':
                        a->report_data_hex = optarg;
                        break;
                case 'o':
                        a->out = optarg;
                        break;
                case 'C':
                case 'V':
                        if (!snp) {
                                log_error("--%s is for snp-report only",
                                          opt == 'C' ? "certs-out" : "vmpl");
                                return EXIT_USAGE;
                        }
                        if (opt == 'C')
                                a->certs_out = optarg;
                        else {
                                char *end;

                                a->vmpl = strtol(optarg, &end, 10);
                                if (*end || end == optarg || a->vmpl < 0 || a->vmpl > 3) {
                                        log_error("--vmpl '%s' is not 0-3", optarg);
                                        return EXIT_USAGE;
                                }
                        }
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        if (sim_args_config_option(&a->config, opt, optarg) <= 0)
                                return EXIT_USAGE;
                        break;
                }
        }
        if (optind != argc) {
                log_error("%s takes no arguments, got '%s'", argv[0], argv[optind]);
                return EXIT_USAGE;
        }
        if (!a->dir || !a->out || !a->report_data_hex) {
                log_error("%s needs --dir DIR, --report-data HEX and --out FILE", argv[0]);
                return EXIT_USAGE;
        }
        return EVIDENCE_GO;
}

/* Options, report data, configuration and hierarchy: what both verbs
 * need before they make anything. */
static int evidence_prepare(int argc, char *argv[], bool snp, void (*help)(void), EvidenceArgs *a,
                            uint8_t report_data[static 64], SimConfig *ret_config, SimCa **ret_ca) {
        int r = evidence_parse(argc, argv, snp, help, a);

        if (r != EVIDENCE_GO)
                return r;
        if (sim_args_report_data("--report-data", a->report_data_hex, report_data) < 0)
                return EXIT_USAGE;
        if (sim_args_load(a->dir, &a->config, ret_config, ret_ca) < 0)
                return EXIT_FAIL;
        return EVIDENCE_GO;
}

static void snp_report_help(void) {
        printf("Usage: confnode-sim snp-report --dir DIR --report-data HEX --out FILE [--vmpl N]\n"
               "                              [--certs-out FILE] [--config FILE] [--set K=V]...\n"
               "\n"
               "Writes an SEV-SNP attestation report (1184 bytes) of the simulated platform in "
               "DIR,\n"
               "signed by its VCEK, with REPORT_DATA set to HEX (up to 64 bytes, zero-padded).\n"
               "\n"
               "  -d, --dir DIR          A directory made by 'confnode-sim init'\n"
               "  -r, --report-data HEX  The guest's report data\n"
               "  -o, --out FILE         Where the report goes\n"
               "      --vmpl N           The VMPL asked for (default: snp.vmpl)\n"
               "      --certs-out FILE   Also write the GHCB certificate table (ARK, ASK, VCEK)\n"
               "  -c, --config FILE      Values over DIR/sim.conf\n"
               "  -s, --set KEY=VALUE    One value, e.g. snp.measurement=HEX (repeatable)\n");
}

int verb_snp_report(int argc, char *argv[]) {
        _cleanup_(sim_ca_freep) SimCa *ca = NULL;
        _cleanup_free_ uint8_t *table = NULL;
        uint8_t report_data[64], report[SNP_REPORT_SIZE];
        EvidenceArgs a = {};
        size_t table_size;
        SimConfig c;
        int r;

        r = evidence_prepare(argc, argv, true, snp_report_help, &a, report_data, &c, &ca);
        if (r != EVIDENCE_GO)
                return r;
        r = snp_sim_report(&c.snp, ca->vcek_key, report_data,
                           a.vmpl >= 0 ? (uint32_t)a.vmpl : c.snp.vmpl, report);
        if (r < 0)
                return log_error_errno(r, "Cannot make the report: %m"), EXIT_FAIL;
        r = write_file_atomic(a.out, report, sizeof(report), 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write '%s': %m", a.out), EXIT_FAIL;
        if (a.certs_out) {
                r = snp_sim_cert_table(ca, &table, &table_size);
                if (r < 0)
                        return log_error_errno(r, "Cannot make the certificate table: %m"),
                               EXIT_FAIL;
                r = write_file_atomic(a.certs_out, table, table_size, 0644);
                if (r < 0)
                        return log_error_errno(r, "Cannot write '%s': %m", a.certs_out), EXIT_FAIL;
        }
        log_debug("SEV-SNP report of '%s' written to '%s'", a.dir, a.out);
        return EXIT_OK;
}

static void tdx_quote_help(void) {
        printf("Usage: confnode-sim tdx-quote --dir DIR --report-data HEX --out FILE [--config "
               "FILE]\n"
               "                             [--set K=V]...\n"
               "\n"
               "Writes a TDX DCAP quote (version 4) of the simulated platform in DIR, with\n"
               "REPORTDATA set to HEX (up to 64 bytes, zero-padded), signed by its attestation\n"
               "key and certified by the QE report its PCK signed.\n"
               "\n"
               "  -d, --dir DIR          A directory made by 'confnode-sim init'\n"
               "  -r, --report-data HEX  The TD's report data\n"
               "  -o, --out FILE         Where the quote goes\n"
               "  -c, --config FILE      Values over DIR/sim.conf\n"
               "  -s, --set KEY=VALUE    One value, e.g. tdx.mrtd=HEX (repeatable)\n");
}

int verb_tdx_quote(int argc, char *argv[]) {
        _cleanup_(sim_ca_freep) SimCa *ca = NULL;
        _cleanup_free_ uint8_t *quote = NULL;
        uint8_t report_data[64];
        EvidenceArgs a = {};
        size_t size;
        SimConfig c;
        int r;

        r = evidence_prepare(argc, argv, false, tdx_quote_help, &a, report_data, &c, &ca);
        if (r != EVIDENCE_GO)
                return r;
        r = tdx_sim_quote(&c.tdx, ca, report_data, &quote, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot make the quote: %m"), EXIT_FAIL;
        r = write_file_atomic(a.out, quote, size, 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write '%s': %m", a.out), EXIT_FAIL;
        log_debug("TDX quote of '%s' (%zu bytes) written to '%s'", a.dir, size, a.out);
        return EXIT_OK;
}
