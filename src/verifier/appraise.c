/* The appraisal: the steps in their fixed order, the first failure's
 * reason as the decision, and the Appraiser that holds a policy's trust
 * anchors and caches across appraisals. The TEE-specific steps live in
 * appraise-snp.c, appraise-tdx.c, appraise-az.c and appraise-tpm.c. */

#include "appraise.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraise-internal.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"

static const char *const step_status_names[_STEP_STATUS_MAX] = {
        [STEP_PASS] = "pass",
        [STEP_FAIL] = "fail",
        [STEP_SKIP] = "skip",
};

const char *step_status_to_string(StepStatus s) {
        if (s < 0 || s >= _STEP_STATUS_MAX)
                return NULL;
        return step_status_names[s];
}

const char *appraise_hex_short(const void *data, size_t n, char buf[static 24]) {
        size_t shown = n > 8 ? 8 : n;

        hex_encode_to(data, shown, buf);
        if (shown < n)
                strcat(buf, "…");
        return buf;
}

static AppraisalStep *appraise_add_step(AppraiseCtx *c, const char *name, StepStatus status,
                                        const char *reason, const char *fmt, va_list ap)
        _printf_(5, 0);
static AppraisalStep *appraise_add_step(AppraiseCtx *c, const char *name, StepStatus status,
                                        const char *reason, const char *fmt, va_list ap) {
        Appraisal *out = c->out;
        AppraisalStep *s;

        /* The steps are a fixed list far shorter than this; a full table
         * means a bug, and dropping the record keeps the decision. */
        if (out->n_steps >= APPRAISAL_MAX_STEPS)
                return NULL;
        s = &out->steps[out->n_steps++];
        *s = (AppraisalStep){.name = name, .status = status, .reason = reason};
        vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
        return s;
}

void appraise_pass(AppraiseCtx *c, const char *name, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void)appraise_add_step(c, name, STEP_PASS, NULL, fmt, ap);
        va_end(ap);
}

void appraise_skip(AppraiseCtx *c, const char *name, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void)appraise_add_step(c, name, STEP_SKIP, NULL, fmt, ap);
        va_end(ap);
}

void appraise_fail(AppraiseCtx *c, const char *name, const char *reason, const char *fmt, ...) {
        AppraisalStep *s;
        va_list ap;

        va_start(ap, fmt);
        s = appraise_add_step(c, name, STEP_FAIL, reason, fmt, ap);
        va_end(ap);
        if (c->failed)
                return;
        c->failed = true;
        c->out->reason = reason;
        if (s)
                snprintf(c->out->detail, sizeof(c->out->detail), "%s", s->detail);
}

int appraise_error(AppraiseCtx *c, int r) {
        if (r < 0 && c->error == 0)
                c->error = r;
        return r;
}

bool appraise_step_runs(AppraiseCtx *c, const char *name, bool rule) {
        if (c->error < 0)
                return false;
        if (c->failed) {
                appraise_skip(c, name, "Not checked: an earlier step failed");
                return false;
        }
        if (rule && c->reference) {
                appraise_skip(c, name, "Not checked: reference mode applies no policy rules");
                return false;
        }
        return true;
}

json_object *appraise_claims_section(AppraiseCtx *c, const char *name) {
        json_object *o;

        if (json_object_object_get_ex(c->claims, name, &o))
                return o;
        o = json_object_new_object();
        if (!o || json_object_object_add(c->claims, name, o) < 0) {
                json_object_put(o);
                (void)appraise_error(c, -ENOMEM);
                return NULL;
        }
        return o;
}

