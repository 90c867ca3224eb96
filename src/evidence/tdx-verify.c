/* Offline verification of DCAP ECDSA quotes with OpenSSL 3. Nothing the
 * quote says is believed before the step that vouches for it has passed:
 * the chain vouches for the PCK key, the PCK key for the QE report, the QE
 * report for the attestation key, the attestation key for header and body. */

#include "confnode/evidence/tdx-verify.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "tdx-openssl-internal.h"

/* More CRLs than Intel's PCS has (root, platform and processor CA). */
#define TDX_VERIFY_MAX_CRLS 64

/* Intel SGX Root CA, SHA-256 of the DER
 * 44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3: the
 * production root of every PCK chain, published by Intel at
 * certificates.trustedservices.intel.com. */
static const char tdx_verify_intel_root_pem[] =
        "-----BEGIN CERTIFICATE-----\n"
        "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
        "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
        "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
        "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
        "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
        "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
        "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
        "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
        "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
        "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
        "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
        "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
        "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
        "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
        "-----END CERTIFICATE-----\n";

typedef struct TdxVerifyCacheEntry {
        bool used;
        uint8_t key[32]; /* SHA-256 of the certification data bytes */
        EVP_PKEY *pck_key;
        /* The chain verified, and holds, for any time in this window: the
         * intersection of every certificate's and every CRL's validity. */
        time_t not_before, not_after;
        unsigned crls;
        char pck_subject[256];
        char root_subject[256];
        char root_sha256[65];
} TdxVerifyCacheEntry;

struct TdxVerifier {
        X509_STORE *store;
        STACK_OF(X509) * pck_chain;
        bool have_crls;
        STACK_OF(X509_CRL) * crls;
        time_t crl_not_before, crl_not_after;
        bool cache_enabled;
        TdxVerifyCacheEntry cache[TDX_VERIFY_CACHE_MAX];
        size_t cache_next;
};

void tdx_verify_crl_stack_free(STACK_OF(X509_CRL) * crls) {
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
}

static void tdx_verify_cache_clear(TdxVerifier *v) {
        for (size_t i = 0; i < ELEMENTSOF(v->cache); i++) {
                EVP_PKEY_free(v->cache[i].pck_key);
                v->cache[i] = (TdxVerifyCacheEntry){};
        }
        v->cache_next = 0;
}

void tdx_verify_free(TdxVerifier *v) {
        if (!v)
                return;
        tdx_verify_cache_clear(v);
        X509_STORE_free(v->store);
        cert_load_stack_free(v->pck_chain);
        tdx_verify_crl_stack_free(v->crls);
        free(v);
}

static int tdx_verify_asn1_time(const ASN1_TIME *t, time_t *ret) {
        struct tm tm = {};

        if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
                return -EINVAL;
        *ret = timegm(&tm);
        return 0;
}

/* CRLs are checked where they are given: a certificate whose issuer has no
 * CRL here is not an error. Everything else OpenSSL finds stands. */
static int tdx_verify_store_cb(int ok, X509_STORE_CTX *ctx) {
        if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL) {
                X509_STORE_CTX_set_error(ctx, X509_V_OK);
                return 1;
        }
        return ok;
}

