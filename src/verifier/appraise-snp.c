/* SEV-SNP appraisal: the AMD chain and the report's signature (with a
 * cache of verified chains, so a chip seen before costs one ECDSA check),
 * then the policy's rules on the report. Shared by snp and az-snp-vtpm. */

#include "appraise-internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/evidence/snp-cert-table.h"
#include "confnode/evidence/snp-cert.h"
#include "confnode/evidence/snp-json.h"
#include "confnode/evidence/snp-verify.h"

/* A VCEK or VLEK whose chain to a trusted ARK verified, valid from
 * not_before to not_after (the tightest of the three certificates). The
 * key is the SHA-256 of the key certificate's DER, which the certificate
 * table carries as is: a repeated attestation decodes no X.509 at all. */
/* A time no certificate reaches: an entry whose validity cannot be read
 * is never used. */
#define SNP_TIME_NEVER ((time_t)INT64_MAX)

struct SnpCacheEntry {
        unsigned refs; /* atomic */
        uint8_t key_hash[32];
        SnpEndorsement *endorsement;
        SnpCertRole role;
        uint8_t hwid[SNP_CHIP_ID_SIZE];
        size_t hwid_size;
        bool has_hwid;
        time_t not_before, not_after;
        SnpVerdict chain; /* what the chain's check found, for details */
};

static void snp_cache_entry_ref(SnpCacheEntry *e) {
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
}

void snp_cache_entry_unref(SnpCacheEntry *e) {
        if (!e || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
                return;
        snp_endorsement_free(e->endorsement);
        free(e);
}

static void snp_cache_entry_unrefp(SnpCacheEntry **e) {
        snp_cache_entry_unref(*e);
        *e = NULL;
}

static int sha256(const void *data, size_t size, uint8_t ret[static 32]) {
        return evp_fetch_sha256_digest(data, size, ret);
}

int appraiser_snp_setup(Appraiser *a) {
        STACK_OF(X509) *pool = a->policy->amd_certs;
        int n = sk_X509_num(pool);

        if (n <= 0)
                return 0;
        a->pool_key_hashes = calloc((size_t)n, sizeof(*a->pool_key_hashes));
        a->pool_key_index = calloc((size_t)n, sizeof(*a->pool_key_index));
        if (!a->pool_key_hashes || !a->pool_key_index)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                X509 *cert = sk_X509_value(pool, i);
                SnpCertRole role = snp_cert_role(cert);
                unsigned char *der = NULL;
                int size, r;

                if (role != SNP_CERT_VCEK && role != SNP_CERT_VLEK)
                        continue;
                size = i2d_X509(cert, &der);
                if (size <= 0)
                        return -ENOMEM;
                r = sha256(der, (size_t)size, a->pool_key_hashes[a->n_pool_keys]);
                OPENSSL_free(der);
                if (r < 0)
                        return r;
                a->pool_key_index[a->n_pool_keys++] = i;
        }
        return 0;
}

void appraiser_snp_free(Appraiser *a) {
        for (size_t i = 0; i < APPRAISER_SNP_CACHE_MAX; i++)
                snp_cache_entry_unref(a->snp_cache[i]);
        free(a->pool_key_hashes);
        free(a->pool_key_index);
}

static SnpCacheEntry *snp_cache_get(Appraiser *a, const uint8_t hash[static 32]) {
        SnpCacheEntry *found = NULL;

        pthread_mutex_lock(&a->snp_lock);
        for (size_t i = 0; i < APPRAISER_SNP_CACHE_MAX && !found; i++) {
                SnpCacheEntry *e = a->snp_cache[i];

                if (e && memcmp(e->key_hash, hash, 32) == 0) {
                        snp_cache_entry_ref(e);
                        found = e;
                }
        }
        pthread_mutex_unlock(&a->snp_lock);
        return found;
}

