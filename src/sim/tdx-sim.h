#pragma once

/* The quoting stack of a simulated TDX platform: a TDX DCAP quote v4 over a
 * TD report body made from the platform's configuration, signed by the
 * Quoting Enclave's attestation key, with certification data type 6 (the
 * QE report, signed by the simulated PCK key, whose report_data is
 * SHA-256(attestation key || QE authentication data) || 32 zero bytes)
 * wrapping type 5 (the PCK certificate chain as PEM). */

#include <stddef.h>
#include <stdint.h>

#include "sim-ca.h"
#include "sim-config.h"

#define TDX_SIM_REPORT_DATA_SIZE 64

/* A quote for report_data, malloc()ed. */
int tdx_sim_quote(const SimTdx *t, const SimCa *ca,
                  const uint8_t report_data[static TDX_SIM_REPORT_DATA_SIZE], uint8_t **ret,
                  size_t *ret_size);