int tdx_verify_new(STACK_OF(X509) * roots, STACK_OF(X509_CRL) * crls, TdxVerifier **ret) {
        _cleanup_(tdx_verify_freep) TdxVerifier *v = NULL;

        if (!roots || sk_X509_num(roots) == 0)
                return -EINVAL;
        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v->cache_enabled = true;
        v->store = X509_STORE_new();
        v->crls = sk_X509_CRL_new_null();
        if (!v->store || !v->crls)
                return -ENOMEM;
        for (int i = 0; i < sk_X509_num(roots); i++)
                if (X509_STORE_add_cert(v->store, sk_X509_value(roots, i)) != 1) {
                        /* The same root twice is harmless. */
                        unsigned long e = ERR_peek_last_error();

                        ERR_clear_error();
                        if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
                                return -ENOMEM;
                }

        v->crl_not_before = 0;
        v->crl_not_after = (time_t)LLONG_MAX;
        for (int i = 0; crls && i < sk_X509_CRL_num(crls); i++) {
                X509_CRL *crl = sk_X509_CRL_value(crls, i);
                time_t t;

                if (X509_STORE_add_crl(v->store, crl) != 1) {
                        ERR_clear_error();
                        return -ENOMEM;
                }
                if (!X509_CRL_up_ref(crl))
                        return -ENOMEM;
                if (sk_X509_CRL_push(v->crls, crl) <= 0) {
                        X509_CRL_free(crl);
                        return -ENOMEM;
                }
                if (tdx_verify_asn1_time(X509_CRL_get0_lastUpdate(crl), &t) >= 0 &&
                    t > v->crl_not_before)
                        v->crl_not_before = t;
                if (tdx_verify_asn1_time(X509_CRL_get0_nextUpdate(crl), &t) >= 0 &&
                    t < v->crl_not_after)
                        v->crl_not_after = t;
                v->have_crls = true;
        }
        if (v->have_crls)
                X509_STORE_set_flags(v->store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
        X509_STORE_set_verify_cb(v->store, tdx_verify_store_cb);
        *ret = TAKE_PTR(v);
        return 0;
}

int tdx_verify_set_pck_chain(TdxVerifier *v, STACK_OF(X509) * chain) {
        STACK_OF(X509) *copy = NULL;

        if (chain && sk_X509_num(chain) == 0)
                return -EINVAL;
        if (chain) {
                copy = X509_chain_up_ref(chain);
                if (!copy)
                        return -ENOMEM;
        }
        cert_load_stack_free(v->pck_chain);
        v->pck_chain = copy;
        return 0;
}

void tdx_verify_set_cache(TdxVerifier *v, bool enabled) {
        v->cache_enabled = enabled;
        if (!enabled)
                tdx_verify_cache_clear(v);
}

int tdx_verify_intel_root(X509 **ret) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
        int r;

        if (!certs)
                return -ENOMEM;
        r = cert_load_buffer((const uint8_t *)tdx_verify_intel_root_pem,
                             sizeof(tdx_verify_intel_root_pem) - 1, certs);
        if (r < 0)
                return r == -ENOMEM ? r : -EIO;
        *ret = sk_X509_shift(certs);
        return 0;
}

static bool tdx_verify_is_pem(const uint8_t *data, size_t size) {
        static const char armour[] = "-----BEGIN ";

        return memmem(data, size, armour, sizeof(armour) - 1) != NULL;
}

int tdx_verify_load_crls(const uint8_t *data, size_t size, STACK_OF(X509_CRL) * crls) {
        _cleanup_(tdx_verify_crl_stack_freep) STACK_OF(X509_CRL) *got = sk_X509_CRL_new_null();
        _cleanup_(BIO_freep) BIO *bio = NULL;

        if (!got)
                return -ENOMEM;
        if (!data || size == 0 || size > INT_MAX)
                return -EBADMSG;
        if (tdx_verify_is_pem(data, size)) {
                bio = BIO_new_mem_buf(data, (int)size);
                if (!bio)
                        return -ENOMEM;
                for (;;) {
                        _cleanup_(X509_CRL_freep) X509_CRL *crl = NULL;
                        unsigned long e;

                        ERR_clear_error();
                        crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
                        if (!crl) {
                                /* Running out of armour ends PEM input;
                                 * anything else is a damaged block. */
                                e = ERR_peek_last_error();
                                ERR_clear_error();
                                if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
                                    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
                                        break;
                                return -EBADMSG;
                        }
                        if (sk_X509_CRL_num(got) >= TDX_VERIFY_MAX_CRLS)
                                return -E2BIG;
                        if (sk_X509_CRL_push(got, crl) <= 0)
                                return -ENOMEM;
                        crl = NULL;
                }
        } else {
                const unsigned char *p = data;
                X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)size);

                if (!crl || p != data + size) {
                        X509_CRL_free(crl);
                        ERR_clear_error();
                        return -EBADMSG;
                }
                if (sk_X509_CRL_push(got, crl) <= 0) {
                        X509_CRL_free(crl);
                        return -ENOMEM;
                }
        }
        if (sk_X509_CRL_num(got) == 0)
                return -EBADMSG;
        if (sk_X509_CRL_num(crls) + sk_X509_CRL_num(got) > TDX_VERIFY_MAX_CRLS)
                return -E2BIG;
        while (sk_X509_CRL_num(got) > 0) {
                X509_CRL *crl = sk_X509_CRL_shift(got);

                if (sk_X509_CRL_push(crls, crl) <= 0) {
                        X509_CRL_free(crl);
                        return -ENOMEM;
                }
        }
        return 0;
}

