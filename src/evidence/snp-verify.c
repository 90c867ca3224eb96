/* Verifying SEV-SNP reports with OpenSSL 3. The chain is assembled by hand
 * first, so that each way it can fail gets its own reason (a missing
 * certificate, certificates that do not link, a root nobody trusts); then
 * OpenSSL's path validation runs over exactly that chain with an explicit
 * time, which adds what a hand-made check would forget (CA flags, path
 * length, RSA-PSS parameters, validity of every link). Nothing the report
 * says is believed before its signature checked out. */

#include "confnode/evidence/snp-verify.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "confnode/basic/evp-fetch.h"
#include "confnode/crypto/ecdsa-p384.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/crypto/p384.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/basic/openssl-cleanup.h"


struct SnpEndorsement {
        X509 *cert; /* the VCEK or VLEK */
        EVP_PKEY *key;
        /* The same key with its table of multiples, once
         * snp_endorsement_add_table() made it: the verifier's cache shares
         * endorsements between threads, so it is published atomically and
         * never changes after that. table_refused: the key is one our
         * P-384 code does not take (OpenSSL checks its signatures). */
        _Atomic(P384Key *) p384;
        atomic_bool table_refused;
        SnpCertRole role;
        SnpCertTcb tcb;
        bool has_tcb;
        uint8_t hwid[SNP_CHIP_ID_SIZE];
        size_t hwid_size;
        bool has_hwid;
        SnpGeneration generation; /* of the certificate's product */
        char product[64];
        /* What a verdict made with this chain starts from. */
        SnpVerdict base;
};

void snp_endorsement_free(SnpEndorsement *e) {
        if (!e)
                return;
        X509_free(e->cert);
        EVP_PKEY_free(e->key);
        p384_key_free(atomic_load_explicit(&e->p384, memory_order_acquire));
        free(e);
}

static int snp_verify_reject(SnpVerdict *v, int r, const char *reason, const char *fmt, ...)
        _printf_(4, 5);
static int snp_verify_reject(SnpVerdict *v, int r, const char *reason, const char *fmt, ...) {
        va_list ap;

        v->reason = reason;
        va_start(ap, fmt);
        vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
        va_end(ap);
        /* Failed checks leave errors on OpenSSL's queue that say no more
         * than the reason does. */
        ERR_clear_error();
        return r;
}

static const char *snp_verify_cn(X509 *cert, char *buf, size_t size) {
        cert_info_common_name(cert, buf, size);
        if (!buf[0])
                cert_info_subject(cert, buf, size);
        return buf;
}

static const char *snp_verify_issuer_cn(X509 *cert, char *buf, size_t size) {
        cert_info_issuer_common_name(cert, buf, size);
        if (!buf[0])
                cert_info_issuer(cert, buf, size);
        return buf;
}

static void snp_verify_summarize(X509 *cert, SnpCertRole role, SnpCertSummary *ret) {
        *ret = (SnpCertSummary){.present = true, .role = role};
        cert_info_subject(cert, ret->subject, sizeof(ret->subject));
        if (cert_info_fingerprint(cert, ret->sha256) < 0)
                ret->sha256[0] = 0;
        cert_info_not_before(cert, ret->not_before);
        cert_info_not_after(cert, ret->not_after);
}

static bool snp_verify_signed_by(X509 *child, X509 *parent) {
        EVP_PKEY *key = X509_get0_pubkey(parent);
        bool ok = key && X509_verify(child, key) == 1;

        ERR_clear_error();
        return ok;
}

