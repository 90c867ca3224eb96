#pragma once

/* The AMD Secure Processor of a simulated SEV-SNP platform: attestation
 * reports in the real ATTESTATION_REPORT format signed with the simulated
 * VCEK, the firmware's MSG_REPORT_RSP around them, and the certificate
 * table a host hands out with extended reports. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "confnode/evidence/snp-report.h"
#include "sim-ca.h"
#include "sim-config.h"

/* MSG_REPORT_RSP: status, report_size, 24 reserved bytes, the report. */
#define SNP_SIM_RESPONSE_HEADER_SIZE 32
/* What the kernel's struct snp_report_resp holds. */
#define SNP_SIM_RESPONSE_SIZE 4000
/* MSG_REPORT_RSP status values (SEV-SNP firmware ABI, status codes). */
#define SNP_SIM_STATUS_SUCCESS 0x00
#define SNP_SIM_STATUS_INVALID_PARAM 0x16

/* An ATTESTATION_REPORT for report_data, at vmpl, signed with key (the
 * VCEK's private key). */
int snp_sim_report(const SimSnp *s, EVP_PKEY *key,
                   const uint8_t report_data[static SNP_REPORT_DATA_SIZE], uint32_t vmpl,
                   uint8_t ret[static SNP_REPORT_SIZE]);

/* The firmware's answer to MSG_REPORT_REQ into resp (SNP_SIM_RESPONSE_SIZE
 * bytes): a report when status is SUCCESS (report not NULL), else the
 * status alone. */
void snp_sim_response(uint32_t status, const uint8_t *report,
                      uint8_t resp[static SNP_SIM_RESPONSE_SIZE]);

/* The certificate table of ARK, ASK and VCEK (DER), malloc()ed. */
int snp_sim_cert_table(const SimCa *ca, uint8_t **ret, size_t *ret_size);
