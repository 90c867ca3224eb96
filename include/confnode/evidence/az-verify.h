#pragma once

/* What an Azure HCL report proves by itself: that its runtime data (with
 * the vTPM attestation key) is the one the hardware report vouches for,
 * because the report's report_data begins with the hash of the runtime
 * data bytes (the hash the runtime-data header names). The hardware
 * report's own signature is the SNP verifier's job; a TDX TD report is not
 * signed at all and is vouched for by a TD quote made from it, which the
 * TDX verifier checks and az_verify_td_quote() matches to the report.
 *
 * Each rejection has a stable reason code and a sentence:
 *   az.unsupported           a hash type the binding cannot be checked with
 *   az.runtime_data_binding  report_data does not begin with the hash of the
 *                            runtime data
 *   az.ak_missing            the runtime data holds no HCLAkPub key
 *   az.td_quote_mismatch     the TD quote was not made from this TD report */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "confnode/evidence/az-hcl.h"
#include "confnode/evidence/tdx-quote.h"

typedef struct AzVerdict {
        const char *reason; /* NULL when verified */
        char detail[512];
        bool binding_checked;
        bool td_quote_checked;
        uint8_t runtime_data_hash[64];
        size_t hash_size;
} AzVerdict;

/* Checks that report_data (64 bytes: NULL for the embedded hardware
 * report's own) begins with the hash of rep's runtime data, and returns
 * the attestation key that binding vouches for (a new reference) for the
 * TPM quote check. 0 when bound; otherwise a negative errno matching the
 * reason (-EOPNOTSUPP unsupported, -EKEYREJECTED binding, -ENOKEY no AK)
 * with the verdict filled in. -ENOMEM leaves reason NULL. */
int az_verify_binding(const AzHclReport *rep, const uint8_t *report_data, EVP_PKEY **ret_ak,
                      AzVerdict *v);

/* For a TDX HCL report: the TD quote's body must be the TD report the HCL
 * report carries, field by field. 0 when it is, -EXDEV (reason
 * az.td_quote_mismatch, naming the first field that differs) when not,
 * -EINVAL for an HCL report of another TEE or a quote with an SGX body. */
int az_verify_td_quote(const AzHclReport *rep, const TdxQuote *q, AzVerdict *v);