static bool snp_verify_is_root(X509 *cert) {
        return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

/* The report's chip and TCB as the certificate would have to state them;
 * used to prefer the right VCEK when a cache holds several. */
static int snp_verify_key_score(const SnpReport *rep, X509 *cert) {
        uint8_t hwid[SNP_CHIP_ID_SIZE];
        SnpCertTcb t;
        size_t n;
        int score = 0;

        if (snp_cert_hwid(cert, hwid, &n) >= 0 && memcmp(hwid, rep->chip_id, n) == 0)
                score += 2;
        if (snp_cert_tcb(cert, &t) >= 0 && t.bootloader == rep->reported_tcb.bootloader &&
            t.snp == rep->reported_tcb.snp && t.microcode == rep->reported_tcb.microcode)
                score += 1;
        return score;
}

static int snp_verify_pick_key(const SnpReport *rep, STACK_OF(X509) *certs, SnpCertRole want,
                               X509 **ret, SnpVerdict *v) {
        SnpCertRole other = want == SNP_CERT_VCEK ? SNP_CERT_VLEK : SNP_CERT_VCEK;
        X509 *best = NULL;
        int best_score = -1;
        bool have_other = false;

        for (int i = 0; certs && i < sk_X509_num(certs); i++) {
                X509 *c = sk_X509_value(certs, i);
                SnpCertRole role = snp_cert_role(c);
                int score;

                if (role == other)
                        have_other = true;
                if (role != want)
                        continue;
                score = snp_verify_key_score(rep, c);
                if (score > best_score) {
                        best = c;
                        best_score = score;
                }
        }
        if (!best && have_other)
                return snp_verify_reject(
                        v, -EPROTO, "snp.signing_key",
                        "The report says it is signed with the %s, but only a %s was given",
                        want == SNP_CERT_VCEK ? "VCEK" : "VLEK",
                        want == SNP_CERT_VCEK ? "VLEK" : "VCEK");
        if (!best)
                return snp_verify_reject(
                        v, -ENOKEY, "snp.cert_missing",
                        "No %s among the %d certificates given: nothing to verify the report "
                        "with",
                        want == SNP_CERT_VCEK ? "VCEK" : "VLEK", certs ? sk_X509_num(certs) : 0);
        snp_verify_summarize(best, want, &v->key);
        *ret = best;
        return 0;
}

/* The certificate among pool that issued child: its subject is child's
 * issuer and the key identifiers agree (X509_check_issued). Its signature
 * is left to the path validation, which checks it in any case; only when
 * several share the name (an old and a renewed ASK in one cache) does the
 * signature choose, so a chain costs each RSA verification once. */
static X509 *snp_verify_find_issuer(STACK_OF(X509) *pool, X509 *child, bool root) {
        X509 *first = NULL;
        int named = 0;

        for (int i = 0; pool && i < sk_X509_num(pool); i++) {
                X509 *c = sk_X509_value(pool, i);

                if (c == child || snp_verify_is_root(c) != root ||
                    X509_check_issued(c, child) != X509_V_OK)
                        continue;
                named++;
                if (!first)
                        first = c;
        }
        ERR_clear_error();
        if (named <= 1)
                return first;
        for (int i = 0; i < sk_X509_num(pool); i++) {
                X509 *c = sk_X509_value(pool, i);

                if (c != child && snp_verify_is_root(c) == root &&
                    X509_check_issued(c, child) == X509_V_OK && snp_verify_signed_by(child, c))
                        return c;
        }
        ERR_clear_error();
        return first;
}

static const char *snp_verify_intermediate_name(SnpCertRole key_role) {
        return key_role == SNP_CERT_VLEK ? "ASVK" : "ASK";
}

static int snp_verify_find_ask(STACK_OF(X509) *certs, X509 *key, SnpCertRole key_role, X509 **ret,
                               SnpVerdict *v) {
        const char *what = snp_verify_intermediate_name(key_role);
        char want[128], name[128];
        bool any = false;
        X509 *ask;

        ask = snp_verify_find_issuer(certs, key, false);
        if (ask) {
                SnpCertRole role = snp_cert_role(ask);

                snp_verify_summarize(ask, role == SNP_CERT_OTHER ? SNP_CERT_ASK : role, &v->ask);
                *ret = ask;
                return 0;
        }
        snp_verify_issuer_cn(key, want, sizeof(want));
        for (int i = 0; certs && i < sk_X509_num(certs); i++) {
                SnpCertRole role = snp_cert_role(sk_X509_value(certs, i));

                if (role == SNP_CERT_ASK || role == SNP_CERT_ASVK) {
                        any = true;
                        snp_verify_cn(sk_X509_value(certs, i), name, sizeof(name));
                        break;
                }
        }
        if (any)
                return snp_verify_reject(
                        v, -EACCES, "snp.cert_chain",
                        "The %s was issued by '%s', which is not among the certificates given "
                        "(there is '%s')",
                        key_role == SNP_CERT_VLEK ? "VLEK" : "VCEK", want, name);
        return snp_verify_reject(
                v, -ENOKEY, "snp.cert_missing",
                "No %s among the certificates given: the %s issued by '%s' cannot be verified",
                what, key_role == SNP_CERT_VLEK ? "VLEK" : "VCEK", want);
}

static bool snp_verify_in(STACK_OF(X509) *set, X509 *cert) {
        for (int i = 0; set && i < sk_X509_num(set); i++)
                if (X509_cmp(sk_X509_value(set, i), cert) == 0)
                        return true;
        return false;
}

/* An ARK from the pile, not trusted, whose key signed the ASK: what an
 * attacker's own chain with AMD's names looks like. */
static X509 *snp_verify_untrusted_root(STACK_OF(X509) *certs, STACK_OF(X509) *trusted, X509 *ask) {
        for (int i = 0; certs && i < sk_X509_num(certs); i++) {
                X509 *c = sk_X509_value(certs, i);

                if (snp_verify_is_root(c) && !snp_verify_in(trusted, c) &&
                    X509_check_issued(c, ask) == X509_V_OK && snp_verify_signed_by(ask, c)) {
                        ERR_clear_error();
                        return c;
                }
        }
        ERR_clear_error();
        return NULL;
}

static int snp_verify_reject_untrusted(SnpVerdict *v, X509 *ark, STACK_OF(X509) *trusted) {
        char name[128];

        snp_verify_summarize(ark, SNP_CERT_ARK, &v->ark);
        return snp_verify_reject(
                v, -EPERM, "snp.ark_untrusted",
                "The chain ends in the ARK '%s' (SHA-256 %s), which is not one of the %d trusted "
                "roots",
                snp_verify_cn(ark, name, sizeof(name)), v->ark.sha256,
                trusted ? sk_X509_num(trusted) : 0);
}

/* The root: a trusted ARK named as the ASK's issuer. That it signed the
 * ASK, and itself, is for the path validation to establish. */
static int snp_verify_find_ark(STACK_OF(X509) *certs, STACK_OF(X509) *trusted, X509 *ask,
                               X509 **ret, SnpVerdict *v) {
        char want[128], name[128];
        X509 *ark, *root = NULL;

        ark = snp_verify_find_issuer(trusted, ask, true);
        if (!ark) {
                ark = snp_verify_find_issuer(certs, ask, true);
                if (ark)
                        return snp_verify_reject_untrusted(v, ark, trusted);
                snp_verify_issuer_cn(ask, want, sizeof(want));
                for (int i = 0; !root && certs && i < sk_X509_num(certs); i++)
                        if (snp_verify_is_root(sk_X509_value(certs, i)))
                                root = sk_X509_value(certs, i);
                for (int i = 0; !root && trusted && i < sk_X509_num(trusted); i++)
                        root = sk_X509_value(trusted, i);
                if (root)
                        return snp_verify_reject(
                                v, -EACCES, "snp.cert_chain",
                                "The %s was issued by '%s', but the root given is '%s'",
                                v->ask.role == SNP_CERT_ASVK ? "ASVK" : "ASK", want,
                                snp_verify_cn(root, name, sizeof(name)));
                return snp_verify_reject(
                        v, -ENOKEY, "snp.cert_missing",
                        "No ARK among the certificates given or trusted: the %s was issued by "
                        "'%s'",
                        v->ask.role == SNP_CERT_ASVK ? "ASVK" : "ASK", want);
        }
        snp_verify_summarize(ark, SNP_CERT_ARK, &v->ark);
        *ret = ark;
        return 0;
}

static const char *snp_verify_depth_name(const SnpVerdict *v, int depth) {
        switch (depth) {
        case 0:
                return v->key.role == SNP_CERT_VLEK ? "VLEK" : "VCEK";
        case 1:
                return v->ask.role == SNP_CERT_ASVK ? "ASVK" : "ASK";
        default:
                return "ARK";
        }
}

/* OpenSSL's path validation over exactly ARK → ASK → key, at time at,
 * the ARK's self-signature included: a root that does not verify itself
 * is no root, trusted or not. */
static int snp_verify_path(STACK_OF(X509) *certs, STACK_OF(X509) *trusted, X509 *ark, X509 *ask,
                           X509 *key, time_t at, SnpVerdict *v) {
        _cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *untrusted = sk_X509_new_null();
        const SnpCertSummary *s;
        char when[21] = "";
        int err, depth;

        if (!store || !ctx || !untrusted || X509_STORE_add_cert(store, ark) != 1 ||
            X509_up_ref(ask) != 1)
                return -ENOMEM;
        if (sk_X509_push(untrusted, ask) <= 0) {
                X509_free(ask);
                return -ENOMEM;
        }
        if (X509_STORE_CTX_init(ctx, store, key, untrusted) != 1)
                return -ENOMEM;
        X509_STORE_CTX_set_time(ctx, 0, at);
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CHECK_SS_SIGNATURE);
        if (X509_verify_cert(ctx) == 1) {
                ERR_clear_error();
                return 0;
        }

        err = X509_STORE_CTX_get_error(ctx);
        depth = X509_STORE_CTX_get_error_depth(ctx);
        s = depth <= 0 ? &v->key : depth == 1 ? &v->ask : &v->ark;
        if (depth == 1 && err == X509_V_ERR_CERT_SIGNATURE_FAILURE) {
                X509 *other = snp_verify_untrusted_root(certs, trusted, ask);

                if (other)
                        return snp_verify_reject_untrusted(v, other, trusted);
        }
        (void) cert_time_format_rfc3339(at, when);
        if (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID)
                return snp_verify_reject(v, -EKEYEXPIRED, "snp.cert_expired",
                                         "The %s is not valid at %s: it is valid from %s to %s",
                                         snp_verify_depth_name(v, depth), when, s->not_before,
                                         s->not_after);
        return snp_verify_reject(v, -EACCES, "snp.cert_chain", "The %s does not validate: %s",
                                 snp_verify_depth_name(v, depth),
                                 X509_verify_cert_error_string(err));
}