static int tdx_verify_reject(TdxVerdict *v, int r, const char *reason, const char *fmt, ...)
        _printf_(4, 5);
static int tdx_verify_reject(TdxVerdict *v, int r, const char *reason, const char *fmt, ...) {
        va_list ap;

        v->reason = reason;
        va_start(ap, fmt);
        vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
        va_end(ap);
        return r;
}

static void tdx_verify_time(time_t t, char buf[static 21]) {
        if (cert_time_format_rfc3339(t, buf) < 0)
                snprintf(buf, 21, "%lld", (long long)t);
}

/* Turns OpenSSL's verdict on the chain into ours, naming the certificate
 * it stopped at. */
static int tdx_verify_chain_error(X509_STORE_CTX *ctx, time_t at, TdxVerdict *v) {
        int err = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
        X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
        const char *what = X509_verify_cert_error_string(err);
        char name[256] = "?", when[21], nb[21] = "?", na[21] = "?";

        if (cert) {
                cert_info_subject(cert, name, sizeof(name));
                cert_info_not_before(cert, nb);
                cert_info_not_after(cert, na);
        }
        tdx_verify_time(at, when);
        /* The issuer OpenSSL tried for a signature that fails may be the
         * trust anchor at the top of the chain. When the CA below names the
         * root's key (authority key identifier), the root is the right one
         * and the signature is damaged; when it names none, a configured
         * root that merely has the right name is not a root of this chain. */
        if (err == X509_V_ERR_CERT_SIGNATURE_FAILURE) {
                STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);

                if (chain && depth == sk_X509_num(chain) - 2 && cert &&
                    !X509_get0_authority_key_id(cert)) {
                        char root[256];

                        cert_info_subject(sk_X509_value(chain, depth + 1), root, sizeof(root));
                        return tdx_verify_reject(v, -ENOKEY, "tdx.root_untrusted",
                                                 "The PCK certificate chain does not end at a "
                                                 "configured root CA: the configured '%s' did "
                                                 "not sign '%s'",
                                                 root, name);
                }
        }
        switch (err) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID: {
                /* OpenSSL stops at the first one from the root down; the
                 * operator wants every certificate that is out of date. */
                STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
                char list[512] = "";
                size_t len = 0;

                for (int i = 0; chain && i < sk_X509_num(chain); i++) {
                        X509 *c = sk_X509_value(chain, i);
                        char cn[96], cnb[21], cna[21];
                        int k;

                        if (X509_cmp_time(X509_get0_notBefore(c), &at) < 0 &&
                            X509_cmp_time(X509_get0_notAfter(c), &at) > 0)
                                continue;
                        cert_info_common_name(c, cn, sizeof(cn));
                        cert_info_not_before(c, cnb);
                        cert_info_not_after(c, cna);
                        k = snprintf(list + len, sizeof(list) - len, "%s'%s' (valid %s to %s)",
                                     len > 0 ? ", " : "", cn, cnb, cna);
                        if (k < 0 || (size_t)k >= sizeof(list) - len)
                                break;
                        len += (size_t)k;
                }
                if (len == 0)
                        snprintf(list, sizeof(list), "'%s' (valid %s to %s)", name, nb, na);
                return tdx_verify_reject(v, -EKEYEXPIRED, "tdx.cert_expired", "Not valid at %s: %s",
                                         when, list);
        }
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_CRL_NOT_YET_VALID:
                return tdx_verify_reject(v, -EKEYEXPIRED, "tdx.cert_expired",
                                         "The CRL for certificate '%s' (depth %d) is not current "
                                         "at %s (%s)",
                                         name, depth, when, what);
        case X509_V_ERR_CERT_REVOKED:
                return tdx_verify_reject(v, -EKEYREVOKED, "tdx.cert_revoked",
                                         "Certificate '%s' (depth %d) is revoked by a given CRL",
                                         name, depth);
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_UNTRUSTED:
                return tdx_verify_reject(v, -ENOKEY, "tdx.root_untrusted",
                                         "The PCK certificate chain does not end at a configured "
                                         "root CA: %s at depth %d ('%s')",
                                         what, depth, name);
        default:
                return tdx_verify_reject(v, -EKEYREJECTED, "tdx.cert_chain",
                                         "The PCK certificate chain does not verify: %s at depth "
                                         "%d ('%s')",
                                         what, depth, name);
        }
}