/* Takes a reference of its own; the oldest entry makes room. */
static void snp_cache_put(Appraiser *a, SnpCacheEntry *n) {
        SnpCacheEntry *old = NULL;

        pthread_mutex_lock(&a->snp_lock);
        for (size_t i = 0; i < APPRAISER_SNP_CACHE_MAX; i++)
                if (a->snp_cache[i] && memcmp(a->snp_cache[i]->key_hash, n->key_hash, 32) == 0) {
                        /* Another thread verified the same chain meanwhile. */
                        pthread_mutex_unlock(&a->snp_lock);
                        return;
                }
        snp_cache_entry_ref(n);
        old = a->snp_cache[a->snp_cache_next];
        a->snp_cache[a->snp_cache_next] = n;
        a->snp_cache_next = (a->snp_cache_next + 1) % APPRAISER_SNP_CACHE_MAX;
        pthread_mutex_unlock(&a->snp_lock);
        snp_cache_entry_unref(old);
}

static void snp_cache_count(Appraiser *a, bool hit) {
        pthread_mutex_lock(&a->snp_lock);
        if (hit)
                a->snp_cache_hits++;
        else
                a->snp_cache_misses++;
        pthread_mutex_unlock(&a->snp_lock);
}

/* The certificates the evidence carries, by how they are keyed. */
typedef struct SnpCandidates {
        uint8_t hash[SNP_CERT_TABLE_MAX_ENTRIES + 8][32];
        size_t n;
} SnpCandidates;

static int snp_candidates_pem(const char *pem, SnpCandidates *ret) {
        _cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, -1);

        if (!bio)
                return -ENOMEM;
        while (ret->n < ELEMENTSOF(ret->hash)) {
                unsigned char *der = NULL;
                char *name = NULL;
                long size = 0;
                int r;

                if (PEM_bytes_read_bio(&der, &size, &name, PEM_STRING_X509, bio, NULL, NULL) != 1)
                        break;
                r = size > 0 ? sha256(der, (size_t)size, ret->hash[ret->n++]) : 0;
                OPENSSL_free(der);
                OPENSSL_free(name);
                if (r < 0)
                        return r;
        }
        ERR_clear_error();
        return 0;
}

static bool snp_entry_fits(const SnpCacheEntry *e, const SnpReport *rep, SnpCertRole want,
                           time_t at) {
        if (e->role != want || at < e->not_before || at > e->not_after)
                return false;
        /* A VCEK is the chip's own; several chips' VCEKs may be cached. */
        return want == SNP_CERT_VLEK ||
               (e->has_hwid && memcmp(e->hwid, rep->chip_id, e->hwid_size) == 0);
}

/* A cached chain for one of the evidence's (or the policy's) VCEKs. */
static SnpCacheEntry *snp_cache_find(AppraiseCtx *c, const SnpReport *rep, SnpCertRole want,
                                     const SnpCertTable *table) {
        Appraiser *a = c->appraiser;
        SnpCandidates cand = {};

        for (size_t i = 0; table && i < table->n_entries; i++) {
                const SnpCertTableEntry *en = &table->entries[i];

                if (en->kind != (want == SNP_CERT_VLEK ? SNP_CERT_KIND_VLEK : SNP_CERT_KIND_VCEK))
                        continue;
                if (sha256(en->data, en->size, cand.hash[cand.n]) >= 0)
                        cand.n++;
        }
        if (c->e->vcek_pem && snp_candidates_pem(c->e->vcek_pem, &cand) < 0)
                return NULL;
        for (size_t i = 0; i < cand.n + a->n_pool_keys; i++) {
                const uint8_t *hash = i < cand.n ? cand.hash[i] : a->pool_key_hashes[i - cand.n];
                SnpCacheEntry *e = snp_cache_get(a, hash);

                if (e && snp_entry_fits(e, rep, want, c->in->at))
                        return e;
                snp_cache_entry_unref(e);
        }
        return NULL;
}

static int snp_push_buffer(STACK_OF(X509) * pile, const uint8_t *data, size_t size) {
        int r = cert_load_buffer(data, size, pile);

        /* A damaged certificate among those handed out is left out: the
         * chain check then says which one is missing. */
        return r == -ENOMEM ? r : 0;
}