static int snp_verify_wanted_role(const SnpReport *rep, SnpCertRole *ret, SnpVerdict *v) {
        if (rep->signature_algo != SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384)
                return snp_verify_reject(
                        v, -EOPNOTSUPP, "snp.unsupported",
                        "SIGNATURE_ALGO %u is not ECDSA P-384 with SHA-384, the only one the "
                        "ABI defines",
                        rep->signature_algo);
        if (rep->mask_chip_key)
                return snp_verify_reject(
                        v, -EPROTO, "snp.signing_key",
                        "MASK_CHIP_KEY is set: the firmware wrote zeros instead of a signature");
        switch (rep->signing_key) {
        case SNP_SIGNING_KEY_VCEK:
                *ret = SNP_CERT_VCEK;
                return 0;
        case SNP_SIGNING_KEY_VLEK:
                *ret = SNP_CERT_VLEK;
                return 0;
        case SNP_SIGNING_KEY_NONE:
                return snp_verify_reject(v, -EPROTO, "snp.signing_key",
                                         "SIGNING_KEY is 7 (none): the report is not signed");
        default:
                return snp_verify_reject(v, -EPROTO, "snp.signing_key",
                                         "SIGNING_KEY %u is reserved: no key of that kind exists",
                                         rep->signing_key);
        }
}