/* The window in which a verified chain stays verified: every certificate
 * and every CRL valid. */
static void tdx_verify_window(TdxVerifier *v, STACK_OF(X509) * chain, time_t *ret_nb,
                              time_t *ret_na) {
        time_t nb = v->crl_not_before, na = v->crl_not_after, t;

        for (int i = 0; i < sk_X509_num(chain); i++) {
                X509 *c = sk_X509_value(chain, i);

                if (tdx_verify_asn1_time(X509_get0_notBefore(c), &t) < 0)
                        t = (time_t)LLONG_MAX; /* never cached */
                if (t > nb)
                        nb = t;
                if (tdx_verify_asn1_time(X509_get0_notAfter(c), &t) < 0)
                        t = 0;
                if (t < na)
                        na = t;
        }
        *ret_nb = nb;
        *ret_na = na;
}

static unsigned tdx_verify_count_crls(TdxVerifier *v, STACK_OF(X509) * chain) {
        unsigned n = 0;

        for (int i = 0; i < sk_X509_CRL_num(v->crls); i++) {
                X509_NAME *issuer = X509_CRL_get_issuer(sk_X509_CRL_value(v->crls, i));

                for (int j = 0; j < sk_X509_num(chain); j++)
                        if (X509_NAME_cmp(issuer, X509_get_subject_name(sk_X509_value(chain, j))) ==
                            0) {
                                n++;
                                break;
                        }
        }
        return n;
}

/* Step 1: the PCK chain. On success *ret_key is the PCK leaf's key (a new
 * reference) and the verdict names the leaf and the root. */
