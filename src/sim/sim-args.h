#pragma once

/* Command-line pieces the verbs of confnode-sim share. These log their
 * errors: they run in the verbs, which report to the user. */

#include <stddef.h>
#include <stdint.h>

#include "sim-ca.h"
#include "sim-config.h"

#define SIM_ARGS_MAX_SETS 64

/* --config FILE and --set KEY=VALUE, collected while parsing options. */
typedef struct SimArgsConfig {
        const char *extra;
        char *sets[SIM_ARGS_MAX_SETS];
        size_t n_sets;
} SimArgsConfig;

/* Adds one --set; -E2BIG past SIM_ARGS_MAX_SETS. */
int sim_args_add_set(SimArgsConfig *a, char *set);

/* The short options of --config FILE and --set KEY=VALUE, for getopt. */
#define SIM_ARGS_CONFIG_SHORT "c:s:"
#define SIM_ARGS_CONFIG_LONG                                                                       \
        {"config", required_argument, NULL, 'c'}, {                                                \
                "set", required_argument, NULL, 's'                                                \
        }

/* Takes opt if it is one of those: 1 when taken, 0 when it is another
 * option, -E2BIG for too many --set. */
int sim_args_config_option(SimArgsConfig *a, int opt, char *arg);

/* Up to 64 bytes of hex into ret, zero-padded (report_data, user data). */
int sim_args_report_data(const char *option, const char *hex, uint8_t ret[static 64]);

/* The configuration (dir/sim.conf, --config, --set) and, when ret_ca is
 * given, the hierarchy of a directory made by `confnode-sim init`. */
int sim_args_load(const char *dir, const SimArgsConfig *a, SimConfig *ret_config, SimCa **ret_ca);
