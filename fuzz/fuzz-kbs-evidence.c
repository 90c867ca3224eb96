/* The evidence shapes on arbitrary bytes. The input is a primary_evidence
 * document (the seeds are Trustee's own: snp, Azure, tpm), read as the
 * evidence of each TEE we appraise; it is also the additional_evidence
 * string next to a fixed primary, as is and wrapped as {"tpm": …}. What
 * parses must be written back and parse again to the same artifacts:
 * a difference is a bug, and aborts. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/kbs/kbs-evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const KbsTee tees[] = {KBS_TEE_SNP, KBS_TEE_TDX, KBS_TEE_AZ_SNP_VTPM, KBS_TEE_AZ_TDX_VTPM,
                              KBS_TEE_TPM};

static void same(const KbsBlob *a, const KbsBlob *b) {
        if (a->size != b->size || (a->size && memcmp(a->data, b->data, a->size) != 0) ||
            !a->data != !b->data)
                abort();
}

static void same_tpm(const KbsTpmEvidence *a, const KbsTpmEvidence *b) {
        same(&a->attest, &b->attest);
        same(&a->signature, &b->signature);
        same(&a->ak_public, &b->ak_public);
        same(&a->eventlog, &b->eventlog);
        if (memcmp(&a->pcrs, &b->pcrs, sizeof(a->pcrs)) != 0)
                abort();
}

/* What parsed is written, and must parse again to the same. */
static void round_trip(const KbsEvidence *e) {
        _cleanup_(json_object_putp) json_object *j = NULL, *again = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *back = NULL;
        _cleanup_free_ char *add = NULL;
        KbsProtoError err;
        int r;

        r = kbs_evidence_primary_to_json(e, &j);
        if (r == -ENOMEM)
                return;
        if (r < 0)
                abort();
        r = kbs_evidence_additional_to_string(e, &add);
        if (r == -ENOMEM)
                return;
        if (r < 0)
                abort();
        /* Through text, as on the wire. */
        again = json_tokener_parse(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
        if (!again)
                abort();
        r = kbs_evidence_from_json(e->tee, again, add, &back, &err);
        if (r == -ENOMEM)
                return;
        if (r < 0)
                abort();
        same(&e->report, &back->report);
        same(&e->td_quote, &back->td_quote);
        same(&e->ccel, &back->ccel);
        same(&e->cert_table, &back->cert_table);
        if (!e->vcek_pem != !back->vcek_pem ||
            (e->vcek_pem && strcmp(e->vcek_pem, back->vcek_pem) != 0))
                abort();
        if (e->has_tpm != back->has_tpm || e->tpm_in_additional != back->tpm_in_additional ||
            e->az_version != back->az_version)
                abort();
        if (e->has_tpm)
                same_tpm(&e->tpm, &back->tpm);
}

static void try_evidence(KbsTee tee, json_object *primary, const char *additional) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        KbsProtoError err;

        if (kbs_evidence_from_json(tee, primary, additional, &e, &err) >= 0)
                round_trip(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const JsonParseLimits limits = {
                .max_size = KBS_PROTO_MAX_ATTESTATION,
                .max_depth = KBS_PROTO_MAX_DEPTH,
                .max_values = KBS_PROTO_MAX_VALUES,
        };
        _cleanup_(json_object_putp) json_object *j = NULL, *tdx = NULL;
        _cleanup_free_ char *text = NULL, *wrapped = NULL;

        if (json_parse_bounded(data, size, &limits, &j, NULL) >= 0)
                for (size_t i = 0; i < ELEMENTSOF(tees); i++)
                        try_evidence(tees[i], j, NULL);

        /* The same bytes as the additional_evidence string of a minimal
         * TDX evidence (a NUL ends a C string, as it would the JSON one). */
        text = strndup((const char *)data, size);
        tdx = json_tokener_parse("{\"quote\":\"QUJD\",\"cc_eventlog\":null}");
        if (!text || !tdx)
                return 0;
        try_evidence(KBS_TEE_TDX, tdx, text);
        if (asprintf(&wrapped, "{\"tpm\":%s}", text) > 0)
                try_evidence(KBS_TEE_TDX, tdx, wrapped);
        return 0;
}