static int tdx_verify_chain(TdxVerifier *v, const TdxQuote *q, time_t at, TdxVerdict *ret,
                            EVP_PKEY **ret_key) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL, *chain = NULL;
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = NULL;
        TdxVerifyCacheEntry *e = NULL;
        uint8_t key[32];
        bool cacheable = false;
        X509 *leaf, *root;
        EVP_PKEY *pk;
        int r;

        if (q->pck_cert_data_type == TDX_CERT_PCK_CHAIN) {
                r = tdx_openssl_digest(sizeof(key), q->pck_cert_data, q->pck_cert_data_size, key);
                if (r < 0)
                        return r;
                cacheable = v->cache_enabled;
                for (size_t i = 0; cacheable && i < ELEMENTSOF(v->cache); i++) {
                        TdxVerifyCacheEntry *c = &v->cache[i];

                        if (c->used && memcmp(c->key, key, sizeof(key)) == 0 &&
                            at >= c->not_before && at <= c->not_after) {
                                if (!EVP_PKEY_up_ref(c->pck_key))
                                        return -ENOMEM;
                                ret->chain_checked = ret->chain_cached = true;
                                ret->crls = c->crls;
                                memcpy(ret->pck_subject, c->pck_subject, sizeof(ret->pck_subject));
                                memcpy(ret->root_subject, c->root_subject,
                                       sizeof(ret->root_subject));
                                memcpy(ret->root_sha256, c->root_sha256, sizeof(ret->root_sha256));
                                *ret_key = c->pck_key;
                                return 0;
                        }
                }
                certs = sk_X509_new_null();
                if (!certs)
                        return -ENOMEM;
                r = cert_load_buffer(q->pck_cert_data, q->pck_cert_data_size, certs);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return tdx_verify_reject(ret, -EBADMSG, "tdx.malformed",
                                                 "The certification data of type 5 is not a PEM "
                                                 "certificate chain");
        } else {
                const char *name = tdx_quote_cert_type_to_string(q->pck_cert_data_type);

                if (q->pck_cert_data_type < TDX_CERT_PPID_CLEARTEXT ||
                    q->pck_cert_data_type > TDX_CERT_PCK_CLEARTEXT)
                        return tdx_verify_reject(ret, -EOPNOTSUPP, "tdx.unsupported",
                                                 "Certification data of type %u (%s) cannot "
                                                 "vouch for the QE report; a PCK certificate "
                                                 "chain (type 5) is needed",
                                                 q->pck_cert_data_type, name ?: "unknown");
                if (!v->pck_chain)
                        return tdx_verify_reject(ret, -EOPNOTSUPP, "tdx.unsupported",
                                                 "Certification data of type %u (%s) names the "
                                                 "platform but carries no PCK certificate chain; "
                                                 "give the PCK certificate and its CA to check it",
                                                 q->pck_cert_data_type, name);
                certs = X509_chain_up_ref(v->pck_chain);
                if (!certs)
                        return -ENOMEM;
        }

        ret->chain_checked = true;
        leaf = sk_X509_value(certs, 0);
        ctx = X509_STORE_CTX_new();
        if (!ctx || X509_STORE_CTX_init(ctx, v->store, leaf, certs) != 1) {
                ERR_clear_error();
                return -ENOMEM;
        }
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
        r = X509_verify_cert(ctx);
        ERR_clear_error();
        if (r != 1)
                return tdx_verify_chain_error(ctx, at, ret);

        chain = X509_STORE_CTX_get1_chain(ctx);
        if (!chain || sk_X509_num(chain) == 0)
                return -ENOMEM;
        root = sk_X509_value(chain, sk_X509_num(chain) - 1);
        cert_info_subject(leaf, ret->pck_subject, sizeof(ret->pck_subject));
        cert_info_subject(root, ret->root_subject, sizeof(ret->root_subject));

        /* OpenSSL takes the configured root over the quote's copy of it,
         * and ignores what it does not need. A quote whose chain carries
         * another root, or a certificate outside the chain, is not the
         * chain Intel issued, whatever else verified. */
        for (int i = 0; i < sk_X509_num(certs); i++) {
                X509 *c = sk_X509_value(certs, i);
                bool found = false;
                char name[256];

                for (int j = 0; j < sk_X509_num(chain) && !found; j++)
                        found = X509_cmp(c, sk_X509_value(chain, j)) == 0;
                if (found)
                        continue;
                cert_info_subject(c, name, sizeof(name));
                if (X509_NAME_cmp(X509_get_subject_name(c), X509_get_subject_name(root)) == 0)
                        return tdx_verify_reject(ret, -ENOKEY, "tdx.root_untrusted",
                                                 "The quote's chain ends at a '%s' that is not "
                                                 "the configured root CA of that name",
                                                 name);
                return tdx_verify_reject(ret, -EKEYREJECTED, "tdx.cert_chain",
                                         "The quote's chain carries '%s', which is not part of "
                                         "the chain from the PCK certificate to the root CA",
                                         name);
        }
        r = cert_info_fingerprint(root, ret->root_sha256);
        if (r < 0)
                return r;
        ret->crls = tdx_verify_count_crls(v, chain);

        pk = X509_get0_pubkey(leaf);
        if (!pk || !EVP_PKEY_is_a(pk, "EC") || EVP_PKEY_get_bits(pk) != 256)
                return tdx_verify_reject(ret, -EKEYREJECTED, "tdx.qe_report_signature",
                                         "The PCK certificate '%s' does not hold an ECDSA P-256 "
                                         "key, so it cannot have signed the QE report",
                                         ret->pck_subject);
        if (!EVP_PKEY_up_ref(pk))
                return -ENOMEM;

        if (cacheable) {
                e = &v->cache[v->cache_next];
                v->cache_next = (v->cache_next + 1) % ELEMENTSOF(v->cache);
                EVP_PKEY_free(e->pck_key);
                *e = (TdxVerifyCacheEntry){.used = true, .crls = ret->crls};
                memcpy(e->key, key, sizeof(key));
                tdx_verify_window(v, chain, &e->not_before, &e->not_after);
                memcpy(e->pck_subject, ret->pck_subject, sizeof(e->pck_subject));
                memcpy(e->root_subject, ret->root_subject, sizeof(e->root_subject));
                memcpy(e->root_sha256, ret->root_sha256, sizeof(e->root_sha256));
                if (EVP_PKEY_up_ref(pk))
                        e->pck_key = pk;
                else
                        e->used = false;
        }
        *ret_key = pk;
        return 0;
}

