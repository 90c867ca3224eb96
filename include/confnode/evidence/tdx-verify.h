#pragma once

/* Verifies a DCAP ECDSA quote (TDX v4/v5, SGX v3) offline, in the order in
 * which each step vouches for the next:
 *   1. the PCK certificate chain (from the quote's certification data, or
 *      given when the quote carries only a PPID) leads to a configured root
 *      CA at the verification time, and no certificate is on a given CRL;
 *   2. the QE report is signed by the PCK leaf key (ECDSA P-256, SHA-256
 *      over the 384-byte report body);
 *   3. the QE report's report_data is SHA-256(attestation key || QE
 *      authentication data) followed by 32 zero bytes, so the attestation
 *      key is the Quoting Enclave's;
 *   4. the quote signature over header and body verifies with the
 *      attestation key.
 * It does not judge the TCB level (that needs Intel's TCB info collateral)
 * nor any measurement: that is policy, applied to the values the verdict
 * vouches for.
 *
 * Each rejection has a stable reason code and a sentence:
 *   tdx.malformed            the quote does not decode
 *   tdx.unsupported          a quote or certification data type that cannot
 *                            be checked (e.g. certification data not 5/6
 *                            without a PCK chain given)
 *   tdx.root_untrusted       the chain does not end at a configured root
 *   tdx.cert_chain           a certificate or CRL signature does not verify,
 *                            or the chain is not a CA chain
 *   tdx.cert_expired         a certificate or CRL is not valid at the time
 *   tdx.cert_revoked         a certificate is on a CRL
 *   tdx.qe_report_signature  the PCK did not sign the QE report
 *   tdx.qe_binding           the QE report does not vouch for the
 *                            attestation key
 *   tdx.signature            the attestation key did not sign the quote */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "confnode/basic/cleanup.h"
#include "confnode/evidence/tdx-quote.h"

/* Verified PCK chains remembered by one TdxVerifier. */
#define TDX_VERIFY_CACHE_MAX 32

typedef struct TdxVerifier TdxVerifier;

typedef struct TdxVerdict {
        const char *reason; /* NULL when verified */
        char detail[1024];
        bool chain_checked;     /* step 1 ran (verified unless reason says so) */
        bool chain_cached;      /* step 1 was answered from the cache */
        bool qe_report_checked; /* step 2 ran */
        bool qe_binding_checked;
        bool signature_checked;
        unsigned crls; /* CRLs issued by a certificate of the chain */
        char pck_subject[256];
        char root_subject[256];
        char root_sha256[65];
        TdxQuote quote; /* valid once the quote decoded, as long as its bytes are */
        bool quote_valid;
} TdxVerdict;

/* A verifier for one set of trust anchors and CRLs. roots: the root CAs a
 * chain may end at (at least one; the certificates are up-referenced);
 * crls: CRLs to check every certificate of the chain against where one of
 * its issuer is given (NULL for none). -EINVAL without a root, -ENOMEM. Not
 * safe for concurrent use: it caches verified chains. */
int tdx_verify_new(STACK_OF(X509) * roots, STACK_OF(X509_CRL) * crls, TdxVerifier **ret);
void tdx_verify_free(TdxVerifier *v);
DEFINE_CLEANUP(TdxVerifier, tdx_verify_free)

/* The PCK certificate (first) and its CA certificates, for quotes whose
 * certification data names the platform (PPID, types 1-4) instead of
 * carrying its chain. Up-referenced; NULL clears; -EINVAL if empty. */
int tdx_verify_set_pck_chain(TdxVerifier *v, STACK_OF(X509) * chain);

/* Turns the cache of verified chains off (every quote is checked cold) or
 * on (the default). */
void tdx_verify_set_cache(TdxVerifier *v, bool enabled);

/* Verifies a quote at time at (chain validity and CRLs). Returns 0 when
 * verified; otherwise a negative errno matching the reason (-EBADMSG
 * malformed, -EOPNOTSUPP unsupported, -ENOKEY root untrusted, -EKEYREJECTED
 * chain or signatures, -EKEYEXPIRED expired, -EKEYREVOKED revoked), with
 * the verdict filled in. -ENOMEM leaves reason NULL. */
int tdx_verify_quote(TdxVerifier *v, const uint8_t *data, size_t size, time_t at, TdxVerdict *ret);

/* The Intel SGX Root CA (production, valid 2018-2049): the root every real
 * TDX and SGX PCK chain ends at, and the one trusted when none is
 * configured. */
int tdx_verify_intel_root(X509 **ret);

/* CRLs from bytes: one or more PEM X509 CRL blocks, or one DER CRL, as
 * Intel's PCS and the peers hand them out. Appended to crls. -EBADMSG if
 * the bytes hold no CRL or a damaged one; crls is left as it was then. */
int tdx_verify_load_crls(const uint8_t *data, size_t size, STACK_OF(X509_CRL) * crls);
void tdx_verify_crl_stack_free(STACK_OF(X509_CRL) * crls);
DEFINE_CLEANUP(STACK_OF(X509_CRL), tdx_verify_crl_stack_free)