static int snp_pile(AppraiseCtx *c, const SnpCertTable *table, STACK_OF(X509) * *ret) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *pile = sk_X509_new_null();
        STACK_OF(X509) *pool = c->policy->amd_certs;
        int r;

        if (!pile)
                return -ENOMEM;
        for (size_t i = 0; table && i < table->n_entries; i++) {
                const SnpCertTableEntry *en = &table->entries[i];

                if (en->kind == SNP_CERT_KIND_CRL || en->kind == SNP_CERT_KIND_OTHER)
                        continue;
                r = snp_push_buffer(pile, en->data, en->size);
                if (r < 0)
                        return r;
        }
        if (c->e->vcek_pem) {
                r = snp_push_buffer(pile, (const uint8_t *)c->e->vcek_pem, strlen(c->e->vcek_pem));
                if (r < 0)
                        return r;
        }
        for (int i = 0; i < sk_X509_num(pool); i++) {
                X509 *cert = sk_X509_value(pool, i);

                if (X509_up_ref(cert) != 1)
                        return -ENOMEM;
                if (sk_X509_push(pile, cert) <= 0) {
                        X509_free(cert);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(pile);
        return 0;
}

static time_t snp_time(const char *s, time_t fallback) {
        time_t t;

        return s[0] && cert_time_parse_rfc3339(s, &t) >= 0 ? t : fallback;
}

/* A new cache entry for a chain that just verified. */
static int snp_cache_entry_new(STACK_OF(X509) * pile, SnpEndorsement *endorsement,
                               const SnpVerdict *v, SnpCacheEntry **ret) {
        _cleanup_free_ uint8_t *hash = NULL;
        SnpCacheEntry *e;
        size_t hash_size;
        X509 *key = NULL;
        int r;

        if (hex_decode(v->key.sha256, &hash, &hash_size) < 0 || hash_size != 32)
                return -EINVAL;
        for (int i = 0; i < sk_X509_num(pile) && !key; i++) {
                char fp[CERT_INFO_FINGERPRINT_SIZE];

                if (cert_info_fingerprint(sk_X509_value(pile, i), fp) >= 0 &&
                    strcmp(fp, v->key.sha256) == 0)
                        key = sk_X509_value(pile, i);
        }
        if (!key)
                return -ENOENT;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->refs = 1;
        memcpy(e->key_hash, hash, 32);
        e->endorsement = endorsement;
        e->role = v->key.role;
        r = snp_cert_hwid(key, e->hwid, &e->hwid_size);
        e->has_hwid = r >= 0;
        e->not_before = snp_time(v->key.not_before, SNP_TIME_NEVER);
        e->not_after = snp_time(v->key.not_after, 0);
        for (const SnpCertSummary *s = &v->ark; s; s = s == &v->ark ? &v->ask : NULL) {
                time_t nb = snp_time(s->not_before, SNP_TIME_NEVER), na = snp_time(s->not_after, 0);

                if (nb > e->not_before)
                        e->not_before = nb;
                if (na < e->not_after)
                        e->not_after = na;
        }
        e->chain = *v;
        *ret = e;
        return 0;
}

/* The common name out of an RFC 2253 subject: details have room for
 * three names, not three subjects. */
static const char *snp_cn(const char *subject, char buf[static 64]) {
        const char *cn = strstr(subject, "CN=");
        size_t n;

        if (!cn)
                cn = subject;
        else
                cn += 3;
        n = strcspn(cn, ",");
        if (n > 63)
                n = 63;
        memcpy(buf, cn, n);
        buf[n] = 0;
        return buf;
}

static void snp_chain_pass(AppraiseCtx *c, const SnpVerdict *chain, bool cached) {
        char when[21] = "", key[64], ask[64], ark[64];

        (void)cert_time_format_rfc3339(c->in->at, when);
        appraise_pass(c, "snp.chain", "%s'%s' → '%s' → trusted '%s' (SHA-256 %.16s…) valid at %s%s",
                      cached ? "From the cache: " : "", snp_cn(chain->key.subject, key),
                      snp_cn(chain->ask.subject, ask), snp_cn(chain->ark.subject, ark),
                      chain->ark.sha256, when, cached ? ", verified before" : "");
}

static void snp_report_result(AppraiseCtx *c, int r, const SnpVerdict *v) {
        if (r == -ENOMEM || (r < 0 && !v->reason)) {
                (void)appraise_error(c, r < 0 ? r : -EIO);
                return;
        }
        if (r < 0) {
                appraise_fail(c, "snp.signature", v->reason, "%s", v->detail);
                return;
        }
        c->snp_tcb = v->reported_tcb;
        c->snp_layout = v->tcb_layout;
        c->snp_tcb_valid = v->tcb_valid;
        appraise_pass(c, "snp.signature", "%s", v->detail);
}

int appraise_snp_signature(AppraiseCtx *c, const SnpReport *rep) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *pile = NULL;
        _cleanup_(snp_cache_entry_unrefp) SnpCacheEntry *entry = NULL;
        _cleanup_(snp_endorsement_freep) SnpEndorsement *endorsement = NULL;
        const KbsBlob *t = &c->e->cert_table;
        SnpCertTable table = {};
        bool has_table = false;
        SnpCertRole want;
        SnpVerdict v = {};
        ParseError perr = {};
        char buf[256];
        int r;

        if (!appraise_step_runs(c, "snp.chain", false)) {
                (void)appraise_step_runs(c, "snp.signature", false);
                return c->error;
        }
        if (t->size > 0) {
                r = snp_cert_table_parse(t->data, t->size, &table, &perr);
                if (r < 0) {
                        appraise_fail(c, "snp.chain", "snp.malformed",
                                      "The certificate table that came with the report does not "
                                      "parse: %s",
                                      parse_error_string(&perr, buf, sizeof(buf)));
                        (void)appraise_step_runs(c, "snp.signature", false);
                        return 0;
                }
                has_table = true;
        }

        want = rep->signing_key == SNP_SIGNING_KEY_VLEK ? SNP_CERT_VLEK : SNP_CERT_VCEK;
        if (rep->signing_key <= SNP_SIGNING_KEY_VLEK && !rep->mask_chip_key)
                entry = snp_cache_find(c, rep, want, has_table ? &table : NULL);
        snp_cache_count(c->appraiser, entry != NULL);
        if (entry) {
                snp_chain_pass(c, &entry->chain, true);
                /* A chip seen again is likely to be seen often: its key's
                 * table makes every later report's signature check about
                 * four times faster (a chip seen once never pays for it). */
                r = snp_endorsement_add_table(entry->endorsement);
                if (r < 0)
                        return appraise_error(c, r);
                r = snp_verify_report(rep, entry->endorsement, &v);
                v.at = c->in->at;
                snp_report_result(c, r, &v);
                return c->error;
        }

        r = snp_pile(c, has_table ? &table : NULL, &pile);
        if (r < 0)
                return appraise_error(c, r);
        r = snp_verify_chain(rep, pile, c->policy->amd_arks, &c->in->at, &endorsement, &v);
        if (r == -ENOMEM || (r < 0 && !v.reason))
                return appraise_error(c, r);
        if (r < 0) {
                appraise_fail(c, "snp.chain", v.reason, "%s", v.detail);
                (void)appraise_step_runs(c, "snp.signature", false);
                return 0;
        }
        snp_chain_pass(c, &v, false);
        r = snp_cache_entry_new(pile, endorsement, &v, &entry);
        if (r == -ENOMEM)
                return appraise_error(c, r);
        if (r >= 0) {
                TAKE_PTR(endorsement); /* the entry owns it now */
                snp_cache_put(c->appraiser, entry);
        }
        r = snp_verify_report(rep, entry ? entry->endorsement : endorsement, &v);
        snp_report_result(c, r, &v);
        return c->error;
}

