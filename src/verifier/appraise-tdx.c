/* TDX appraisal: the DCAP quote to a trusted Intel root (through a few
 * TdxVerifiers that cache verified PCK chains), then the policy's rules on
 * the TD report body, and the CC event log's replay to the quoted RTMRs.
 * Shared by tdx and az-tdx-vtpm. */

#include "appraise-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-util.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/evidence/tdx-quote-json.h"
#include "confnode/evidence/tdx-verify.h"

int appraiser_tdx_setup(Appraiser *a) {
        const Policy *p = a->policy;
        int r;

        if (sk_X509_num(p->intel_roots) <= 0)
                return 0;
        for (size_t i = 0; i < APPRAISER_TDX_VERIFIERS; i++) {
                TdxVerifier *v = NULL;

                r = tdx_verify_new(p->intel_roots, p->intel_crls, &v);
                if (r < 0)
                        return r;
                if (pthread_mutex_init(&a->tdx[i].lock, NULL) != 0) {
                        tdx_verify_free(v);
                        return -ENOMEM;
                }
                a->tdx[i].verifier = v;
                a->n_tdx++;
        }
        return 0;
}

void appraiser_tdx_free(Appraiser *a) {
        for (size_t i = 0; i < a->n_tdx; i++) {
                tdx_verify_free(a->tdx[i].verifier);
                pthread_mutex_destroy(&a->tdx[i].lock);
        }
        a->n_tdx = 0;
}

/* A free verifier if there is one, else the next in turn. */
static TdxSlot *tdx_slot_get(Appraiser *a) {
        unsigned start = __atomic_fetch_add(&a->tdx_next, 1, __ATOMIC_RELAXED);

        for (size_t i = 0; i < a->n_tdx; i++) {
                TdxSlot *s = &a->tdx[(start + i) % a->n_tdx];

                if (pthread_mutex_trylock(&s->lock) == 0)
                        return s;
        }
        pthread_mutex_lock(&a->tdx[start % a->n_tdx].lock);
        return &a->tdx[start % a->n_tdx];
}

int appraise_tdx_claims(AppraiseCtx *c, const TdxQuote *q) {
        json_object *o = appraise_claims_section(c, "tdx");
        int r;

        if (!o)
                return c->error;
        r = json_add_u64(o, "version", q->version);
        if (r >= 0)
                r = tdx_quote_json_td_body(&q->td, q->body_type == TDX_QUOTE_BODY_TD15, o);
        if (r >= 0)
                r = json_add(o, "debug", json_object_new_boolean(q->td.td_attributes[0] & 1));
        return r < 0 ? appraise_error(c, r) : 0;
}

int appraise_tdx_quote(AppraiseCtx *c, const uint8_t *data, size_t size) {
        Appraiser *a = c->appraiser;
        TdxVerdict *v;
        TdxSlot *slot;
        int r;

        if (!appraise_step_runs(c, "tdx.quote", false))
                return c->error;
        if (a->n_tdx == 0) {
                appraise_fail(c, "tdx.quote", "tdx.root_untrusted",
                              "The policy trusts no Intel root CA, so no TDX quote can verify");
                return 0;
        }
        /* A verdict holds a whole decoded quote: too big for every stack. */
        v = calloc(1, sizeof(*v));
        if (!v)
                return appraise_error(c, -ENOMEM);
        slot = tdx_slot_get(a);
        r = tdx_verify_quote(slot->verifier, data, size, c->in->at, v);
        pthread_mutex_unlock(&slot->lock);
        if (r == -ENOMEM || (r < 0 && !v->reason))
                (void)appraise_error(c, r);
        else if (r < 0)
                appraise_fail(c, "tdx.quote", v->reason, "%s", v->detail);
        else if (v->quote.body_type == TDX_QUOTE_BODY_SGX)
                appraise_fail(c, "tdx.quote", "tdx.unsupported",
                              "The quote verifies but is an SGX enclave quote, not a TD quote");
        else
                appraise_pass(c, "tdx.quote", "%s%s", v->detail,
                              v->chain_cached ? " (PCK chain verified before, from the cache)"
                                              : "");
        free(v);
        return c->error;
}

