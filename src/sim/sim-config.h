#pragma once

/* What a simulated platform reports about itself: the values a real SEV-SNP
 * or TDX machine would put in its evidence (launch measurement, chip ID,
 * TCB levels, MRTD, RTMRs, ...). They live in DIR/sim.conf (INI), written
 * by `confnode-sim init`, and can be overridden per command with --config
 * FILE and --set SECTION.KEY=VALUE. The chip ID and the TCB are baked into
 * the VCEK at init, as AMD's KDS does, so changing them later makes
 * reports the VCEK no longer vouches for (which is what a test of that
 * wants). */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "confnode/evidence/snp-report.h"

typedef struct SimSnp {
        SnpGeneration generation;
        uint32_t version;
        uint32_t guest_svn;
        uint64_t policy;
        uint8_t family_id[SNP_FAMILY_ID_SIZE];
        uint8_t image_id[SNP_IMAGE_ID_SIZE];
        uint32_t vmpl; /* the VMPL the guest runs at: the lowest it may ask for */
        uint64_t platform_info;
        uint8_t measurement[SNP_MEASUREMENT_SIZE];
        uint8_t host_data[SNP_HOST_DATA_SIZE];
        uint8_t id_key_digest[SNP_KEY_DIGEST_SIZE];
        uint8_t author_key_digest[SNP_KEY_DIGEST_SIZE];
        uint8_t chip_id[SNP_CHIP_ID_SIZE];
        uint8_t tcb_fmc; /* Turin only */
        uint8_t tcb_bootloader;
        uint8_t tcb_tee;
        uint8_t tcb_snp;
        uint8_t tcb_microcode;
        uint8_t fw_major;
        uint8_t fw_minor;
        uint8_t fw_build;
} SimSnp;

typedef struct SimTdx {
        uint8_t tee_tcb_svn[16];
        uint8_t mrseam[48];
        uint8_t mrsignerseam[48];
        uint8_t seam_attributes[8];
        uint8_t td_attributes[8];
        uint8_t xfam[8];
        uint8_t mrtd[48];
        uint8_t mrconfigid[48];
        uint8_t mrowner[48];
        uint8_t mrownerconfig[48];
        uint8_t rtmr[4][48];
        uint16_t qe_svn;  /* the Quoting Enclave's ISV SVN */
        uint16_t pce_svn; /* in the PCK certificate's TCB */
        uint8_t cpu_svn[16];
        uint8_t fmspc[6];
        uint8_t pce_id[2];
        uint8_t ppid[16];
} SimTdx;

typedef struct SimConfig {
        SimSnp snp;
        SimTdx tdx;
} SimConfig;

/* A platform of that generation with fixed, recognisable values (the
 * measurements are SHA-384 of "confnode-sim: …" strings); the chip ID and
 * PPID are zero until init draws them. */
void sim_config_default(SimConfig *c, SnpGeneration generation);

/* key is "section.key". On a bad key or value, a sentence goes to err and
 * -EINVAL is returned; c is unchanged then. */
int sim_config_set(SimConfig *c, const char *key, const char *value, char *err, size_t err_size);

/* Applies an INI file over c. -errno if it cannot be read; -EINVAL with
 * "file:line: key: what" in err for a bad line. */
int sim_config_load_file(SimConfig *c, const char *path, char *err, size_t err_size);

/* DIR/sim.conf, then extra (if not NULL), then each "key=value" of sets. */
int sim_config_load(const char *dir, const char *extra, char *const *sets, size_t n_sets,
                    SimConfig *ret, char *err, size_t err_size);

/* Every key, as the INI init writes. */
void sim_config_write(const SimConfig *c, FILE *f);

/* CPUID family, model and stepping of a generation (what version 3+
 * reports carry and what KDS tells products apart by). */
void sim_config_cpuid(SnpGeneration g, uint8_t *ret_family, uint8_t *ret_model,
                      uint8_t *ret_stepping);

/* The TCB_VERSION in the layout of the generation. */
uint64_t sim_config_snp_tcb(const SimSnp *s);

/* The product name AMD puts in VCEKs and certificate names ("Milan",
 * "Genoa", "Turin"). */
const char *sim_config_product(SnpGeneration g);
