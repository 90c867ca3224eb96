/* The vTPM part of an appraisal. A TPM quote says what the PCRs hold, but
 * only as far as its attestation key is the vTPM's: the AK is trusted when
 * the TEE vouches for it (Azure's HCL runtime data, or TPM evidence that
 * came in the additional_evidence string the TEE report's report_data
 * binds), and otherwise only as the policy's tpm.vtpm says. Then the
 * quote's signature, its nonce (the session's binding), its PCR digest
 * against the PCR values sent with it, the event log's replay to exactly
 * those values, and the values against the policy. */

#include "appraise-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/tpm/tpm-public-key.h"
#include "confnode/tpm/tpm-quote-verify.h"

static const char *const tpm_steps[] = {
        "tpm.evidence",   "tpm.ak",     "tpm.signature",  "tpm.nonce",
        "tpm.pcr_digest", "tpm.replay", "tpm.pcr_policy",
};

static void tpm_skip_from(AppraiseCtx *c, size_t first, const char *why) {
        for (size_t i = first; i < ELEMENTSOF(tpm_steps); i++)
                if (appraise_step_runs(c, tpm_steps[i], false))
                        appraise_skip(c, tpm_steps[i], "%s", why);
}

/* The PCR values the quote covers, and nothing else. */
static int tpm_selected_values(const TpmAttest *a, const TpmPcrValues *all, TpmPcrValues *ret) {
        *ret = (TpmPcrValues){};
        for (size_t b = 0; b < a->pcr_select.n_banks; b++) {
                const PcrBank *sel = &a->pcr_select.banks[b];
                const TpmPcrBankValues *bank = tpm_pcr_values_bank(all, sel->alg);

                for (unsigned i = 0; bank && i < PCR_MAX; i++) {
                        int r;

                        if (!(sel->mask & bank->present & (1u << i)))
                                continue;
                        r = tpm_pcr_values_set(ret, sel->alg, i, bank->value[i],
                                               tpm_alg_hash_size(sel->alg));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int tpm_claims(AppraiseCtx *c, const TpmAttest *a, bool attest_valid) {
        json_object *o = appraise_claims_section(c, "tpm"), *pcrs = NULL;
        TpmPcrValues selected;
        char sel[256];
        int r;

        if (!o)
                return c->error;
        r = json_add(o, "eventlog", json_object_new_boolean(c->e->tpm.eventlog.size > 0));
        if (r >= 0 && attest_valid) {
                pcr_selection_format(&a->pcr_select, sel, sizeof(sel));
                r = json_add_string(o, "pcr_select", sel);
                if (r >= 0)
                        r = json_add_hex(o, "extra_data", a->extra_data, a->extra_data_size);
                if (r >= 0)
                        r = tpm_selected_values(a, &c->e->tpm.pcrs, &selected);
                if (r >= 0)
                        r = tpm_pcr_values_to_json(&selected, &pcrs);
                if (r >= 0)
                        r = json_add(o, "pcrs", pcrs);
        }
        return r < 0 ? appraise_error(c, r == -ENOMEM ? r : -ENOMEM) : 0;
}

static int tpm_load_ak(AppraiseCtx *c, EVP_PKEY **ret) {
        const KbsBlob *b = &c->e->tpm.ak_public;
        ParseError perr = {};
        char buf[256];
        int r;

        if (b->size == 0) {
                appraise_fail(c, "tpm.ak", "tpm.malformed",
                              "The TPM evidence carries no attestation key");
                return 0;
        }
        /* The parser imported it already while checking it. */
        if (c->e->tpm.ak_key) {
                if (EVP_PKEY_up_ref(c->e->tpm.ak_key) != 1)
                        return appraise_error(c, -ENOMEM);
                *ret = c->e->tpm.ak_key;
                return 1;
        }
        r = tpm_public_key_load(b->data, b->size, ret, NULL, NULL, NULL, &perr);
        if (r == -ENOMEM)
                return appraise_error(c, r);
        if (r < 0) {
                appraise_fail(c, "tpm.ak", "tpm.malformed",
                              "The TPM evidence's attestation key is not a key OpenSSL can use: "
                              "%s",
                              parse_error_string(&perr, buf, sizeof(buf)));
                return 0;
        }
        return 1;
}

/* Which AK, and why it is trusted. Returns 1 to go on with *ret, 0 when
 * the TPM steps end here (rejected, or ignored by policy). */
static int tpm_trust_ak(AppraiseCtx *c, const PolicyTpm *rules, EVP_PKEY **ret) {
        const KbsEvidence *e = c->e;
        bool az = e->tee == KBS_TEE_AZ_SNP_VTPM || e->tee == KBS_TEE_AZ_TDX_VTPM;
        char fp[17] = "?";
        int r;

        if (!appraise_step_runs(c, "tpm.ak", false))
                return 0;
        if (az) {
                if (!c->azure_ak || !EVP_PKEY_up_ref(c->azure_ak))
                        return appraise_error(c, -ENOMEM);
                *ret = c->azure_ak;
                (void)tpm_public_key_fingerprint(*ret, fp);
                c->out->vtpm = "azure";
                appraise_pass(c, "tpm.ak",
                              "The AK (%s) is HCLAkPub from the HCL runtime data that the TEE "
                              "report binds",
                              fp);
                return 1;
        }
        if (e->tpm_in_additional && (e->tee == KBS_TEE_SNP || e->tee == KBS_TEE_TDX) &&
            c->report_data_bound) {
                r = tpm_load_ak(c, ret);
                if (r <= 0)
                        return r;
                (void)tpm_public_key_fingerprint(*ret, fp);
                c->out->vtpm = "tee";
                appraise_pass(c, "tpm.ak",
                              "The AK (%s) came in the additional evidence, which the verified "
                              "TEE report's report_data binds",
                              fp);
                return 1;
        }

        /* No TEE vouches for this AK: the policy decides. */
        if (c->reference) {
                r = tpm_load_ak(c, ret);
                if (r <= 0)
                        return r;
                c->out->vtpm = "cloud";
                appraise_skip(c, "tpm.ak",
                              "No TEE vouches for the AK; reference mode takes it as given (the "
                              "policy's tpm.vtpm decides in an appraisal)");
                return 1;
        }
        switch (rules->vtpm) {
        case POLICY_VTPM_CLOUD:
                r = tpm_load_ak(c, ret);
                if (r <= 0)
                        return r;
                (void)tpm_public_key_fingerprint(*ret, fp);
                c->out->vtpm = "cloud";
                appraise_pass(c, "tpm.ak",
                              "No TEE vouches for the AK (%s); tpm.vtpm cloud takes it on the "
                              "cloud's word",
                              fp);
                return 1;
        case POLICY_VTPM_IGNORE:
                if (e->tee == KBS_TEE_TPM) {
                        appraise_fail(c, "tpm.ak", "tpm.ak_untrusted",
                                      "tpm.vtpm is ignore, but the evidence is a vTPM quote and "
                                      "nothing else: there would be nothing left to appraise");
                        return 0;
                }
                c->out->vtpm = "ignore";
                appraise_skip(c, "tpm.ak",
                              "No TEE vouches for the AK, and tpm.vtpm ignore leaves the vTPM "
                              "evidence unappraised");
                return 0;
        default:
                appraise_fail(c, "tpm.ak", "tpm.ak_untrusted",
                              "No TEE vouches for the attestation key (%s), and tpm.vtpm is "
                              "bound",
                              e->tee == KBS_TEE_TPM ? "the evidence has no TEE report"
                              : e->tpm_in_additional
                                      ? "the TEE report's binding did not hold"
                                      : "it did not come in the additional evidence the TEE "
                                        "report binds");
                return 0;
        }
}

static void tpm_signature(AppraiseCtx *c, EVP_PKEY *ak, TpmSignature *sig, TpmQuoteVerdict *v) {
        const KbsTpmEvidence *t = &c->e->tpm;
        ParseError perr = {};
        char buf[256];
        int r;

        if (!appraise_step_runs(c, "tpm.signature", false))
                return;
        r = tpm_attest_signature_parse(t->signature.data, t->signature.size, sig, &perr);
        if (r < 0) {
                appraise_fail(c, "tpm.signature", "tpm.malformed",
                              "The quote's signature is not a TPMT_SIGNATURE: %s",
                              parse_error_string(&perr, buf, sizeof(buf)));
                return;
        }
        r = tpm_quote_verify(t->attest.data, t->attest.size, sig, ak, NULL, 0, NULL, v);
        if (r == -ENOMEM || (r < 0 && !v->reason))
                (void)appraise_error(c, r);
        else if (r < 0)
                appraise_fail(c, "tpm.signature", v->reason, "%s", v->detail);
        else
                appraise_pass(c, "tpm.signature", "%s", v->detail);
}

static void tpm_nonce(AppraiseCtx *c, const TpmAttest *a) {
        char got[24], want[24];

        if (!appraise_step_runs(c, "tpm.nonce", false))
                return;
        if (a->extra_data_size != c->in->tpm_nonce_size ||
            memcmp(a->extra_data, c->in->tpm_nonce, a->extra_data_size) != 0)
                appraise_fail(c, "tpm.nonce", "tpm.nonce",
                              "The quote's extraData (%zu bytes, %s) is not the session's "
                              "binding (%zu bytes, %s): the quote was made for another session",
                              a->extra_data_size,
                              appraise_hex_short(a->extra_data, a->extra_data_size, got),
                              c->in->tpm_nonce_size,
                              appraise_hex_short(c->in->tpm_nonce, c->in->tpm_nonce_size, want));
        else
                appraise_pass(c, "tpm.nonce", "The quote's extraData is the session's binding %s",
                              appraise_hex_short(a->extra_data, a->extra_data_size, got));
}

static void tpm_pcr_digest(AppraiseCtx *c, const TpmAttest *a, const TpmSignature *sig) {
        uint8_t digest[TPM_MAX_DIGEST];
        size_t digest_size = 0;
        uint16_t missing_alg = 0;
        unsigned missing_pcr = 0;
        char sel[256];
        int r;

        if (!appraise_step_runs(c, "tpm.pcr_digest", false))
                return;
        pcr_selection_format(&a->pcr_select, sel, sizeof(sel));
        r = tpm_quote_verify_pcr_digest(&a->pcr_select, &c->e->tpm.pcrs, sig->hash_alg, digest,
                                        &digest_size, &missing_alg, &missing_pcr);
        if (r == -ENODATA)
                appraise_fail(c, "tpm.pcr_digest", "tpm.pcr_digest",
                              "The quote covers %s PCR %u, but the evidence sends no value for it",
                              tpm_alg_hash_name(missing_alg) ?: "?", missing_pcr);
        else if (r == -EOPNOTSUPP)
                appraise_fail(c, "tpm.pcr_digest", "tpm.unsupported",
                              "The signing hash 0x%04x cannot compute the PCR digest",
                              sig->hash_alg);
        else if (r < 0)
                (void)appraise_error(c, r);
        else if (digest_size != a->pcr_digest_size ||
                 memcmp(digest, a->pcr_digest, digest_size) != 0)
                appraise_fail(c, "tpm.pcr_digest", "tpm.pcr_digest",
                              "The PCR values sent (%s) do not hash to the quote's pcr_digest: "
                              "they are not the values the TPM quoted",
                              sel);
        else
                appraise_pass(c, "tpm.pcr_digest",
                              "The PCR values sent (%s) hash to the quote's pcr_digest", sel);
}

/* Replayed from the start, the log must give every quoted PCR exactly, or
 * it does not describe the boot the quote vouches for: a PCR the log never
 * extends must still hold its reset value, or events are missing (a log
 * cut short). Only the PCRs the policy lists in tpm.unlogged_pcrs (IMA's
 * PCR 10, which has a log of its own) may differ; they are named in the
 * detail, vouched for by the quote alone and pinned, if at all, by the PCR
 * rules. In reference mode every such PCR is let through and recorded in
 * the claims ("unlogged_pcrs"), for the fragment to list. */
static void tpm_replay(AppraiseCtx *c, const PolicyTpm *rules, const TpmAttest *a) {
        const KbsBlob *b = &c->e->tpm.eventlog;
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_free_ EventLogBankValues *replayed = NULL;
        PcrSelection unlogged = {};
        uint32_t unlogged_any = 0;
        ParseError perr = {};
        char buf[256], got[24], want[24], unlogged_text[256] = "";
        int r;

        if (!appraise_step_runs(c, "tpm.replay", false))
                return;
        if (b->size == 0) {
                if (rules->require_eventlog && !c->reference)
                        appraise_fail(c, "tpm.replay", "tpm.eventlog_missing",
                                      "The vTPM evidence has no event log, and "
                                      "tpm.require_eventlog is true: nothing says what the PCR "
                                      "values measure");
                else
                        appraise_skip(c, "tpm.replay", "The vTPM evidence has no event log");
                return;
        }
        r = eventlog_parse(b->data, b->size, EVENTLOG_TCG, &perr, &log);
        if (r == -ENOMEM) {
                (void)appraise_error(c, r);
                return;
        }
        if (r < 0) {
                appraise_fail(c, "tpm.replay", "tpm.eventlog_replay",
                              "The event log does not parse: %s",
                              parse_error_string(&perr, buf, sizeof(buf)));
                return;
        }
        replayed = calloc(1, sizeof(*replayed));
        if (!replayed) {
                (void)appraise_error(c, -ENOMEM);
                return;
        }
        for (size_t i = 0; i < a->pcr_select.n_banks; i++) {
                const PcrBank *sel = &a->pcr_select.banks[i];
                const TpmPcrBankValues *quoted = tpm_pcr_values_bank(&c->e->tpm.pcrs, sel->alg);
                const char *bank = tpm_alg_hash_name(sel->alg) ?: "?";
                size_t size = tpm_alg_hash_size(sel->alg);

                r = eventlog_replay(log, sel->alg, replayed);
                if (r == -ENOMEM) {
                        (void)appraise_error(c, r);
                        return;
                }
                if (r < 0) {
                        appraise_fail(c, "tpm.replay", "tpm.eventlog_replay",
                                      "The event log cannot be replayed in the %s bank the quote "
                                      "covers: %s",
                                      bank,
                                      r == -ENOENT ? "the log has no such bank" : strerror(-r));
                        return;
                }
                for (unsigned pcr = 0; quoted && pcr < PCR_MAX; pcr++) {
                        bool extended = replayed->used & (1u << pcr);

                        if (!(sel->mask & (1u << pcr)) ||
                            memcmp(replayed->value[pcr], quoted->value[pcr], size) == 0)
                                continue;
                        if (!extended && (c->reference || (rules->unlogged_mask & (1u << pcr)))) {
                                if (unlogged.n_banks == 0 ||
                                    unlogged.banks[unlogged.n_banks - 1].alg != sel->alg)
                                        unlogged.banks[unlogged.n_banks++].alg = sel->alg;
                                unlogged.banks[unlogged.n_banks - 1].mask |= 1u << pcr;
                                unlogged_any |= 1u << pcr;
                                continue;
                        }
                        if (!extended)
                                appraise_fail(c, "tpm.replay", "tpm.eventlog_replay",
                                              "%s PCR %u: the event log (%zu events) never "
                                              "extends it, so it would hold %s, but the quote has "
                                              "%s: events are missing (or list it in "
                                              "tpm.unlogged_pcrs)",
                                              bank, pcr, log->n_events,
                                              appraise_hex_short(replayed->value[pcr], size, got),
                                              appraise_hex_short(quoted->value[pcr], size, want));
                        else
                                appraise_fail(c, "tpm.replay", "tpm.eventlog_replay",
                                              "%s PCR %u: the event log (%zu events) replays to "
                                              "%s, the quote has %s",
                                              bank, pcr, log->n_events,
                                              appraise_hex_short(replayed->value[pcr], size, got),
                                              appraise_hex_short(quoted->value[pcr], size, want));
                        return;
                }
        }
        if (unlogged_any) {
                json_object *t = appraise_claims_section(c, "tpm"), *list = json_object_new_array();

                for (unsigned pcr = 0; list && pcr < PCR_MAX; pcr++)
                        if ((unlogged_any & (1u << pcr)) &&
                            json_object_array_add(list, json_object_new_int((int)pcr)) < 0) {
                                json_object_put(list);
                                list = NULL;
                        }
                if (!t || json_add(t, "unlogged_pcrs", list) < 0) {
                        (void)appraise_error(c, -ENOMEM);
                        return;
                }
                pcr_selection_format(&unlogged, unlogged_text, sizeof(unlogged_text));
        }
        appraise_pass(c, "tpm.replay",
                      "The event log's %zu events replay to exactly the quoted PCRs%s%s%s",
                      log->n_events, unlogged_any ? ", but for " : "", unlogged_text,
                      unlogged_any ? ", which the log does not extend (tpm.unlogged_pcrs)" : "");
}

static bool tpm_selected(const TpmAttest *a, uint16_t alg, unsigned pcr) {
        for (size_t i = 0; i < a->pcr_select.n_banks; i++)
                if (a->pcr_select.banks[i].alg == alg &&
                    (a->pcr_select.banks[i].mask & (1u << pcr)))
                        return true;
        return false;
}

static void tpm_pcr_policy(AppraiseCtx *c, const PolicyTpm *rules, const TpmAttest *a) {
        size_t checked = 0;
        char buf[24], sel[256];

        if (!appraise_step_runs(c, "tpm.pcr_policy", true))
                return;
        pcr_selection_format(&a->pcr_select, sel, sizeof(sel));
        for (size_t b = 0; b < rules->n_banks; b++) {
                const PolicyPcrBank *bank = &rules->banks[b];
                const TpmPcrBankValues *quoted = tpm_pcr_values_bank(&c->e->tpm.pcrs, bank->alg);
                const char *name = tpm_alg_hash_name(bank->alg) ?: "?";

                for (unsigned pcr = 0; pcr < PCR_MAX; pcr++) {
                        if (!bank->pcr[pcr].present)
                                continue;
                        if (!tpm_selected(a, bank->alg, pcr) || !quoted) {
                                appraise_fail(c, "tpm.pcr_policy", "tpm.pcr_policy",
                                              "The policy has a rule for %s PCR %u, which the "
                                              "quote does not cover (%s)",
                                              name, pcr, sel);
                                return;
                        }
                        if (!policy_values_contain(&bank->pcr[pcr], quoted->value[pcr])) {
                                appraise_fail(c, "tpm.pcr_policy", "tpm.pcr_policy",
                                              "%s PCR %u is %s, not one of the %zu values the "
                                              "policy allows",
                                              name, pcr,
                                              appraise_hex_short(quoted->value[pcr],
                                                                 tpm_alg_hash_size(bank->alg), buf),
                                              bank->pcr[pcr].n);
                                return;
                        }
                        checked++;
                }
        }
        if (checked == 0)
                appraise_skip(c, "tpm.pcr_policy", "The policy sets no PCR rule");
        else
                appraise_pass(c, "tpm.pcr_policy",
                              "The %zu PCRs the policy names have allowed values", checked);
}

int appraise_tpm(AppraiseCtx *c) {
        static const PolicyTpm defaults = {.vtpm = POLICY_VTPM_BOUND, .require_eventlog = true};
        const KbsEvidence *e = c->e;
        const PolicyTpm *rules = c->policy->tpm.present ? &c->policy->tpm : &defaults;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
        bool az = e->tee == KBS_TEE_AZ_SNP_VTPM || e->tee == KBS_TEE_AZ_TDX_VTPM;
        bool required = az || e->tee == KBS_TEE_TPM ||
                        (!c->reference && c->policy->tpm.present && c->policy->tpm.required);
        TpmQuoteVerdict v = {};
        TpmSignature sig = {};
        TpmAttest attest = {};
        bool attest_valid;
        char sel[256];
        int r;

        /* The claims first: they say what the evidence holds, whether or
         * not the steps get to check it. */
        attest_valid = e->has_tpm &&
                       tpm_attest_parse(e->tpm.attest.data, e->tpm.attest.size, &attest, NULL) >= 0;
        if (e->has_tpm) {
                r = tpm_claims(c, &attest, attest_valid);
                if (r < 0)
                        return r;
        }
        if (!appraise_step_runs(c, "tpm.evidence", false)) {
                tpm_skip_from(c, 1, "Not checked");
                return c->error;
        }
        if (!e->has_tpm) {
                if (required)
                        appraise_fail(c, "tpm.evidence", "tpm.missing",
                                      "The evidence has no vTPM quote, and %s",
                                      az                      ? "Azure evidence must carry one"
                                      : e->tee == KBS_TEE_TPM ? "it is all a tpm evidence is"
                                                              : "the policy's tpm.required is "
                                                                "true");
                else
                        appraise_skip(c, "tpm.evidence",
                                      "The evidence has no vTPM quote, and the policy does not "
                                      "require one");
                tpm_skip_from(c, 1, "Not checked: no vTPM evidence");
                return c->error;
        }

        if (attest_valid) {
                pcr_selection_format(&attest.pcr_select, sel, sizeof(sel));
                appraise_pass(c, "tpm.evidence", "A vTPM quote over %s, %s event log", sel,
                              e->tpm.eventlog.size > 0 ? "with an" : "without");
        } else
                appraise_pass(c, "tpm.evidence", "A vTPM quote (%zu bytes), %s event log",
                              e->tpm.attest.size, e->tpm.eventlog.size > 0 ? "with an" : "without");

        r = tpm_trust_ak(c, rules, &ak);
        if (r < 0)
                return r;
        if (r == 0) {
                tpm_skip_from(c, 2, "Not checked: tpm.vtpm is ignore");
                return c->error;
        }
        tpm_signature(c, ak, &sig, &v);
        if (v.attest_valid)
                attest = v.attest;
        tpm_nonce(c, &attest);
        tpm_pcr_digest(c, &attest, &sig);
        tpm_replay(c, rules, &attest);
        tpm_pcr_policy(c, rules, &attest);
        return c->error;
}