int appraise_snp_claims(AppraiseCtx *c, const SnpReport *rep) {
        json_object *o = appraise_claims_section(c, "snp");
        json_object *tcb = NULL;
        SnpPolicy pol;
        int r;

        if (!o)
                return c->error;
        snp_report_policy_decode(rep->policy, rep->version, &pol);
        if ((r = json_add_u64(o, "version", rep->version)) < 0 ||
            (r = json_add_hex(o, "measurement", rep->measurement, sizeof(rep->measurement))) < 0 ||
            (r = json_add_hex(o, "host_data", rep->host_data, sizeof(rep->host_data))) < 0 ||
            (r = json_add_hex(o, "report_data", rep->report_data, sizeof(rep->report_data))) < 0 ||
            (r = json_add_hex(o, "chip_id", rep->chip_id, sizeof(rep->chip_id))) < 0 ||
            (r = json_add_hex(o, "family_id", rep->family_id, sizeof(rep->family_id))) < 0 ||
            (r = json_add_hex(o, "image_id", rep->image_id, sizeof(rep->image_id))) < 0 ||
            (r = json_add_u64(o, "guest_svn", rep->guest_svn)) < 0 ||
            (r = json_add_u64(o, "vmpl", rep->vmpl)) < 0 ||
            (r = json_add_u64(o, "policy", rep->policy)) < 0 ||
            (r = json_add(o, "debug", json_object_new_boolean(pol.debug))) < 0 ||
            (r = json_add(o, "migrate_ma", json_object_new_boolean(pol.migrate_ma))) < 0 ||
            (r = json_add_string(o, "signing_key", snp_signing_key_to_string(rep->signing_key))) <
                    0 ||
            (r = json_add_string(o, "generation",
                                 snp_generation_to_string(rep->generation) ?: "unknown")) < 0)
                return appraise_error(c, r);
        r = snp_json_tcb(&rep->reported_tcb, rep->tcb_layout, &tcb);
        if (r >= 0)
                r = json_add(o, "reported_tcb", tcb);
        if (r >= 0)
                r = snp_json_tcb(&rep->current_tcb, rep->tcb_layout, &tcb);
        if (r >= 0)
                r = json_add(o, "current_tcb", tcb);
        return r < 0 ? appraise_error(c, r) : 0;
}