/* tee_tcb_svn, byte by byte: each component SVN at least the minimum's.
 * (Intel's TCB info would say more; it is collateral we do not fetch.) */
static void tdx_rule_tcb(AppraiseCtx *c, const TdxQuote *q) {
        const uint8_t *min = c->tdx_rules->min_tee_tcb_svn, *got = q->td.tee_tcb_svn;
        char g[24], m[24];

        if (!appraise_step_runs(c, "tdx.tcb_min", true))
                return;
        for (size_t i = 0; i < POLICY_TDX_SVN_SIZE; i++)
                if (got[i] < min[i]) {
                        appraise_fail(c, "tdx.tcb_min", "tdx.tcb_min",
                                      "tee_tcb_svn %s is below the policy's minimum %s at "
                                      "component %zu (%u < %u)",
                                      appraise_hex_short(got, POLICY_TDX_SVN_SIZE, g),
                                      appraise_hex_short(min, POLICY_TDX_SVN_SIZE, m), i, got[i],
                                      min[i]);
                        return;
                }
        appraise_pass(c, "tdx.tcb_min", "tee_tcb_svn %s is at least %s in every component",
                      appraise_hex_short(got, POLICY_TDX_SVN_SIZE, g),
                      appraise_hex_short(min, POLICY_TDX_SVN_SIZE, m));
}

static void tdx_rule_values(AppraiseCtx *c, const char *step, const char *what,
                            const PolicyValues *allowed, const uint8_t *value, bool required) {
        char buf[24];

        if (!appraise_step_runs(c, step, true))
                return;
        if (!allowed->present && !required)
                appraise_skip(c, step, "The policy sets no %s rule", what);
        else if (!policy_values_contain(allowed, value))
                appraise_fail(c, step, step, "%s %s is not one of the %zu the policy allows", what,
                              appraise_hex_short(value, POLICY_TDX_MR_SIZE, buf), allowed->n);
        else
                appraise_pass(c, step, "%s %s is allowed", what,
                              appraise_hex_short(value, POLICY_TDX_MR_SIZE, buf));
}

/* The CCEL's events extend RTMR n as CC MR n + 1; replayed from zero they
 * must give exactly the quoted RTMRs, or the log is not this TD's. */
static void tdx_ccel_replay(AppraiseCtx *c, const TdxQuote *q, const KbsBlob *ccel) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        EventLogBankValues *replayed = NULL;
        ParseError perr = {};
        char buf[256], got[24], want[24];
        int r;

        if (!ccel || ccel->size == 0) {
                if (!c->tdx_rules->require_ccel || c->reference)
                        appraise_skip(c, "tdx.ccel_replay", "The evidence carries no CCEL");
                else
                        appraise_fail(c, "tdx.ccel_replay", "tdx.ccel_replay",
                                      "The evidence carries no CCEL, and tdx.require_ccel is "
                                      "true");
                return;
        }
        r = eventlog_parse(ccel->data, ccel->size, EVENTLOG_CCEL, &perr, &log);
        if (r == -ENOMEM) {
                (void)appraise_error(c, r);
                return;
        }
        if (r < 0) {
                appraise_fail(c, "tdx.ccel_replay", "tdx.ccel_replay",
                              "The CCEL does not parse: %s",
                              parse_error_string(&perr, buf, sizeof(buf)));
                return;
        }
        replayed = calloc(1, sizeof(*replayed));
        if (!replayed) {
                (void)appraise_error(c, -ENOMEM);
                return;
        }
        r = eventlog_replay(log, TPM_ALG_SHA384, replayed);
        if (r == -ENOMEM)
                (void)appraise_error(c, r);
        else if (r < 0)
                appraise_fail(c, "tdx.ccel_replay", "tdx.ccel_replay",
                              "The CCEL cannot be replayed in SHA-384: %s", strerror(-r));
        else {
                for (size_t i = 0; i < 4; i++)
                        if (memcmp(replayed->value[i + 1], q->td.rtmr[i], POLICY_TDX_MR_SIZE) !=
                            0) {
                                appraise_fail(c, "tdx.ccel_replay", "tdx.ccel_replay",
                                              "The CCEL (%zu events) replays RTMR%zu to %s, the "
                                              "quote has %s",
                                              log->n_events, i,
                                              appraise_hex_short(replayed->value[i + 1],
                                                                 POLICY_TDX_MR_SIZE, got),
                                              appraise_hex_short(q->td.rtmr[i], POLICY_TDX_MR_SIZE,
                                                                 want));
                                free(replayed);
                                return;
                        }
                appraise_pass(c, "tdx.ccel_replay",
                              "The CCEL's %zu events replay to exactly the quoted RTMR0-3",
                              log->n_events);
        }
        free(replayed);
}

