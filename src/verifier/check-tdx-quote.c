/* check --type tdx-quote: verifies an Intel DCAP quote (TDX v4/v5, SGX v3)
 * offline: PCK chain to a root CA at a given time (with CRLs where given),
 * QE report signature, QE binding of the attestation key, quote signature.
 * Without --root-ca the Intel SGX Root CA is the trust anchor. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "verbs.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/evidence/tdx-quote.h"
#include "confnode/evidence/tdx-verify.h"

/* A quote is a few KiB (a PCK chain of three certificates); CRLs from
 * Intel's PCS are tens of KiB. */
#define CHECK_TDX_QUOTE_MAX_FILE (1024u * 1024)
#define CHECK_TDX_QUOTE_MAX_OPTS 16

typedef struct CheckTdxQuote {
        const char *quote_path;
        const char *root_paths[CHECK_TDX_QUOTE_MAX_OPTS];
        size_t n_roots;
        const char *crl_paths[CHECK_TDX_QUOTE_MAX_OPTS];
        size_t n_crls;
        const char *pck_chain_path;
        const char *at_string;
        time_t at;
} CheckTdxQuote;

static void check_tdx_quote_help(void) {
        printf("Usage: confnode-verifier check --type tdx-quote FILE [--root-ca PEM] [--crl FILE]… "
               "[--pck-chain PEM] [--at TIME]\n"
               "\n"
               "Verifies an Intel DCAP quote (TDX v4/v5, SGX v3): the PCK certificate chain to a\n"
               "root CA, the QE report signed by the PCK, the QE's binding of the attestation "
               "key,\n"
               "and the quote signature. The TCB level (Intel TCB info) is not judged.\n"
               "\n"
               "  FILE               The quote (padding after it is ignored)\n"
               "  -r, --root-ca PEM  Trusted root CA(s), a file or a directory; may be repeated\n"
               "                     (default: the built-in Intel SGX Root CA)\n"
               "  -c, --crl FILE     A CRL (PEM or DER) to check the chain against where it\n"
               "                     applies; may be repeated\n"
               "  -p, --pck-chain PEM  PCK certificate and its CA, for a quote whose "
               "certification\n"
               "                     data names the platform (PPID) instead of carrying its chain\n"
               "  -a, --at TIME      Verification time, RFC 3339 (default: now)\n"
               "\n"
               "Exit status: 0 verified, 1 rejected, 2 bad usage or unreadable/malformed input.\n");
}

