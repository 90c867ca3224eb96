#pragma once

#include <stdbool.h>

#include "config.h"

typedef struct AgentArgs {
        const char *config_path; /* NULL: CONFIG_DEFAULT_PATH */
        const char *tcti;        /* --tcti, overrides tpm.tcti */
        bool verbose;
} AgentArgs;

/* Exit codes shared by every verb. */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,   /* the operation ran and failed (or was rejected) */
        EXIT_USAGE = 2,  /* bad command line or unreadable input */
};

/* Loads the configuration, applies command-line overrides and logs every
 * problem (file:line: key: what) at error level. validate also checks
 * required options. Returns -EINVAL when there were problems. */
int agent_load_config(const AgentArgs *a, bool validate, ConfigLoad *ret);

int verb_boot(int argc, char *argv[], const AgentArgs *a);
int verb_collect(int argc, char *argv[], const AgentArgs *a);
int verb_inspect(int argc, char *argv[], const AgentArgs *a);
int verb_check_config(int argc, char *argv[], const AgentArgs *a);
int verb_attest(int argc, char *argv[], const AgentArgs *a);