static int snp_verify_key_type(EVP_PKEY *key, SnpVerdict *v) {
        char group[32] = "";

        if (!EVP_PKEY_is_a(key, "EC") ||
            EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1 ||
            (strcmp(group, "secp384r1") != 0 && strcmp(group, "P-384") != 0))
                return snp_verify_reject(v, -EOPNOTSUPP, "snp.unsupported",
                                         "The %s's key is %s%s%s, not ECDSA P-384",
                                         v->key.role == SNP_CERT_VLEK ? "VLEK" : "VCEK",
                                         EVP_PKEY_get0_type_name(key) ?: "of an unknown type",
                                         group[0] ? " " : "", group);
        return 0;
}

int snp_verify_chain(const SnpReport *rep, STACK_OF(X509) *certs, STACK_OF(X509) *trusted_arks,
                     const time_t *at, SnpEndorsement **ret, SnpVerdict *v) {
        _cleanup_(snp_endorsement_freep) SnpEndorsement *e = NULL;
        X509 *key_cert = NULL, *ask = NULL, *ark = NULL;
        SnpCertRole want;
        int r;

        *v = (SnpVerdict){
                .at = at ? *at : time(NULL),
                .signing_key = rep->signing_key,
                .generation = rep->generation,
                .tcb_layout = rep->tcb_layout,
        };
        r = snp_verify_wanted_role(rep, &want, v);
        if (r < 0)
                return r;
        r = snp_verify_pick_key(rep, certs, want, &key_cert, v);
        if (r < 0)
                return r;
        r = snp_verify_find_ask(certs, key_cert, want, &ask, v);
        if (r < 0)
                return r;
        r = snp_verify_find_ark(certs, trusted_arks, ask, &ark, v);
        if (r < 0)
                return r;
        r = snp_verify_path(certs, trusted_arks, ark, ask, key_cert, v->at, v);
        if (r < 0)
                return r;
        v->chain_checked = true;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        if (X509_up_ref(key_cert) != 1)
                return -ENOMEM;
        e->cert = key_cert;
        e->key = X509_get_pubkey(key_cert);
        if (!e->key)
                return snp_verify_reject(v, -EOPNOTSUPP, "snp.unsupported",
                                         "The %s's public key is of a type OpenSSL cannot use",
                                         want == SNP_CERT_VLEK ? "VLEK" : "VCEK");
        r = snp_verify_key_type(e->key, v);
        if (r < 0)
                return r;
        e->role = want;
        r = snp_cert_tcb(key_cert, &e->tcb);
        if (r == -EBADMSG)
                return snp_verify_reject(v, -ERANGE, "snp.tcb_mismatch",
                                         "An SPL extension of the %s is not an integer of 0-255",
                                         want == SNP_CERT_VLEK ? "VLEK" : "VCEK");
        e->has_tcb = r >= 0;
        r = snp_cert_hwid(key_cert, e->hwid, &e->hwid_size);
        e->has_hwid = r >= 0;
        e->generation = snp_cert_generation(key_cert);
        snp_cert_product_name(key_cert, e->product, sizeof(e->product));
        e->base = *v;
        *ret = TAKE_PTR(e);
        return 0;
}

