#pragma once

/* The simulated vendor hierarchies, as PEM files under a simulator
 * directory:
 *   amd/ark.pem       ARK: RSA-4096, self-signed with RSA-PSS SHA-384
 *   amd/ask.pem       ASK: RSA-4096, signed by the ARK
 *   amd/vcek.pem      VCEK: ECDSA P-384, signed by the ASK, with AMD's
 *                     productName, SPL (TCB) and hwID (chip ID) extensions
 *   intel/root-ca.pem      root CA, ECDSA P-256, self-signed
 *   intel/platform-ca.pem  PCK Platform CA, signed by the root
 *   intel/pck.pem          PCK certificate, with the SGX extension (PPID,
 *                          TCB, PCE-ID, FMSPC, SGX type)
 *   intel/pck-chain.pem    PCK, Platform CA, root: what a quote carries
 *   private/…              every private key, 0600 in a 0700 directory;
 *                          intel-attestation.key is the Quoting Enclave's
 *                          attestation key, which has no certificate (the
 *                          QE report signed by the PCK vouches for it)
 * Names are AMD's and Intel's with "SIMULATED" in the common name and the
 * organisational unit, so no one takes them for the vendors' own. */

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "confnode/basic/cleanup.h"
#include "sim-config.h"

typedef struct SimCa {
        X509 *ark, *ask, *vcek;
        EVP_PKEY *vcek_key;
        X509 *intel_root, *intel_platform_ca, *pck;
        EVP_PKEY *pck_key;
        EVP_PKEY *attestation_key;
        /* intel/pck-chain.pem as it is on disk (what quotes carry). */
        char *pck_chain_pem;
        size_t pck_chain_pem_size;
} SimCa;

void sim_ca_free(SimCa *ca);
DEFINE_CLEANUP(SimCa, sim_ca_free)

/* Makes both hierarchies in dir (which must exist) for the platform c
 * describes. Existing files are replaced. */
int sim_ca_create(const char *dir, const SimConfig *c);

/* Loads what sim_ca_create() wrote. -ENOENT when dir has no hierarchy. */
int sim_ca_load(const char *dir, SimCa **ret);
