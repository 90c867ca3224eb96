#pragma once

/* The verbs of confnode-verifier and the check types behind `check`. */

/* Exit codes shared by every verb. */
enum {
        EXIT_VERIFIED = 0, /* verified, or the verb succeeded */
        EXIT_REJECTED = 1, /* the evidence was read and rejected */
        EXIT_USAGE = 2,    /* bad usage, or input unreadable or malformed */
};

/* argv[0] is the verb. */
int verb_check(int argc, char *argv[]);

/* argv[0] is "serve": the KBS server (cmd-serve.c). */
int verb_serve(int argc, char *argv[]);
/* argv[0] is "reference": reference values of a bundle (cmd-reference.c). */
int verb_reference(int argc, char *argv[]);
/* check BUNDLE: argv[0] is "check", no --type (cmd-check-bundle.c). */
int check_bundle(int argc, char *argv[]);

/* argv[0] is "check"; the type parses every option itself, --type too. */
int check_tpm_quote(int argc, char *argv[]);
int check_tdx_quote(int argc, char *argv[]);
int check_hcl_report(int argc, char *argv[]);
int check_snp_report(int argc, char *argv[]);