int snp_endorsement_add_table(SnpEndorsement *e) {
        P384Key *k = NULL, *none = NULL;
        int r;

        if (!e)
                return -EINVAL;
        if (atomic_load_explicit(&e->p384, memory_order_acquire) ||
            atomic_load_explicit(&e->table_refused, memory_order_relaxed))
                return 0;
        r = ecdsa_p384_key_new(e->key, &k);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* Not a point our code takes: OpenSSL checks its reports. */
                atomic_store_explicit(&e->table_refused, true, memory_order_relaxed);
                return 0;
        }
        /* Two threads may build it at once; the first one's stays. */
        if (!atomic_compare_exchange_strong_explicit(&e->p384, &none, k, memory_order_acq_rel,
                                                     memory_order_acquire))
                p384_key_free(k);
        return 0;
}

static int snp_verify_signature_openssl(const SnpReport *rep, EVP_PKEY *key, const uint8_t *be_r,
                                        const uint8_t *be_s) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
        _cleanup_(BN_freep) BIGNUM *r = NULL, *s = NULL;
        unsigned char *der = NULL;
        int n;
        bool ok;

        if (!ctx || !sig)
                return -ENOMEM;
        r = BN_bin2bn(be_r, SNP_SIGNATURE_COMPONENT_SIZE, NULL);
        s = BN_bin2bn(be_s, SNP_SIGNATURE_COMPONENT_SIZE, NULL);
        if (!r || !s || ECDSA_SIG_set0(sig, r, s) != 1)
                return -ENOMEM;
        r = s = NULL; /* sig owns them now */
        n = i2d_ECDSA_SIG(sig, &der);
        if (n <= 0)
                return -ENOMEM;
        ok = EVP_DigestVerifyInit_ex(ctx, NULL, "SHA384", NULL, NULL, key, NULL) == 1 &&
             EVP_DigestVerify(ctx, der, (size_t) n, rep->raw, SNP_REPORT_SIGNED_SIZE) == 1;
        OPENSSL_free(der);
        ERR_clear_error();
        return ok ? 0 : -EKEYREJECTED;
}

