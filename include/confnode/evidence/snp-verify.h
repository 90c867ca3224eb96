#pragma once

/* Verifies an SEV-SNP attestation report against AMD's certificate chain:
 * ARK (self-signed, and one the caller trusts) → ASK (ASVK for a VLEK) →
 * VCEK (or VLEK), each RSA-PSS with SHA-384 and valid at the given time;
 * then the report's ECDSA P-384/SHA-384 signature over bytes 0x000-0x29F
 * with the VCEK's key; then the VCEK's TCB extensions against the
 * report's reported_tcb and its hwID against chip_id (a VLEK has no hwID).
 *
 * The certificates come as one pile in any order (the report's own
 * certificate table, a cache directory, a KDS download); each is told
 * apart by its contents. Which roots are trusted is the caller's word
 * alone: nothing here trusts a certificate because it is self-signed or
 * because of its name.
 *
 * Each rejection has a stable reason code and a sentence:
 *   snp.malformed         the report does not parse
 *   snp.unsupported       a signature algorithm or key type the ABI does not define
 *   snp.signing_key       the report is unsigned (SIGNING_KEY none or reserved,
 *                         MASK_CHIP_KEY), or says VCEK where only a VLEK was given
 *                         and the reverse
 *   snp.cert_missing      no VCEK/VLEK, ASK/ASVK or ARK among the certificates
 *   snp.ark_untrusted     the chain ends in a self-signed ARK that is not trusted
 *   snp.cert_chain        the certificates do not link (names, signatures, CA use)
 *   snp.cert_expired      a certificate of the chain is not valid at the time
 *   snp.signature         the report's signature does not verify with the key
 *   snp.tcb_mismatch      the VCEK/VLEK was issued for another TCB (or product)
 *   snp.chip_id_mismatch  the VCEK belongs to another chip */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "confnode/basic/cleanup.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/evidence/snp-cert.h"
#include "confnode/evidence/snp-report.h"

typedef struct SnpCertSummary {
        bool present;
        SnpCertRole role;
        char subject[256];
        char sha256[CERT_INFO_FINGERPRINT_SIZE];
        char not_before[21];
        char not_after[21];
} SnpCertSummary;

typedef struct SnpVerdict {
        const char *reason; /* NULL when verified */
        char detail[512];
        bool chain_checked;     /* ARK → ASK → VCEK verified at `at` */
        bool signature_checked; /* the report's signature verified */
        bool tcb_checked;       /* the SPL extensions equal reported_tcb */
        bool chip_id_checked;   /* hwID equals chip_id (VCEK only) */
        time_t at;
        uint8_t signing_key; /* the report's SIGNING_KEY */
        /* What the certificates were taken to be, as far as the check got. */
        SnpCertSummary ark, ask, key;
        /* The reported TCB as compared, in the layout of the chip that
         * signed (for version 2 reports, the VCEK's product decides). */
        SnpGeneration generation;
        SnpTcbLayout tcb_layout;
        SnpTcb reported_tcb;
        bool tcb_valid;
} SnpVerdict;

/* A verified chain: the endorsement key (VCEK or VLEK) with what its
 * certificate says, valid at the time it was checked. Verifying further
 * reports with it skips the RSA work on the chain. */
typedef struct SnpEndorsement SnpEndorsement;

void snp_endorsement_free(SnpEndorsement *e);
DEFINE_CLEANUP(SnpEndorsement, snp_endorsement_free)

/* Gives the endorsement its key's P-384 table of multiples (195 KiB, a few
 * milliseconds to build, won back after about a dozen reports: a report's
 * signature then takes about 80 us instead of about 350), for an
 * endorsement that is kept and used again, as the verifier's cache does.
 * Safe to call from several threads on a shared endorsement; a no-op once
 * it has one, or for a key the P-384 code does not take. 0 or -ENOMEM. */
int snp_endorsement_add_table(SnpEndorsement *e);

/* Picks the VCEK (or VLEK, as rep's SIGNING_KEY says) for rep out of certs
 * (preferring one whose hwID and TCB match the report), finds its ASK and
 * its ARK among certs and trusted_arks, and verifies the chain at *at (now
 * when at is NULL). The ARK must be one of trusted_arks (compared by its
 * whole DER). Returns 0 and the endorsement, or a negative errno that
 * matches the reason in *v: -EOPNOTSUPP unsupported, -EPROTO signing_key,
 * -ENOKEY cert_missing, -EPERM ark_untrusted, -EACCES cert_chain,
 * -EKEYEXPIRED cert_expired. -ENOMEM leaves the reason NULL. */
int snp_verify_chain(const SnpReport *rep, STACK_OF(X509) *certs, STACK_OF(X509) *trusted_arks,
                     const time_t *at, SnpEndorsement **ret, SnpVerdict *v);

/* Verifies rep with a chain from snp_verify_chain(): the signing key kind,
 * the signature, the TCB, the chip. 0 when verified, else -EPROTO
 * signing_key, -EOPNOTSUPP unsupported, -EKEYREJECTED signature, -ERANGE
 * tcb_mismatch, -ENODEV chip_id_mismatch, with *v filled in. */
int snp_verify_report(const SnpReport *rep, const SnpEndorsement *e, SnpVerdict *v);

/* Parses (-EBADMSG, snp.malformed), then both of the above. */
int snp_verify(const uint8_t *data, size_t size, STACK_OF(X509) *certs,
               STACK_OF(X509) *trusted_arks, const time_t *at, SnpVerdict *v);
