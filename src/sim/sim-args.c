#include "sim-args.h"

#include <errno.h>
#include <string.h>

#include "confnode/basic/hex.h"
#include "confnode/basic/log.h"

int sim_args_add_set(SimArgsConfig *a, char *set) {
        if (a->n_sets >= SIM_ARGS_MAX_SETS) {
                log_error("More than %d --set options", SIM_ARGS_MAX_SETS);
                return -E2BIG;
        }
        a->sets[a->n_sets++] = set;
        return 0;
}

int sim_args_config_option(SimArgsConfig *a, int opt, char *arg) {
        switch (opt) {
        case 'c':
                a->extra = arg;
                return 1;
        case 's':
                return sim_args_add_set(a, arg) < 0 ? -E2BIG : 1;
        default:
                return 0;
        }
}

int sim_args_report_data(const char *option, const char *hex, uint8_t ret[static 64]) {
        _cleanup_free_ uint8_t *bytes = NULL;
        size_t n;
        int r;

        r = hex_decode(hex, &bytes, &n);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory");
        if (r < 0 || n > 64) {
                log_error("%s '%s' is not up to 64 bytes of hex", option, hex);
                return -EINVAL;
        }
        memset(ret, 0, 64);
        if (n > 0)
                memcpy(ret, bytes, n);
        return 0;
}

int sim_args_load(const char *dir, const SimArgsConfig *a, SimConfig *ret_config, SimCa **ret_ca) {
        char err[512];
        int r;

        r = sim_config_load(dir, a->extra, a->sets, a->n_sets, ret_config, err, sizeof(err));
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory");
        if (r < 0) {
                log_error("Bad simulator configuration: %s%s", err,
                          r == -ENOENT ? " (run 'confnode-sim init DIR' first)" : "");
                return r;
        }
        if (!ret_ca)
                return 0;
        r = sim_ca_load(dir, ret_ca);
        if (r < 0)
                return log_error_errno(r, "Cannot load the simulated hierarchy in '%s': %m%s", dir,
                                       r == -ENOENT ? " (run 'confnode-sim init DIR' first)" : "");
        return 0;
}