/* Through the key's table: SHA-384 of the signed bytes, then (r, s) as
 * 48-byte numbers; a field with anything above its low 48 bytes holds a
 * number of 2^384 or more, above n, so no valid signature. */
static int snp_verify_signature_table(const SnpReport *rep, const P384Key *key,
                                      const uint8_t *be_r, const uint8_t *be_s) {
        const size_t pad = SNP_SIGNATURE_COMPONENT_SIZE - P384_SCALAR_SIZE;
        const EVP_MD *md = evp_fetch_md(EVP_FETCH_SHA384);
        uint8_t digest[P384_SCALAR_SIZE];
        unsigned n = 0;

        if (!md || EVP_Digest(rep->raw, SNP_REPORT_SIGNED_SIZE, digest, &n, md, NULL) != 1 ||
            n != sizeof(digest)) {
                ERR_clear_error();
                return -EIO;
        }
        for (size_t i = 0; i < pad; i++)
                if (be_r[i] != 0 || be_s[i] != 0)
                        return -EKEYREJECTED;
        return p384_key_verify(key, digest, be_r + pad, be_s + pad);
}

static int snp_verify_signature(const SnpReport *rep, const SnpEndorsement *e) {
        uint8_t be_r[SNP_SIGNATURE_COMPONENT_SIZE], be_s[SNP_SIGNATURE_COMPONENT_SIZE];
        P384Key *table = atomic_load_explicit(&e->p384, memory_order_acquire);
        EVP_PKEY *key = e->key;
        int r;

        /* The report stores r and s little-endian; BIGNUMs and DER are
         * big-endian. */
        for (size_t i = 0; i < SNP_SIGNATURE_COMPONENT_SIZE; i++) {
                be_r[i] = rep->signature_r[SNP_SIGNATURE_COMPONENT_SIZE - 1 - i];
                be_s[i] = rep->signature_s[SNP_SIGNATURE_COMPONENT_SIZE - 1 - i];
        }
        /* The key's table first (about 7x OpenSSL 3.0's speed on P-384,
         * bench/bench-snp), then our code without it (about 1.6x); OpenSSL
         * for a key neither takes. */
        if (table) {
                r = snp_verify_signature_table(rep, table, be_r, be_s);
                if (r != -EIO)
                        return r;
        }
        r = ecdsa_p384_verify_sha384(key, rep->raw, SNP_REPORT_SIGNED_SIZE, be_r, sizeof(be_r),
                                     be_s, sizeof(be_s));
        if (r != -EOPNOTSUPP)
                return r;
        return snp_verify_signature_openssl(rep, key, be_r, be_s);
}

