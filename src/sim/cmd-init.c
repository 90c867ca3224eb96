/* confnode-sim init: a simulated platform in a directory: its values
 * (sim.conf, with a fresh chip ID and PPID) and the AMD and Intel
 * hierarchies that vouch for it. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/log.h"
#include "sim-args.h"
#include "sim-ca.h"
#include "verbs.h"

static void init_help(void) {
        printf("Usage: confnode-sim init DIR [--generation milan|genoa|turin] [--config FILE]\n"
               "                        [--set SECTION.KEY=VALUE]... [--force]\n"
               "\n"
               "Makes a simulated SEV-SNP and TDX platform in DIR: sim.conf (the values its\n"
               "evidence reports, with a random chip ID and PPID unless given), the AMD hierarchy\n"
               "(amd/ark.pem, ask.pem, vcek.pem) and the Intel one (intel/root-ca.pem,\n"
               "platform-ca.pem, pck.pem, pck-chain.pem); private keys in DIR/private (0600).\n"
               "\n"
               "  -g, --generation GEN  AMD product: milan, genoa (default) or turin\n"
               "  -c, --config FILE     Values to start from (INI, as sim.conf)\n"
               "  -s, --set KEY=VALUE   One value, e.g. snp.measurement=HEX (repeatable)\n"
               "  -f, --force           Replace an existing simulated platform\n");
}

static bool init_all_zero(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

static int init_write_config(const char *dir, const SimConfig *c) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        sim_config_write(c, f);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (asprintf(&path, "%s/sim.conf", dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = write_file_atomic(path, text, size, 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write '%s': %m", path);
        return 0;
}

int verb_init(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"generation", required_argument, NULL, 'g'},
                SIM_ARGS_CONFIG_LONG,
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        SnpGeneration generation = SNP_GENERATION_GENOA;
        SimArgsConfig args = {};
        _cleanup_free_ char *conf = NULL;
        char err[512], chip[17];
        const char *dir;
        bool force = false;
        struct stat st;
        SimConfig c;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "g:c:s:fh", opts, NULL)) >= 0) {
                switch (opt) {
                case 'g':
                        generation = _SNP_GENERATION_INVALID;
                        for (int g = SNP_GENERATION_MILAN; g < _SNP_GENERATION_MAX; g++)
                                if (strcasecmp(optarg,
                                               snp_generation_to_string((SnpGeneration)g)) == 0)
                                        generation = (SnpGeneration)g;
                        if (generation < 0) {
                                log_error("--generation '%s' is not milan, genoa or turin", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'f':
                        force = true;
                        break;
                case 'h':
                        init_help();
                        return EXIT_OK;
                default:
                        if (sim_args_config_option(&args, opt, optarg) <= 0)
                                return EXIT_USAGE;
                        break;
                }
        }
        if (optind != argc - 1) {
                log_error("init takes one directory; see 'confnode-sim init --help'");
                return EXIT_USAGE;
        }
        dir = argv[optind];

        sim_config_default(&c, generation);
        if (args.extra && sim_config_load_file(&c, args.extra, err, sizeof(err)) < 0) {
                log_error("Bad --config: %s", err);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < args.n_sets; i++) {
                char *eq = strchr(args.sets[i], '=');

                if (!eq) {
                        log_error("--set '%s' is not KEY=VALUE", args.sets[i]);
                        return EXIT_USAGE;
                }
                *eq = 0;
                r = sim_config_set(&c, args.sets[i], eq + 1, err, sizeof(err));
                *eq = '=';
                if (r < 0) {
                        log_error("Bad --set: %s", err);
                        return EXIT_USAGE;
                }
        }
        /* Every simulated chip is another chip: a fresh ID unless given
         * (Turin's is 8 bytes, zero-extended in reports). */
        if (init_all_zero(c.snp.chip_id, sizeof(c.snp.chip_id)) &&
            RAND_bytes(c.snp.chip_id, c.snp.generation == SNP_GENERATION_TURIN ? 8 : 64) != 1)
                return log_error_errno(EIO, "Cannot draw a chip ID"), EXIT_FAIL;
        if (init_all_zero(c.tdx.ppid, sizeof(c.tdx.ppid)) &&
            RAND_bytes(c.tdx.ppid, sizeof(c.tdx.ppid)) != 1)
                return log_error_errno(EIO, "Cannot draw a PPID"), EXIT_FAIL;

        if (asprintf(&conf, "%s/sim.conf", dir) < 0)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_FAIL;
        if (!force && stat(conf, &st) == 0) {
                log_error("'%s' already holds a simulated platform; --force replaces it", dir);
                return EXIT_FAIL;
        }
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create '%s': %m", dir), EXIT_FAIL;
        r = sim_ca_create(dir, &c);
        if (r < 0)
                return log_error_errno(r, "Cannot make the simulated hierarchies in '%s': %m", dir),
                       EXIT_FAIL;
        r = init_write_config(dir, &c);
        if (r < 0)
                return EXIT_FAIL;
        hex_encode_to(c.snp.chip_id, 8, chip);
        log_info("Simulated platform in '%s': AMD %s chip %s…, TCB bl=%u tee=%u snp=%u ucode=%u; "
                 "Intel PCK for FMSPC %02x%02x%02x%02x%02x%02x",
                 dir, sim_config_product(c.snp.generation), chip, c.snp.tcb_bootloader,
                 c.snp.tcb_tee, c.snp.tcb_snp, c.snp.tcb_microcode, c.tdx.fmspc[0], c.tdx.fmspc[1],
                 c.tdx.fmspc[2], c.tdx.fmspc[3], c.tdx.fmspc[4], c.tdx.fmspc[5]);
        return EXIT_OK;
}
