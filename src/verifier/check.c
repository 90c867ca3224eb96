/* `check --type TYPE …`: finds the type and hands the whole command line to
 * it, so each type owns its options. */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "verbs.h"
#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"

static const struct {
        const char *type;
        int (*fn)(int, char *[]);
        const char *usage;
} check_types[] = {
        {"tpm-quote", check_tpm_quote,
         "tpm-quote FILE --sig SIG --ak KEY [--nonce HEX] [--pcrs JSON]\n"
         "                  A TPM 2.0 quote (TPMS_ATTEST) with its signature and AK"},
        {"tdx-quote", check_tdx_quote,
         "tdx-quote FILE [--root-ca PEM] [--crl FILE]… [--pck-chain PEM] [--at TIME]\n"
         "                  An Intel DCAP quote (TDX v4/v5, SGX v3) to the Intel root CA"},
        {"hcl-report", check_hcl_report,
         "hcl-report FILE [--certs DIR]… [--trust-ark PEM] [--td-quote FILE] [--at TIME]\n"
         "                  An Azure vTPM HCL report: TEE report, runtime data and AK binding"},
        {"snp-report", check_snp_report,
         "snp-report FILE [--certs DIR|FILE]... [--at TIME] [--trust-ark PEM]\n"
         "                  An AMD SEV-SNP attestation report to its ARK, ASK and VCEK (or VLEK)"},
};

static void check_help(void) {
        printf("Usage: confnode-verifier check --type TYPE FILE [OPTIONS]\n"
               "       confnode-verifier check BUNDLE [--policy FILE] [--at TIME]\n"
               "\n"
               "With a BUNDLE directory (from 'confnode collect --out' or 'confnode attest\n"
               "--save-bundle'), appraises it with a policy; see 'check BUNDLE --help'.\n"
               "\n"
               "Prints a JSON verdict {\"verified\", \"reason\", \"detail\", …}.\n"
               "Exit status: 0 verified, 1 rejected, 2 bad usage or unreadable/malformed input.\n"
               "\n"
               "Types:\n");
        for (size_t i = 0; i < ELEMENTSOF(check_types); i++)
                printf("  --type %s\n", check_types[i].usage);
}

/* getopt would stop at the first unknown option of the type, so --type is
 * looked up by hand: "--type T" or "--type=T". */
static const char *check_find_type(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                if (strcmp(argv[i], "--type") == 0 || strcmp(argv[i], "-t") == 0)
                        return i + 1 < argc ? argv[i + 1] : "";
                if (strncmp(argv[i], "--type=", 7) == 0)
                        return argv[i] + 7;
        }
        return NULL;
}

/* `check BUNDLE`: no --type, and the one operand is a directory. */
static bool check_is_bundle(int argc, char *argv[]) {
        struct stat st;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--policy") == 0 || strcmp(argv[i], "-p") == 0 ||
                    strcmp(argv[i], "--at") == 0 || strcmp(argv[i], "-a") == 0) {
                        i++;
                        continue;
                }
                if (argv[i][0] != '-')
                        return stat(argv[i], &st) >= 0 && S_ISDIR(st.st_mode);
        }
        return false;
}

int verb_check(int argc, char *argv[]) {
        const char *type = check_find_type(argc, argv);

        if (!type && check_is_bundle(argc, argv))
                return check_bundle(argc, argv);
        if (!type) {
                for (int i = 1; i < argc; i++)
                        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                                check_help();
                                return EXIT_VERIFIED;
                        }
                log_error("check needs --type TYPE; see 'confnode-verifier check --help'");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(check_types); i++)
                if (strcmp(type, check_types[i].type) == 0)
                        return check_types[i].fn(argc, argv);
        log_error("Unknown --type '%s'; see 'confnode-verifier check --help'", type);
        return EXIT_USAGE;
}