void appraise_binding(AppraiseCtx *c, const uint8_t *report_data, const char *where) {
        char got[24], want[24];

        if (!appraise_step_runs(c, "binding.report_data", false))
                return;
        if (memcmp(report_data, c->in->report_data, KBS_REPORT_DATA_SIZE) != 0) {
                appraise_fail(c, "binding.report_data", "binding.report_data",
                              "%s is %s, not the session's binding %s: the report was made for "
                              "another session or key",
                              where, appraise_hex_short(report_data, KBS_REPORT_DATA_SIZE, got),
                              appraise_hex_short(c->in->report_data, KBS_REPORT_DATA_SIZE, want));
                return;
        }
        c->report_data_bound = true;
        appraise_pass(c, "binding.report_data", "%s equals the session's binding %s", where,
                      appraise_hex_short(report_data, KBS_REPORT_DATA_SIZE, got));
}

void appraisal_done(Appraisal *a) {
        if (!a)
                return;
        json_object_put(a->claims);
        a->claims = NULL;
}

int appraisal_to_json(const Appraisal *a, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *steps = json_object_new_array();
        int r;

        if (!o || !steps) {
                json_object_put(steps);
                return -ENOMEM;
        }
        if ((r = json_add(o, "tee", json_object_new_string(kbs_tee_to_string(a->tee) ?: "?"))) <
                    0 ||
            (r = json_add(o, "accepted", json_object_new_boolean(a->accepted))) < 0 ||
            (r = json_add_string(o, "reason", a->reason ?: "ok")) < 0 ||
            (r = json_add_string(o, "detail", a->detail)) < 0 ||
            (r = json_add_string(o, "vtpm", a->vtpm ?: "none")) < 0) {
                json_object_put(steps);
                return r;
        }
        r = json_add(o, "steps", steps);
        if (r < 0)
                return r;
        for (size_t i = 0; i < a->n_steps; i++) {
                const AppraisalStep *s = &a->steps[i];
                json_object *step = json_object_new_object();

                if (!step || json_object_array_add(steps, step) < 0) {
                        json_object_put(step);
                        return -ENOMEM;
                }
                if ((r = json_add_string(step, "name", s->name)) < 0 ||
                    (r = json_add_string(step, "status", step_status_to_string(s->status))) < 0)
                        return r;
                /* json-c's null is a NULL member. */
                if (s->reason)
                        r = json_add_string(step, "reason", s->reason);
                else
                        r = json_object_object_add(step, "reason", NULL) < 0 ? -ENOMEM : 0;
                if (r >= 0)
                        r = json_add_string(step, "detail", s->detail);
                if (r < 0)
                        return r;
        }
        if (a->claims) {
                r = json_add(o, "claims", json_object_get(a->claims));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int appraisal_input_from_attestation(const char *session_nonce, KbsHashAlg alg,
                                     const KbsAttestation *att, const KbsEvidence *e,
                                     AppraisalInput *ret) {
        /* The additional_evidence string exactly as sent ("" for none) is
         * part of what the primary evidence binds. */
        const char *additional = att->additional_evidence ?: "";
        uint8_t digest[KBS_BINDING_MAX_DIGEST];
        size_t digest_size;
        AppraisalInput in = {.evidence = e, .at = time(NULL)};
        int r;

        if (!session_nonce || !att->tee_pubkey)
                return -EINVAL;
        switch (e->tee) {
        case KBS_TEE_SNP:
        case KBS_TEE_TDX:
        case KBS_TEE_AZ_SNP_VTPM:
        case KBS_TEE_AZ_TDX_VTPM:
                r = kbs_binding_report_data(alg, session_nonce, att->tee_pubkey, additional,
                                            in.report_data);
                if (r < 0)
                        return r;
                break;
        case KBS_TEE_TPM:
                break; /* no TEE report: the quote's nonce carries the binding */
        default:
                return -EOPNOTSUPP;
        }

        if (e->tee == KBS_TEE_AZ_SNP_VTPM || e->tee == KBS_TEE_AZ_TDX_VTPM ||
            e->tee == KBS_TEE_TPM) {
                /* The quote is part of the primary evidence: it binds the
                 * primary's digest (Azure: as it is; Trustee's "tpm": cut
                 * to 32 bytes). */
                r = kbs_binding_digest(alg, session_nonce, att->tee_pubkey, additional, digest,
                                       &digest_size);
                if (r < 0)
                        return r;
                r = kbs_binding_tpm_qualifying_data(e->tee, digest, digest_size, in.tpm_nonce,
                                                    &in.tpm_nonce_size);
                if (r < 0)
                        return r;
        } else if (e->has_tpm) {
                /* Additional evidence binds {nonce, tee-pubkey} only: it has
                 * to exist before its string is hashed into the primary. */
                r = kbs_binding_digest(alg, session_nonce, att->tee_pubkey, NULL, digest,
                                       &digest_size);
                if (r < 0)
                        return r;
                r = kbs_binding_tpm_qualifying_data(KBS_TEE_TPM, digest, digest_size, in.tpm_nonce,
                                                    &in.tpm_nonce_size);
                if (r < 0)
                        return r;
        }
        *ret = in;
        return 0;
}

int appraiser_new(const Policy *p, Appraiser **ret, char *err, size_t err_size) {
        Appraiser *a;
        int r;

        if (err && err_size > 0)
                err[0] = 0;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->policy = p;
        if (pthread_mutex_init(&a->snp_lock, NULL) != 0) {
                free(a);
                return -ENOMEM;
        }
        r = appraiser_snp_setup(a);
        if (r >= 0)
                r = appraiser_tdx_setup(a);
        if (r < 0) {
                if (err && err_size > 0)
                        snprintf(err, err_size, "%s: cannot set up the verifier: %s",
                                 policy_origin(p), strerror(-r));
                appraiser_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

void appraiser_free(Appraiser *a) {
        if (!a)
                return;
        appraiser_snp_free(a);
        appraiser_tdx_free(a);
        pthread_mutex_destroy(&a->snp_lock);
        free(a);
}

const Policy *appraiser_policy(const Appraiser *a) {
        return a->policy;
}

void appraiser_snp_cache_stats(Appraiser *a, unsigned long *ret_hits, unsigned long *ret_misses) {
        pthread_mutex_lock(&a->snp_lock);
        if (ret_hits)
                *ret_hits = a->snp_cache_hits;
        if (ret_misses)
                *ret_misses = a->snp_cache_misses;
        pthread_mutex_unlock(&a->snp_lock);
}

static bool appraise_tee_known(KbsTee t) {
        return t == KBS_TEE_SNP || t == KBS_TEE_TDX || t == KBS_TEE_AZ_SNP_VTPM ||
               t == KBS_TEE_AZ_TDX_VTPM || t == KBS_TEE_TPM;
}

/* The policy's rules for the evidence's TEE; NULL when it has none. In
 * reference mode a TEE without rules is still appraised: the rule steps
 * are skipped there, and empty rules stand in. */
static bool appraise_pick_rules(AppraiseCtx *c) {
        static const PolicySnp no_snp = {};
        static const PolicyTdx no_tdx = {};
        const Policy *p = c->policy;
        bool have;

        switch (c->e->tee) {
        case KBS_TEE_SNP:
                c->snp_rules = &p->snp;
                break;
        case KBS_TEE_AZ_SNP_VTPM:
                c->snp_rules = p->az_snp.present ? &p->az_snp : &p->snp;
                break;
        case KBS_TEE_TDX:
                c->tdx_rules = &p->tdx;
                break;
        case KBS_TEE_AZ_TDX_VTPM:
                c->tdx_rules = p->az_tdx.present ? &p->az_tdx : &p->tdx;
                break;
        default:
                break;
        }
        have = c->snp_rules   ? c->snp_rules->present
               : c->tdx_rules ? c->tdx_rules->present
                              : p->tpm.present;
        if (!have && c->reference) {
                if (c->e->tee == KBS_TEE_SNP || c->e->tee == KBS_TEE_AZ_SNP_VTPM)
                        c->snp_rules = &no_snp;
                else if (c->e->tee == KBS_TEE_TDX || c->e->tee == KBS_TEE_AZ_TDX_VTPM)
                        c->tdx_rules = &no_tdx;
                return true;
        }
        return have;
}

static int appraise_run(Appraiser *a, const AppraisalInput *in, Appraisal *ret, bool reference) {
        const KbsEvidence *e = in->evidence;
        AppraiseCtx c = {
                .appraiser = a,
                .policy = a->policy,
                .in = in,
                .e = e,
                .out = ret,
                .reference = reference,
        };
        const char *tee = e ? kbs_tee_to_string(e->tee) : NULL;
        size_t passed = 0, skipped = 0;
        int r = 0;

        *ret = (Appraisal){.tee = e ? e->tee : _KBS_TEE_INVALID, .vtpm = "none"};
        ret->claims = json_object_new_object();
        if (!ret->claims)
                return -ENOMEM;
        c.claims = ret->claims;
        if (tee && json_add_string(c.claims, "tee", tee) < 0) {
                appraisal_done(ret);
                return -ENOMEM;
        }

        if (!e || !appraise_tee_known(e->tee))
                appraise_fail(&c, "evidence.tee", "evidence.tee_unsupported",
                              "'%s' evidence is not appraised by this verifier (snp, tdx, "
                              "az-snp-vtpm, az-tdx-vtpm and tpm are)",
                              tee ?: "?");
        else if (!appraise_pick_rules(&c))
                appraise_fail(&c, "evidence.tee", "evidence.tee_unsupported",
                              "The policy %s has no rules for %s evidence",
                              policy_origin(a->policy), tee);
        else
                appraise_pass(&c, "evidence.tee", "%s evidence, appraised with the rules of %s%s",
                              tee, policy_origin(a->policy),
                              reference ? " (reference mode: no rules applied)" : "");

        if (!c.failed) {
                switch (e->tee) {
                case KBS_TEE_SNP:
                        r = appraise_snp(&c);
                        break;
                case KBS_TEE_TDX:
                        r = appraise_tdx(&c);
                        break;
                case KBS_TEE_AZ_SNP_VTPM:
                case KBS_TEE_AZ_TDX_VTPM:
                        r = appraise_az(&c);
                        break;
                default:
                        break;
                }
                if (r >= 0 && c.error == 0)
                        r = appraise_tpm(&c);
        }
        EVP_PKEY_free(c.azure_ak);
        if (r >= 0 && c.error < 0)
                r = c.error;
        if (r < 0) {
                appraisal_done(ret);
                return r;
        }

        ret->accepted = !c.failed;
        if (ret->accepted) {
                for (size_t i = 0; i < ret->n_steps; i++) {
                        if (ret->steps[i].status == STEP_PASS)
                                passed++;
                        else
                                skipped++;
                }
                snprintf(ret->detail, sizeof(ret->detail),
                         "%s: %zu steps passed, %zu skipped; the vTPM evidence was %s",
                         reference ? "Genuine and bound (reference mode)" : "Accepted", passed,
                         skipped,
                         strcmp(ret->vtpm, "none") == 0     ? "absent"
                         : strcmp(ret->vtpm, "ignore") == 0 ? "ignored by policy"
                         : strcmp(ret->vtpm, "tee") == 0    ? "trusted as the TEE report binds it"
                         : strcmp(ret->vtpm, "azure") == 0
                                 ? "trusted through Azure's HCL runtime data"
                                 : "trusted on the cloud's word (tpm.vtpm cloud)");
        }
        return 0;
}

int appraise(Appraiser *a, const AppraisalInput *in, Appraisal *ret) {
        return appraise_run(a, in, ret, false);
}

int appraise_reference(Appraiser *a, const AppraisalInput *in, Appraisal *ret) {
        return appraise_run(a, in, ret, true);
}
