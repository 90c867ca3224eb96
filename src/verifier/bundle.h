#pragma once

/* Saved evidence, read back for offline appraisal (`confnode-verifier check
 * BUNDLE`, `reference --from BUNDLE`). A bundle is a directory in one of
 * two forms:
 *   collect  what `confnode collect --out DIR` writes (src/agent/gather.h):
 *            tee.json, tee-report.bin, tee-certs.bin, certs/ (PEM), ak.pub,
 *            tpm-quote.msg, tpm-quote.sig, pcrs.json, eventlog.bin and
 *            nonce.hex. The TEE report binds nonce.hex zero-padded to 64
 *            bytes, the quote nonce.hex itself; the TPM evidence is not in
 *            an additional_evidence string, so no TEE vouches for its AK
 *            (except Azure's, from the HCL report).
 *   kbs      a saved KBS exchange (`confnode attest --save-bundle DIR`):
 *            request.json, challenge.json and attestation.json, the bodies
 *            exactly as sent. The evidence is read and bound exactly as the
 *            server does it, with the challenge's nonce and hash. */

#include <stdbool.h>
#include <stddef.h>

#include "appraise.h"
#include "confnode/basic/cleanup.h"
#include "confnode/kbs/kbs-evidence.h"
#include "confnode/kbs/kbs-proto.h"

typedef enum BundleForm {
        BUNDLE_COLLECT,
        BUNDLE_KBS,
        _BUNDLE_FORM_MAX,
        _BUNDLE_FORM_INVALID = -EINVAL,
} BundleForm;

const char *bundle_form_to_string(BundleForm f); /* "collect", "kbs" */

typedef struct Bundle {
        char *path;
        BundleForm form;
        KbsEvidence *evidence; /* NULL when the exchange was refused before appraisal */
        AppraisalInput input;  /* input.evidence == evidence; input.at is now */
        /* kbs form: the exchange as saved. */
        KbsRequest *request;
        KbsChallenge *challenge;
        KbsAttestation *attestation;
        /* kbs form: a check the server makes before any appraisal failed
         * (protocol.version, nonce.mismatch, evidence.tee_unsupported,
         * request.tee_pubkey): its reason code and a sentence. */
        const char *refused;
        char refused_detail[256];
} Bundle;

void bundle_free(Bundle *b);
DEFINE_CLEANUP(Bundle, bundle_free)

/* Reads the bundle in dir. -ENOENT when dir is neither form, -EBADMSG when a
 * file is malformed, -errno when one cannot be read; err then says "DIR/FILE:
 * what". */
int bundle_load(const char *dir, Bundle **ret, char *err, size_t err_size);