int appraise_tdx_rules(AppraiseCtx *c, const TdxQuote *q, const KbsBlob *ccel) {
        const PolicyTdx *p = c->tdx_rules;
        bool debug = q->td.td_attributes[0] & 1;
        bool any_rtmr = false;

        tdx_rule_tcb(c, q);
        if (appraise_step_runs(c, "tdx.debug", true)) {
                if (debug && !p->allow_debug)
                        appraise_fail(c, "tdx.debug", "tdx.debug",
                                      "td_attributes has DEBUG set: the host can read and change "
                                      "the TD's state, and tdx.allow_debug is false");
                else
                        appraise_pass(c, "tdx.debug", "DEBUG is %s",
                                      debug ? "set, and tdx.allow_debug allows it" : "off");
        }
        tdx_rule_values(c, "tdx.mrtd", "MRTD", &p->mrtd, q->td.mrtd, true);
        tdx_rule_values(c, "tdx.mrseam", "MRSEAM", &p->mrseam, q->td.mrseam, false);
        if (appraise_step_runs(c, "tdx.ccel_replay", false))
                tdx_ccel_replay(c, q, ccel);
        if (!appraise_step_runs(c, "tdx.rtmr", true))
                return c->error;
        for (size_t i = 0; i < 4; i++) {
                char buf[24];

                if (!p->rtmr[i].present)
                        continue;
                any_rtmr = true;
                if (!policy_values_contain(&p->rtmr[i], q->td.rtmr[i])) {
                        appraise_fail(c, "tdx.rtmr", "tdx.rtmr",
                                      "RTMR%zu %s is not one of the %zu the policy allows", i,
                                      appraise_hex_short(q->td.rtmr[i], POLICY_TDX_MR_SIZE, buf),
                                      p->rtmr[i].n);
                        return c->error;
                }
        }
        if (any_rtmr)
                appraise_pass(c, "tdx.rtmr", "Every RTMR the policy names has an allowed value");
        else
                appraise_skip(c, "tdx.rtmr", "The policy sets no RTMR rule");
        return c->error;
}

int appraise_tdx(AppraiseCtx *c) {
        const KbsBlob *b = &c->e->report;
        ParseError perr = {};
        TdxQuote *q;
        char buf[256];
        int r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return appraise_error(c, -ENOMEM);
        r = tdx_quote_parse(b->data, b->size, q, &perr);
        if (r < 0) {
                appraise_fail(c, "tdx.quote",
                              r == -EOPNOTSUPP ? "tdx.unsupported" : "tdx.malformed",
                              "The evidence's quote is not a TDX quote this verifier decodes: %s",
                              parse_error_string(&perr, buf, sizeof(buf)));
                free(q);
                return 0;
        }
        if (q->body_type == TDX_QUOTE_BODY_SGX) {
                appraise_fail(c, "tdx.quote", "tdx.unsupported",
                              "The evidence's quote is an SGX enclave quote, not a TD quote");
                free(q);
                return 0;
        }
        r = appraise_tdx_claims(c, q);
        if (r >= 0)
                r = appraise_tdx_quote(c, b->data, b->size);
        if (r >= 0) {
                appraise_binding(c, q->td.report_data, "The TD quote's REPORTDATA");
                r = appraise_tdx_rules(c, q, &c->e->ccel);
        }
        free(q);
        return r;
}
