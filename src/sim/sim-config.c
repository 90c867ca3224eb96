/* The simulated platforms' values: one table of keys, read from INI files
 * and --set options, written back by init. */

#include "sim-config.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/hex.h"

typedef enum SimKeyType {
        SIM_KEY_U8,
        SIM_KEY_U16,
        SIM_KEY_U32,
        SIM_KEY_U64,
        SIM_KEY_HEX,
        SIM_KEY_GENERATION,
        _SIM_KEY_TYPE_MAX,
        _SIM_KEY_TYPE_INVALID = -EINVAL,
} SimKeyType;

typedef struct SimKey {
        const char *section;
        const char *key;
        SimKeyType type;
        size_t offset;
        size_t size; /* bytes, for SIM_KEY_HEX */
        const char *comment;
} SimKey;

#define SNP(f) offsetof(SimConfig, snp.f)
#define TDX(f) offsetof(SimConfig, tdx.f)
#define HEX(s, k, field, what)                                                                     \
        { s, k, SIM_KEY_HEX, offsetof(SimConfig, field), sizeof(((SimConfig *)0)->field), what }

static const SimKey sim_keys[] = {
        {"snp", "generation", SIM_KEY_GENERATION, SNP(generation), 0,
         "milan, genoa or turin: CPUID, TCB layout and the AMD product"},
        {"snp", "version", SIM_KEY_U32, SNP(version), 0, "report version (2-5)"},
        {"snp", "guest_svn", SIM_KEY_U32, SNP(guest_svn), 0, NULL},
        {"snp", "policy", SIM_KEY_U64, SNP(policy), 0, "guest policy (bit 19: debug)"},
        HEX("snp", "family_id", snp.family_id, NULL),
        HEX("snp", "image_id", snp.image_id, NULL),
        {"snp", "vmpl", SIM_KEY_U32, SNP(vmpl), 0,
         "VMPL the guest runs at (privlevel_floor); reports ask for this or above"},
        {"snp", "platform_info", SIM_KEY_U64, SNP(platform_info), 0, NULL},
        HEX("snp", "measurement", snp.measurement, "launch measurement (SHA-384)"),
        HEX("snp", "host_data", snp.host_data, NULL),
        HEX("snp", "id_key_digest", snp.id_key_digest, NULL),
        HEX("snp", "author_key_digest", snp.author_key_digest, NULL),
        HEX("snp", "chip_id", snp.chip_id, "the VCEK's hwID (Turin: the first 8 bytes)"),
        {"snp", "tcb_fmc", SIM_KEY_U8, SNP(tcb_fmc), 0, "Turin only"},
        {"snp", "tcb_bootloader", SIM_KEY_U8, SNP(tcb_bootloader), 0, NULL},
        {"snp", "tcb_tee", SIM_KEY_U8, SNP(tcb_tee), 0, NULL},
        {"snp", "tcb_snp", SIM_KEY_U8, SNP(tcb_snp), 0, NULL},
        {"snp", "tcb_microcode", SIM_KEY_U8, SNP(tcb_microcode), 0, NULL},
        {"snp", "fw_major", SIM_KEY_U8, SNP(fw_major), 0, NULL},
        {"snp", "fw_minor", SIM_KEY_U8, SNP(fw_minor), 0, NULL},
        {"snp", "fw_build", SIM_KEY_U8, SNP(fw_build), 0, NULL},
        HEX("tdx", "tee_tcb_svn", tdx.tee_tcb_svn, NULL),
        HEX("tdx", "mrseam", tdx.mrseam, NULL),
        HEX("tdx", "mrsignerseam", tdx.mrsignerseam, NULL),
        HEX("tdx", "seam_attributes", tdx.seam_attributes, NULL),
        HEX("tdx", "td_attributes", tdx.td_attributes, "bit 0 of the first byte: debug"),
        HEX("tdx", "xfam", tdx.xfam, NULL),
        HEX("tdx", "mrtd", tdx.mrtd, "the TD's build-time measurement"),
        HEX("tdx", "mrconfigid", tdx.mrconfigid, NULL),
        HEX("tdx", "mrowner", tdx.mrowner, NULL),
        HEX("tdx", "mrownerconfig", tdx.mrownerconfig, NULL),
        HEX("tdx", "rtmr0", tdx.rtmr[0], NULL),
        HEX("tdx", "rtmr1", tdx.rtmr[1], NULL),
        HEX("tdx", "rtmr2", tdx.rtmr[2], NULL),
        HEX("tdx", "rtmr3", tdx.rtmr[3], NULL),
        {"tdx", "qe_svn", SIM_KEY_U16, TDX(qe_svn), 0, "the Quoting Enclave's ISV SVN"},
        {"tdx", "pce_svn", SIM_KEY_U16, TDX(pce_svn), 0, "in the PCK certificate's TCB"},
        HEX("tdx", "cpu_svn", tdx.cpu_svn, "in the PCK certificate's TCB and the QE report"),
        HEX("tdx", "fmspc", tdx.fmspc, NULL),
        HEX("tdx", "pce_id", tdx.pce_id, NULL),
        HEX("tdx", "ppid", tdx.ppid, NULL),
};