/* The layout the reported TCB is in: the report's own word for version 3
 * on; for version 2, the product the key certificate is for (an fmcSPL
 * only exists from Turin on). */
static SnpTcbLayout snp_verify_layout(const SnpReport *rep, const SnpEndorsement *e) {
        if (rep->has_cpuid)
                return rep->tcb_layout;
        if (e->generation == SNP_GENERATION_TURIN ||
            (e->has_tcb && e->tcb.fmc != SNP_CERT_SPL_ABSENT))
                return SNP_TCB_LAYOUT_TURIN;
        return SNP_TCB_LAYOUT_MILAN_GENOA;
}

static int snp_verify_tcb(const SnpReport *rep, const SnpEndorsement *e, SnpVerdict *v) {
        const char *what = e->role == SNP_CERT_VLEK ? "VLEK" : "VCEK";
        const struct {
                const char *name, *ext;
                int cert;
                unsigned report;
        } parts[] = {
                {"fmc", "fmcSPL", e->tcb.fmc, v->reported_tcb.fmc},
                {"bootloader", "blSPL", e->tcb.bootloader, v->reported_tcb.bootloader},
                {"tee", "teeSPL", e->tcb.tee, v->reported_tcb.tee},
                {"snp", "snpSPL", e->tcb.snp, v->reported_tcb.snp},
                {"microcode", "ucodeSPL", e->tcb.microcode, v->reported_tcb.microcode},
        };
        bool turin = v->tcb_layout == SNP_TCB_LAYOUT_TURIN;

        if (!e->has_tcb)
                return snp_verify_reject(v, -ERANGE, "snp.tcb_mismatch",
                                         "The %s carries no TCB (SPL) extensions", what);
        if (rep->generation != SNP_GENERATION_UNKNOWN && e->generation != SNP_GENERATION_UNKNOWN &&
            rep->generation != e->generation)
                return snp_verify_reject(
                        v, -ERANGE, "snp.tcb_mismatch",
                        "The report comes from a %s CPU (family %02xh model %02xh), the %s is for "
                        "'%s'",
                        snp_generation_to_string(rep->generation), rep->cpuid_fam_id,
                        rep->cpuid_mod_id, what, e->product);
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                bool in_layout = i > 0 || turin;

                if (!in_layout) {
                        if (parts[i].cert != SNP_CERT_SPL_ABSENT)
                                return snp_verify_reject(
                                        v, -ERANGE, "snp.tcb_mismatch",
                                        "The %s has an %s, but the report's TCB (%s layout) has "
                                        "no FMC",
                                        what, parts[i].ext,
                                        snp_tcb_layout_to_string(v->tcb_layout));
                        continue;
                }
                if (parts[i].cert == SNP_CERT_SPL_ABSENT)
                        return snp_verify_reject(
                                v, -ERANGE, "snp.tcb_mismatch",
                                "The %s carries no %s, the report's reported_tcb has %s %u", what,
                                parts[i].ext, parts[i].name, parts[i].report);
                if ((unsigned) parts[i].cert != parts[i].report)
                        return snp_verify_reject(
                                v, -ERANGE, "snp.tcb_mismatch",
                                "The %s was issued for %s %d (%s), the report's reported_tcb "
                                "has %u",
                                what, parts[i].name, parts[i].cert, parts[i].ext, parts[i].report);
        }
        v->tcb_checked = true;
        return 0;
}

static bool snp_verify_all_zero(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i] != 0)
                        return false;
        return true;
}