/* Step 3: the QE report vouches for the attestation key (and the QE
 * authentication data) by carrying their hash in its report_data. */
static bool tdx_verify_qe_binding(const TdxQuote *q) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        static const uint8_t zero[32] = {};
        uint8_t h[32];
        unsigned n = 0;

        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(ctx, q->attest_key, sizeof(q->attest_key)) != 1 ||
            (q->qe_auth_data_size > 0 &&
             EVP_DigestUpdate(ctx, q->qe_auth_data, q->qe_auth_data_size) != 1) ||
            EVP_DigestFinal_ex(ctx, h, &n) != 1 || n != sizeof(h)) {
                ERR_clear_error();
                return false;
        }
        return memcmp(q->qe_report.report_data, h, sizeof(h)) == 0 &&
               memcmp(q->qe_report.report_data + 32, zero, sizeof(zero)) == 0;
}

int tdx_verify_quote(TdxVerifier *v, const uint8_t *data, size_t size, time_t at, TdxVerdict *ret) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pck = NULL, *ak = NULL;
        TdxQuote *q = &ret->quote;
        ParseError perr = {};
        char buf[256];
        int r;

        *ret = (TdxVerdict){};
        r = tdx_quote_parse(data, size, q, &perr);
        if (r == -EOPNOTSUPP)
                return tdx_verify_reject(ret, r, "tdx.unsupported",
                                         "The quote is of a kind this verifier does not check: %s",
                                         parse_error_string(&perr, buf, sizeof(buf)));
        if (r < 0)
                return tdx_verify_reject(ret, -EBADMSG, "tdx.malformed",
                                         "The quote does not decode: %s",
                                         parse_error_string(&perr, buf, sizeof(buf)));
        ret->quote_valid = true;
        if (!q->has_qe_report) {
                const char *name = tdx_quote_cert_type_to_string(q->cert_data_type);

                return tdx_verify_reject(ret, -EOPNOTSUPP, "tdx.unsupported",
                                         "Certification data of type %u (%s) carries no QE "
                                         "report; a version %u quote needs type 6",
                                         q->cert_data_type, name ?: "unknown", q->version);
        }

        r = tdx_verify_chain(v, q, at, ret, &pck);
        if (r < 0)
                return r;

        ret->qe_report_checked = true;
        r = tdx_openssl_verify_p256(pck, q->qe_report_signature, q->qe_report_raw,
                                    TDX_QUOTE_SGX_BODY_SIZE);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return tdx_verify_reject(ret, r, "tdx.qe_report_signature",
                                         "The QE report is not signed by the key of the PCK "
                                         "certificate '%s'",
                                         ret->pck_subject);

        ret->qe_binding_checked = true;
        if (!tdx_verify_qe_binding(q))
                return tdx_verify_reject(ret, -EKEYREJECTED, "tdx.qe_binding",
                                         "The QE report's report_data is not SHA-256(attestation "
                                         "key || QE authentication data) followed by zeros: the "
                                         "Quoting Enclave does not vouch for this attestation key");

        ret->signature_checked = true;
        r = tdx_openssl_p256_key(q->attest_key, &ak);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return tdx_verify_reject(ret, -EKEYREJECTED, "tdx.signature",
                                         "The attestation key is not a point on P-256");
        r = tdx_openssl_verify_p256(ak, q->signature, q->signed_data, q->signed_size);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return tdx_verify_reject(ret, r, "tdx.signature",
                                         "The quote signature over the header and the %s does "
                                         "not verify with the attestation key",
                                         tdx_quote_body_type_to_string(q->body_type));

        snprintf(ret->detail, sizeof(ret->detail),
                 "The PCK chain of '%s' verifies to '%s'%s, the PCK signed the QE report, the QE "
                 "report vouches for the attestation key, and the attestation key signed the "
                 "quote",
                 ret->pck_subject, ret->root_subject, ret->crls > 0 ? " with the given CRLs" : "");
        return 0;
}