#undef SNP
#undef TDX
#undef HEX

const char *sim_config_product(SnpGeneration g) {
        switch (g) {
        case SNP_GENERATION_MILAN:
                return "Milan";
        case SNP_GENERATION_TURIN:
                return "Turin";
        default:
                return "Genoa";
        }
}

void sim_config_cpuid(SnpGeneration g, uint8_t *ret_family, uint8_t *ret_model,
                      uint8_t *ret_stepping) {
        switch (g) {
        case SNP_GENERATION_MILAN:
                *ret_family = 0x19, *ret_model = 0x01, *ret_stepping = 0x01;
                break;
        case SNP_GENERATION_TURIN:
                *ret_family = 0x1a, *ret_model = 0x02, *ret_stepping = 0x01;
                break;
        default:
                *ret_family = 0x19, *ret_model = 0x11, *ret_stepping = 0x01;
                break;
        }
}

uint64_t sim_config_snp_tcb(const SimSnp *s) {
        /* Milan and Genoa: BOOT_LOADER, TEE, 4 reserved, SNP, MICROCODE.
         * Turin: FMC, BOOT_LOADER, TEE, SNP, 3 reserved, MICROCODE. */
        if (s->generation == SNP_GENERATION_TURIN)
                return (uint64_t)s->tcb_fmc | (uint64_t)s->tcb_bootloader << 8 |
                       (uint64_t)s->tcb_tee << 16 | (uint64_t)s->tcb_snp << 24 |
                       (uint64_t)s->tcb_microcode << 56;
        return (uint64_t)s->tcb_bootloader | (uint64_t)s->tcb_tee << 8 |
               (uint64_t)s->tcb_snp << 48 | (uint64_t)s->tcb_microcode << 56;
}

static void sim_config_digest(const char *what, uint8_t *ret, size_t size) {
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        /* SHA-384 cannot fail on a few bytes in memory short of the
         * library being broken; zeros are then as good a default. */
        if (EVP_Digest(what, strlen(what), md, &n, EVP_sha384(), NULL) != 1)
                n = 0;
        memset(ret, 0, size);
        memcpy(ret, md, n < size ? n : size);
}

void sim_config_default(SimConfig *c, SnpGeneration generation) {
        SimSnp *s = &c->snp;
        SimTdx *t = &c->tdx;
        char what[64];

        *c = (SimConfig){};
        s->generation = generation;
        s->version = 3;
        s->policy = 0x30000;     /* SMT allowed, the must-be-one bit 17 */
        s->platform_info = 0x25; /* SMT_EN, ECC_EN, ALIAS_CHECK_COMPLETE */
        sim_config_digest("confnode-sim: SEV-SNP launch measurement", s->measurement,
                          sizeof(s->measurement));
        switch (generation) {
        case SNP_GENERATION_MILAN:
                s->tcb_bootloader = 4, s->tcb_snp = 24, s->tcb_microcode = 219;
                break;
        case SNP_GENERATION_TURIN:
                s->tcb_bootloader = 1, s->tcb_snp = 2, s->tcb_microcode = 71;
                break;
        default:
                s->tcb_bootloader = 10, s->tcb_snp = 23, s->tcb_microcode = 84;
                break;
        }
        s->fw_major = 1, s->fw_minor = 55, s->fw_build = 40;

        memcpy(t->tee_tcb_svn, (const uint8_t[]){0x05, 0x01, 0x02}, 3);
        sim_config_digest("confnode-sim: TDX module", t->mrseam, sizeof(t->mrseam));
        t->td_attributes[3] = 0x10; /* SEPT_VE_DISABLE */
        memcpy(t->xfam, (const uint8_t[]){0xe7, 0x18, 0x06}, 3);
        sim_config_digest("confnode-sim: TD image", t->mrtd, sizeof(t->mrtd));
        for (size_t i = 0; i < 4; i++) {
                snprintf(what, sizeof(what), "confnode-sim: RTMR%zu", i);
                sim_config_digest(what, t->rtmr[i], sizeof(t->rtmr[i]));
        }
        t->qe_svn = 8;
        t->pce_svn = 13;
        memcpy(t->cpu_svn, (const uint8_t[]){0x05, 0x05, 0x02, 0x02, 0x03, 0x01, 0x00, 0x05}, 8);
        memcpy(t->fmspc, (const uint8_t[]){0x00, 0x80, 0x6f, 0x05, 0x00, 0x00}, 6);
}