static int snp_verify_chip_id(const SnpReport *rep, const SnpEndorsement *e, SnpVerdict *v) {
        if (!e->has_hwid)
                return snp_verify_reject(
                        v, -ENODEV, "snp.chip_id_mismatch",
                        "The VCEK carries no usable hwID, so it cannot be tied to the chip");
        if (snp_verify_all_zero(rep->chip_id, sizeof(rep->chip_id)))
                return snp_verify_reject(
                        v, -ENODEV, "snp.chip_id_mismatch",
                        "The report's chip_id is zero (the platform masks it), so it cannot be "
                        "tied to the VCEK's chip");
        /* A Turin hwID is the first 8 bytes of chip_id; the rest is zero. */
        if (memcmp(rep->chip_id, e->hwid, e->hwid_size) != 0 ||
            !snp_verify_all_zero(rep->chip_id + e->hwid_size, sizeof(rep->chip_id) - e->hwid_size))
                return snp_verify_reject(
                        v, -ENODEV, "snp.chip_id_mismatch",
                        "The VCEK's hwID is not the report's chip_id: it belongs to another chip");
        v->chip_id_checked = true;
        return 0;
}

int snp_verify_report(const SnpReport *rep, const SnpEndorsement *e, SnpVerdict *v) {
        const char *what = e->role == SNP_CERT_VLEK ? "VLEK" : "VCEK";
        SnpCertRole want;
        char when[21] = "";
        int r;

        *v = e->base;
        v->signing_key = rep->signing_key;
        v->generation = rep->generation != SNP_GENERATION_UNKNOWN ? rep->generation : e->generation;
        v->tcb_layout = snp_verify_layout(rep, e);
        snp_report_tcb_decode(rep->reported_tcb.raw, v->tcb_layout, &v->reported_tcb);
        v->tcb_valid = true;

        r = snp_verify_wanted_role(rep, &want, v);
        if (r < 0)
                return r;
        if (want != e->role)
                return snp_verify_reject(
                        v, -EPROTO, "snp.signing_key",
                        "The report says it is signed with the %s, the chain is for a %s",
                        want == SNP_CERT_VCEK ? "VCEK" : "VLEK",
                        e->role == SNP_CERT_VCEK ? "VCEK" : "VLEK");

        r = snp_verify_signature(rep, e);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return snp_verify_reject(
                        v, -EKEYREJECTED, "snp.signature",
                        "The report's ECDSA P-384/SHA-384 signature does not verify with the "
                        "%s's key",
                        what);
        v->signature_checked = true;

        r = snp_verify_tcb(rep, e, v);
        if (r < 0)
                return r;
        if (e->role == SNP_CERT_VCEK) {
                r = snp_verify_chip_id(rep, e, v);
                if (r < 0)
                        return r;
        }

        (void) cert_time_format_rfc3339(v->at, when);
        snprintf(v->detail, sizeof(v->detail),
                 "The report's signature verifies with the %s%s%s%s, whose chain to the trusted "
                 "ARK is valid at "
                 "%s; the %s's TCB (bootloader %u, tee %u, snp %u, microcode %u%s) equals "
                 "reported_tcb%s",
                 what, e->product[0] ? " for '" : "", e->product, e->product[0] ? "'" : "", when,
                 what, v->reported_tcb.bootloader, v->reported_tcb.tee, v->reported_tcb.snp,
                 v->reported_tcb.microcode,
                 v->tcb_layout == SNP_TCB_LAYOUT_TURIN ? ", and fmc" : "",
                 e->role == SNP_CERT_VCEK ? " and its hwID the chip_id" : "");
        return 0;
}

int snp_verify(const uint8_t *data, size_t size, STACK_OF(X509) *certs,
               STACK_OF(X509) *trusted_arks, const time_t *at, SnpVerdict *v) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        _cleanup_(snp_endorsement_freep) SnpEndorsement *e = NULL;
        ParseError perr = {};
        char buf[256];
        int r;

        r = snp_report_parse(data, size, &rep, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *v = (SnpVerdict){.at = at ? *at : time(NULL)};
                return snp_verify_reject(v, -EBADMSG, "snp.malformed",
                                         "The report does not parse: %s",
                                         parse_error_string(&perr, buf, sizeof(buf)));
        }
        r = snp_verify_chain(rep, certs, trusted_arks, at, &e, v);
        if (r < 0)
                return r;
        return snp_verify_report(rep, e, v);
}
