#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/basic/reader.h"
#include "confnode/eventlog/eventlog-json.h"
#include "confnode/evidence/snp-json.h"
#include "confnode/evidence/az-hcl-json.h"
#include "confnode/evidence/tdx-quote-json.h"
#include "confnode/tpm/tpm-attest.h"

#define INSPECT_MAX_FILE (64u * 1024 * 1024)

typedef int (*InspectFn)(const uint8_t *data, size_t size, json_object **ret, ParseError *err);

static const struct {
        const char *type;
        InspectFn fn;
        const char *what;
} inspectors[] = {
        { "eventlog", eventlog_inspect_tcg, "TCG PC Client measured-boot event log" },
        { "ccel", eventlog_inspect_ccel, "TDX CC event log (CCEL)" },
        { "tpm-quote", tpm_attest_inspect, "TPM 2.0 TPMS_ATTEST (quote)" },
        { "tdx-quote", tdx_quote_inspect, "Intel DCAP quote (TDX v4/v5, SGX v3)" },
        { "hcl-report", az_hcl_json_inspect, "Azure vTPM HCL report (NV index 0x01400001)" },
        { "snp-report", snp_json_inspect, "AMD SEV-SNP attestation report (ABI versions 2-5)" },
};

/* Without --type, each format is known by what its header must hold: a
 * TPMS_ATTEST by its magic, an HCL report by "HCLA", a DCAP quote by its
 * version (3-5) and attestation key type (2 = ECDSA-256), an SNP report by
 * its fixed size and ABI version; anything else is read as a TCG event log
 * (a CCEL must be named, it has the same header). This only picks a parser:
 * the parser still checks everything. */
static InspectFn guess(const uint8_t *data, size_t size, const char **ret_type) {
        static const uint8_t tpm_magic[4] = { 0xff, 0x54, 0x43, 0x47 };
        static const uint8_t hcl_magic[4] = { 'H', 'C', 'L', 'A' };

        if (size >= 4 && memcmp(data, tpm_magic, 4) == 0) {
                *ret_type = "tpm-quote";
                return tpm_attest_inspect;
        }
        if (size >= 4 && memcmp(data, hcl_magic, 4) == 0) {
                *ret_type = "hcl-report";
                return az_hcl_json_inspect;
        }
        if (size >= 4 && data[0] >= 3 && data[0] <= 5 && data[1] == 0 && data[2] == 2 && data[3] == 0) {
                *ret_type = "tdx-quote";
                return tdx_quote_inspect;
        }
        if (size == 1184 && data[0] >= 2 && data[0] <= 5 && data[1] == 0 && data[2] == 0 && data[3] == 0) {
                *ret_type = "snp-report";
                return snp_json_inspect;
        }
        *ret_type = "eventlog";
        return eventlog_inspect_tcg;
}

int verb_inspect(int argc, char *argv[], const AgentArgs *a) {
        static const struct option opts[] = {
                { "type", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(json_object_putp) json_object *out = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        const char *type = NULL, *path;
        InspectFn fn = NULL;
        ParseError perr = {};
        size_t size;
        int c, r;

        (void) a;
        while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) >= 0) {
                switch (c) {
                case 't':
                        type = optarg;
                        break;
                case 'h':
                        printf("Usage: confnode inspect [--type TYPE] FILE\nTypes:\n");
                        for (size_t i = 0; i < ELEMENTSOF(inspectors); i++)
                                printf("  %-10s %s\n", inspectors[i].type, inspectors[i].what);
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc) {
                log_error("inspect needs exactly one FILE; see 'confnode inspect --help'");
                return EXIT_USAGE;
        }
        path = argv[optind];
        if (type) {
                for (size_t i = 0; i < ELEMENTSOF(inspectors); i++)
                        if (strcmp(type, inspectors[i].type) == 0)
                                fn = inspectors[i].fn;
                if (!fn) {
                        log_error("Unknown --type '%s'; see 'confnode inspect --help'", type);
                        return EXIT_USAGE;
                }
        }

        r = read_full_file(path, INSPECT_MAX_FILE, &data, &size);
        if (r < 0) {
                log_error_errno(r, "Cannot read '%s': %m", path);
                return EXIT_USAGE;
        }
        if (!fn)
                fn = guess(data, size, &type);

        r = fn(data, size, &out, &perr);
        if (r == -EBADMSG) {
                char buf[256];

                log_error("'%s' is not a valid %s: %s", path, type, parse_error_string(&perr, buf, sizeof(buf)));
                return EXIT_USAGE;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to decode '%s' as %s: %m", path, type);
                return EXIT_FAIL;
        }
        r = json_print(out, stdout);
        if (r < 0) {
                log_error_errno(r, "Failed to write JSON: %m");
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
