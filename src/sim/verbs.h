#pragma once

/* The verbs of confnode-sim. */

enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,  /* the operation ran and failed */
        EXIT_USAGE = 2, /* bad command line */
};

/* argv[0] is the verb. */
int verb_measure_boot(int argc, char *argv[]);
int verb_init(int argc, char *argv[]);
int verb_snp_report(int argc, char *argv[]);
int verb_tdx_quote(int argc, char *argv[]);
int verb_tsm_tree(int argc, char *argv[]);
int verb_sev_guest(int argc, char *argv[]);
int verb_hcl_nv(int argc, char *argv[]);