static void snp_rule_tcb(AppraiseCtx *c, const SnpReport *rep) {
        const PolicySnp *p = c->snp_rules;
        SnpTcb t = c->snp_tcb_valid ? c->snp_tcb : rep->reported_tcb;
        bool turin = (c->snp_tcb_valid ? c->snp_layout : rep->tcb_layout) == SNP_TCB_LAYOUT_TURIN;
        const struct {
                const char *name;
                unsigned got, min;
                bool applies;
        } parts[] = {
                {"fmc", t.fmc, p->min_fmc, turin && p->has_fmc},
                {"bootloader", t.bootloader, p->min_bootloader, true},
                {"tee", t.tee, p->min_tee, true},
                {"snp", t.snp, p->min_snp, true},
                {"microcode", t.microcode, p->min_microcode, true},
        };

        if (!appraise_step_runs(c, "snp.tcb_min", true))
                return;
        for (size_t i = 0; i < ELEMENTSOF(parts); i++)
                if (parts[i].applies && parts[i].got < parts[i].min) {
                        appraise_fail(c, "snp.tcb_min", "snp.tcb_min",
                                      "reported_tcb %s %u is below the policy's minimum %u "
                                      "(bootloader %u, tee %u, snp %u, microcode %u)",
                                      parts[i].name, parts[i].got, parts[i].min, t.bootloader,
                                      t.tee, t.snp, t.microcode);
                        return;
                }
        appraise_pass(c, "snp.tcb_min",
                      "reported_tcb (bootloader %u, tee %u, snp %u, microcode %u%s) is at least "
                      "the minimum (%u, %u, %u, %u)",
                      t.bootloader, t.tee, t.snp, t.microcode, turin ? ", fmc as well" : "",
                      p->min_bootloader, p->min_tee, p->min_snp, p->min_microcode);
}