static int check_tdx_quote_parse_args(int argc, char *argv[], CheckTdxQuote *c) {
        static const struct option opts[] = {
                {"type", required_argument, NULL, 't'},
                {"root-ca", required_argument, NULL, 'r'},
                {"crl", required_argument, NULL, 'c'},
                {"pck-chain", required_argument, NULL, 'p'},
                {"at", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int o, r;

        while ((o = getopt_long(argc, argv, "t:r:c:p:a:h", opts, NULL)) >= 0) {
                switch (o) {
                case 't':
                        break; /* check.c matched it already */
                case 'r':
                        if (c->n_roots >= CHECK_TDX_QUOTE_MAX_OPTS) {
                                log_error("At most %d --root-ca options", CHECK_TDX_QUOTE_MAX_OPTS);
                                return -E2BIG;
                        }
                        c->root_paths[c->n_roots++] = optarg;
                        break;
                case 'c':
                        if (c->n_crls >= CHECK_TDX_QUOTE_MAX_OPTS) {
                                log_error("At most %d --crl options", CHECK_TDX_QUOTE_MAX_OPTS);
                                return -E2BIG;
                        }
                        c->crl_paths[c->n_crls++] = optarg;
                        break;
                case 'p':
                        c->pck_chain_path = optarg;
                        break;
                case 'a':
                        c->at_string = optarg;
                        break;
                case 'h':
                        check_tdx_quote_help();
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind + 1 != argc) {
                log_error("check --type tdx-quote needs exactly one FILE (the quote); see "
                          "'confnode-verifier check --type tdx-quote --help'");
                return -EINVAL;
        }
        c->quote_path = argv[optind];
        if (c->at_string) {
                r = cert_time_parse_rfc3339(c->at_string, &c->at);
                if (r < 0) {
                        log_error("--at '%s' is not an RFC 3339 time (2023-07-01T00:00:00Z)",
                                  c->at_string);
                        return r;
                }
        } else
                c->at = time(NULL);
        return 1;
}

static int check_tdx_quote_roots(const CheckTdxQuote *c, STACK_OF(X509) * roots) {
        int r;

        if (c->n_roots == 0) {
                X509 *intel = NULL;

                r = tdx_verify_intel_root(&intel);
                if (r < 0)
                        return log_error_errno(r, "Cannot load the built-in Intel SGX Root CA: %m");
                if (sk_X509_push(roots, intel) <= 0) {
                        X509_free(intel);
                        return log_error_errno(ENOMEM, "Out of memory");
                }
                return 0;
        }
        for (size_t i = 0; i < c->n_roots; i++) {
                r = cert_load_path(c->root_paths[i], roots, NULL);
                if (r < 0)
                        return log_error_errno(r, "Cannot load --root-ca '%s': %m",
                                               c->root_paths[i]);
        }
        return 0;
}

static int check_tdx_quote_crls(const CheckTdxQuote *c, STACK_OF(X509_CRL) * crls) {
        for (size_t i = 0; i < c->n_crls; i++) {
                _cleanup_free_ uint8_t *data = NULL;
                size_t size;
                int r;

                r = read_full_file(c->crl_paths[i], CHECK_TDX_QUOTE_MAX_FILE, &data, &size);
                if (r < 0)
                        return log_error_errno(r, "Cannot read --crl '%s': %m", c->crl_paths[i]);
                r = tdx_verify_load_crls(data, size, crls);
                if (r < 0)
                        return log_error_errno(r, "--crl '%s' is not a CRL (PEM or DER): %m",
                                               c->crl_paths[i]);
        }
        return 0;
}

static int check_tdx_quote_add_bool(json_object *o, const char *key, bool b) {
        json_object *v = json_object_new_boolean(b);

        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* What the verdict vouches for, when the quote decoded: the values a
 * policy looks at next. */
static int check_tdx_quote_values(const TdxQuote *q, json_object *out) {
        static const char *const rtmr[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
        int r;

        if ((r = json_add_u64(out, "version", q->version)) < 0 ||
            (r = json_add_string(out, "tee", tdx_quote_tee_type_to_string(q->tee_type))) < 0)
                return r;
        if (q->body_type == TDX_QUOTE_BODY_SGX) {
                if ((r = json_add_hex(out, "mrenclave", q->sgx.mrenclave,
                                      sizeof(q->sgx.mrenclave))) < 0 ||
                    (r = json_add_hex(out, "mrsigner", q->sgx.mrsigner, sizeof(q->sgx.mrsigner))) <
                            0)
                        return r;
        } else {
                r = json_add_hex(out, "mrtd", q->td.mrtd, sizeof(q->td.mrtd));
                for (size_t i = 0; r >= 0 && i < 4; i++)
                        r = json_add_hex(out, rtmr[i], q->td.rtmr[i], sizeof(q->td.rtmr[i]));
                if (r < 0)
                        return r;
        }
        return json_add_hex(out, "report_data", tdx_quote_report_data(q), 64);
}

static int check_tdx_quote_emit(const CheckTdxQuote *c, const TdxVerdict *v, int verdict) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(), *checked = NULL;
        char at[21];
        int r;

        checked = json_object_new_object();
        if (!out || !checked)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_USAGE;
        if (cert_time_format_rfc3339(c->at, at) < 0)
                snprintf(at, sizeof(at), "?");
        if ((r = check_tdx_quote_add_bool(out, "verified", verdict == 0)) < 0 ||
            (r = json_add_string(out, "reason", v->reason ?: "ok")) < 0 ||
            (r = json_add_string(out, "detail", v->detail)) < 0 ||
            (r = json_add_string(out, "type", "tdx-quote")) < 0 ||
            (r = json_add_string(out, "at", at)) < 0 ||
            (r = check_tdx_quote_add_bool(checked, "chain", v->chain_checked)) < 0 ||
            (r = check_tdx_quote_add_bool(checked, "qe_report", v->qe_report_checked)) < 0 ||
            (r = check_tdx_quote_add_bool(checked, "qe_binding", v->qe_binding_checked)) < 0 ||
            (r = check_tdx_quote_add_bool(checked, "signature", v->signature_checked)) < 0 ||
            (r = check_tdx_quote_add_bool(checked, "tcb", false)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (json_object_object_add(out, "checked", checked) < 0)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_USAGE;
        checked = NULL;
        if (v->root_subject[0] &&
            ((r = json_add_string(out, "pck_subject", v->pck_subject)) < 0 ||
             (r = json_add_string(out, "root_subject", v->root_subject)) < 0 ||
             (r = json_add_string(out, "root_sha256", v->root_sha256)) < 0 ||
             (r = json_add_u64(out, "crls", v->crls)) < 0))
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (verdict == 0 &&
            (r = json_add_string(out, "note",
                                 "The TCB level was not judged: that needs Intel's TCB info for "
                                 "the platform")) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (v->quote_valid && (r = check_tdx_quote_values(&v->quote, out)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;

        r = json_print(out, stdout);
        if (r < 0)
                return log_error_errno(r, "Failed to write the verdict: %m"), EXIT_USAGE;
        if (verdict == 0)
                return EXIT_VERIFIED;
        return strcmp(v->reason, "tdx.malformed") == 0 ? EXIT_USAGE : EXIT_REJECTED;
}

int check_tdx_quote(int argc, char *argv[]) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *roots = sk_X509_new_null(), *pck = NULL;
        _cleanup_(tdx_verify_crl_stack_freep) STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
        _cleanup_(tdx_verify_freep) TdxVerifier *verifier = NULL;
        _cleanup_free_ uint8_t *quote = NULL;
        CheckTdxQuote c = {};
        TdxVerdict v;
        size_t size;
        int r;

        if (!roots || !crls)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_USAGE;
        r = check_tdx_quote_parse_args(argc, argv, &c);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_VERIFIED;
        r = read_full_file(c.quote_path, CHECK_TDX_QUOTE_MAX_FILE, &quote, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot read FILE '%s': %m", c.quote_path), EXIT_USAGE;
        if (check_tdx_quote_roots(&c, roots) < 0 || check_tdx_quote_crls(&c, crls) < 0)
                return EXIT_USAGE;
        if (c.pck_chain_path) {
                pck = sk_X509_new_null();
                if (!pck)
                        return log_error_errno(ENOMEM, "Out of memory"), EXIT_USAGE;
                r = cert_load_path(c.pck_chain_path, pck, NULL);
                if (r < 0)
                        return log_error_errno(r, "Cannot load --pck-chain '%s': %m",
                                               c.pck_chain_path),
                               EXIT_USAGE;
        }

        r = tdx_verify_new(roots, crls, &verifier);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the verifier: %m"), EXIT_USAGE;
        if (pck) {
                r = tdx_verify_set_pck_chain(verifier, pck);
                if (r < 0)
                        return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        }
        r = tdx_verify_quote(verifier, quote, size, c.at, &v);
        if (r < 0 && !v.reason)
                return log_error_errno(r, "Verification failed: %m"), EXIT_USAGE;
        return check_tdx_quote_emit(&c, &v, r);
}