static const SimKey *sim_config_find(const char *section, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(sim_keys); i++)
                if (strcmp(sim_keys[i].section, section) == 0 && strcmp(sim_keys[i].key, key) == 0)
                        return &sim_keys[i];
        return NULL;
}

static int sim_config_parse_uint(const char *value, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!*value || *value == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(value, &end, 0);
        if (errno != 0 || *end != 0 || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int sim_config_apply(const SimKey *k, SimConfig *c, const char *value, char *err,
                            size_t err_size) {
        uint8_t *field = (uint8_t *)c + k->offset;
        uint64_t v;

        switch (k->type) {
        case SIM_KEY_HEX: {
                _cleanup_free_ uint8_t *bytes = NULL;
                size_t n;

                if (hex_decode(value, &bytes, &n) < 0 || n != k->size) {
                        snprintf(err, err_size, "'%s' is not %zu bytes of hex", value, k->size);
                        return -EINVAL;
                }
                memcpy(field, bytes, n);
                return 0;
        }
        case SIM_KEY_GENERATION:
                for (int g = SNP_GENERATION_MILAN; g < _SNP_GENERATION_MAX; g++)
                        if (strcasecmp(value, snp_generation_to_string((SnpGeneration)g)) == 0) {
                                *(SnpGeneration *)field = (SnpGeneration)g;
                                return 0;
                        }
                snprintf(err, err_size, "'%s' is not milan, genoa or turin", value);
                return -EINVAL;
        default:
                break;
        }

        if (sim_config_parse_uint(value,
                                  k->type == SIM_KEY_U8    ? UINT8_MAX
                                  : k->type == SIM_KEY_U16 ? UINT16_MAX
                                  : k->type == SIM_KEY_U32 ? UINT32_MAX
                                                           : UINT64_MAX,
                                  &v) < 0) {
                snprintf(err, err_size, "'%s' is not a number of %s bits", value,
                         k->type == SIM_KEY_U8    ? "8"
                         : k->type == SIM_KEY_U16 ? "16"
                         : k->type == SIM_KEY_U32 ? "32"
                                                  : "64");
                return -EINVAL;
        }
        switch (k->type) {
        case SIM_KEY_U8:
                *field = (uint8_t)v;
                break;
        case SIM_KEY_U16:
                *(uint16_t *)field = (uint16_t)v;
                break;
        case SIM_KEY_U32:
                *(uint32_t *)field = (uint32_t)v;
                break;
        default:
                *(uint64_t *)field = v;
                break;
        }
        return 0;
}

/* What every value must be for a report of the real format: the version
 * one the parsers define, a VMPL the firmware knows. */
static int sim_config_check(const SimConfig *c, char *err, size_t err_size) {
        if (c->snp.version < SNP_REPORT_MIN_VERSION || c->snp.version > SNP_REPORT_MAX_VERSION) {
                snprintf(err, err_size, "snp.version: %u is not a report version (%d-%d)",
                         c->snp.version, SNP_REPORT_MIN_VERSION, SNP_REPORT_MAX_VERSION);
                return -EINVAL;
        }
        if (c->snp.vmpl > 3) {
                snprintf(err, err_size, "snp.vmpl: %u is not a VMPL (0-3)", c->snp.vmpl);
                return -EINVAL;
        }
        return 0;
}

int sim_config_set(SimConfig *c, const char *key, const char *value, char *err, size_t err_size) {
        char section[16];
        const char *dot = strchr(key, '.');
        const SimKey *k = NULL;
        SimConfig copy = *c;
        char what[200];
        int r;

        if (dot && (size_t)(dot - key) < sizeof(section)) {
                memcpy(section, key, (size_t)(dot - key));
                section[dot - key] = 0;
                k = sim_config_find(section, dot + 1);
        }
        if (!k) {
                snprintf(err, err_size, "%s: unknown key", key);
                return -EINVAL;
        }
        r = sim_config_apply(k, &copy, value, what, sizeof(what));
        if (r < 0) {
                snprintf(err, err_size, "%s: %s", key, what);
                return r;
        }
        r = sim_config_check(&copy, err, err_size);
        if (r < 0)
                return r;
        *c = copy;
        return 0;
}

typedef struct SimIniState {
        SimConfig *config;
        char what[256];
} SimIniState;

static int sim_config_ini_handler(void *user, const char *section, const char *name,
                                  const char *value) {
        SimIniState *st = user;
        const SimKey *k = sim_config_find(section, name);
        char what[200];

        if (!k) {
                snprintf(st->what, sizeof(st->what), "%s.%s: unknown key", section, name);
                return 0;
        }
        if (sim_config_apply(k, st->config, value, what, sizeof(what)) < 0) {
                snprintf(st->what, sizeof(st->what), "%s.%s: %s", section, name, what);
                return 0;
        }
        return 1;
}

int sim_config_load_file(SimConfig *c, const char *path, char *err, size_t err_size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        SimConfig copy = *c;
        SimIniState st = {.config = &copy};
        int line;

        if (!f) {
                int r = -errno;

                snprintf(err, err_size, "%s: %s", path, strerror(-r));
                return r;
        }
        line = ini_parse_file(f, sim_config_ini_handler, &st);
        if (line != 0) {
                snprintf(err, err_size, "%s:%d: %s", path, line,
                         st.what[0] ? st.what : "not an INI line");
                return -EINVAL;
        }
        if (sim_config_check(&copy, st.what, sizeof(st.what)) < 0) {
                snprintf(err, err_size, "%s: %s", path, st.what);
                return -EINVAL;
        }
        *c = copy;
        return 0;
}

int sim_config_load(const char *dir, const char *extra, char *const *sets, size_t n_sets,
                    SimConfig *ret, char *err, size_t err_size) {
        _cleanup_free_ char *path = NULL;
        SimConfig c;
        int r;

        sim_config_default(&c, SNP_GENERATION_GENOA);
        if (asprintf(&path, "%s/sim.conf", dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = sim_config_load_file(&c, path, err, err_size);
        if (r >= 0 && extra)
                r = sim_config_load_file(&c, extra, err, err_size);
        for (size_t i = 0; r >= 0 && i < n_sets; i++) {
                _cleanup_free_ char *key = strdup(sets[i]);
                char *eq = key ? strchr(key, '=') : NULL;

                if (!key)
                        return -ENOMEM;
                if (!eq) {
                        snprintf(err, err_size, "--set '%s' is not KEY=VALUE", sets[i]);
                        return -EINVAL;
                }
                *eq = 0;
                r = sim_config_set(&c, key, eq + 1, err, err_size);
        }
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

void sim_config_write(const SimConfig *c, FILE *f) {
        const char *section = NULL;

        fprintf(f, "# confnode-sim: the values this simulated platform reports. The chip ID and\n"
                   "# the TCB are also in the VCEK (made at init): change them and reports no\n"
                   "# longer match it.\n");
        for (size_t i = 0; i < ELEMENTSOF(sim_keys); i++) {
                const SimKey *k = &sim_keys[i];
                const uint8_t *field = (const uint8_t *)c + k->offset;

                if (!section || strcmp(section, k->section) != 0) {
                        fprintf(f, "\n[%s]\n", k->section);
                        section = k->section;
                }
                if (k->comment)
                        fprintf(f, "# %s\n", k->comment);
                fprintf(f, "%s = ", k->key);
                switch (k->type) {
                case SIM_KEY_U8:
                        fprintf(f, "%u\n", *field);
                        break;
                case SIM_KEY_U16:
                        fprintf(f, "%u\n", *(const uint16_t *)field);
                        break;
                case SIM_KEY_U32:
                        fprintf(f, "%u\n", *(const uint32_t *)field);
                        break;
                case SIM_KEY_U64:
                        fprintf(f, "0x%llx\n", (unsigned long long)*(const uint64_t *)field);
                        break;
                case SIM_KEY_HEX: {
                        char hex[2 * 64 + 1];

                        hex_encode_to(field, k->size, hex);
                        fprintf(f, "%s\n", hex);
                        break;
                }
                case SIM_KEY_GENERATION:
                        fprintf(f, "%s\n", snp_generation_to_string(*(const SnpGeneration *)field));
                        break;
                default:
                        break;
                }
        }
}