int appraise_snp_rules(AppraiseCtx *c, const SnpReport *rep) {
        const PolicySnp *p = c->snp_rules;
        SnpPolicy pol;
        char buf[24];

        snp_report_policy_decode(rep->policy, rep->version, &pol);
        snp_rule_tcb(c, rep);

        if (appraise_step_runs(c, "snp.debug", true)) {
                if (pol.debug && !p->allow_debug)
                        appraise_fail(c, "snp.debug", "snp.debug",
                                      "The guest policy 0x%llx allows debugging (bit 19): the "
                                      "hypervisor can read and change the guest's memory, and "
                                      "snp.allow_debug is false",
                                      (unsigned long long)rep->policy);
                else
                        appraise_pass(
                                c, "snp.debug", "Debugging is %s",
                                pol.debug ? "allowed by the guest policy, and by snp.allow_debug"
                                          : "off in the guest policy");
        }
        if (appraise_step_runs(c, "snp.migration_agent", true)) {
                if (pol.migrate_ma && !p->allow_migration_agent)
                        appraise_fail(c, "snp.migration_agent", "snp.migration_agent",
                                      "The guest policy 0x%llx allows a migration agent (bit "
                                      "18), and snp.allow_migration_agent is false",
                                      (unsigned long long)rep->policy);
                else
                        appraise_pass(c, "snp.migration_agent", "A migration agent is %s",
                                      pol.migrate_ma ? "allowed, as the policy permits"
                                                     : "not allowed by the guest policy");
        }
        if (appraise_step_runs(c, "snp.vmpl", true)) {
                if (rep->vmpl >= 32 || !(p->vmpl_mask & (1u << rep->vmpl)))
                        appraise_fail(c, "snp.vmpl", "snp.vmpl",
                                      "The report was requested at VMPL %u, which snp.vmpl does "
                                      "not allow",
                                      rep->vmpl);
                else
                        appraise_pass(c, "snp.vmpl", "VMPL %u is allowed", rep->vmpl);
        }
        if (appraise_step_runs(c, "snp.measurement", true)) {
                if (!policy_values_contain(&p->measurements, rep->measurement))
                        appraise_fail(
                                c, "snp.measurement", "snp.measurement",
                                "The launch measurement %s is not one of the %zu the "
                                "policy allows",
                                appraise_hex_short(rep->measurement, sizeof(rep->measurement), buf),
                                p->measurements.n);
                else
                        appraise_pass(c, "snp.measurement", "The launch measurement %s is allowed",
                                      appraise_hex_short(rep->measurement, sizeof(rep->measurement),
                                                         buf));
        }
        if (appraise_step_runs(c, "snp.guest_svn", true)) {
                if (rep->guest_svn < p->min_guest_svn)
                        appraise_fail(c, "snp.guest_svn", "snp.guest_svn",
                                      "guest_svn %u is below the policy's minimum %u",
                                      rep->guest_svn, p->min_guest_svn);
                else
                        appraise_pass(c, "snp.guest_svn", "guest_svn %u is at least %u",
                                      rep->guest_svn, p->min_guest_svn);
        }
        if (appraise_step_runs(c, "snp.host_data", true)) {
                if (!p->host_data.present)
                        appraise_skip(c, "snp.host_data", "The policy sets no host_data rule");
                else if (!policy_values_contain(&p->host_data, rep->host_data))
                        appraise_fail(
                                c, "snp.host_data", "snp.host_data",
                                "host_data %s is not one of the %zu the policy allows",
                                appraise_hex_short(rep->host_data, sizeof(rep->host_data), buf),
                                p->host_data.n);
                else
                        appraise_pass(
                                c, "snp.host_data", "host_data %s is allowed",
                                appraise_hex_short(rep->host_data, sizeof(rep->host_data), buf));
        }
        return c->error;
}

int appraise_snp(AppraiseCtx *c) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        ParseError perr = {};
        char buf[256];
        int r;

        r = snp_report_parse(c->e->report.data, c->e->report.size, &rep, &perr);
        if (r == -ENOMEM)
                return appraise_error(c, r);
        if (r < 0) {
                appraise_fail(c, "snp.chain", "snp.malformed",
                              "The evidence's report is not an SEV-SNP attestation report: %s",
                              parse_error_string(&perr, buf, sizeof(buf)));
                return 0;
        }
        r = appraise_snp_claims(c, rep);
        if (r < 0)
                return r;
        r = appraise_snp_signature(c, rep);
        if (r < 0)
                return r;
        appraise_binding(c, rep->report_data, "The SNP report's REPORT_DATA");
        return appraise_snp_rules(c, rep);
}
