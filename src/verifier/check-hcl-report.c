/* check --type hcl-report: verifies an Azure HCL report offline, from the
 * hardware up: the TEE report (an SNP report with its VCEK chain from
 * --certs; for TDX, the TD quote given with --td-quote, made from the TD
 * report the HCL report carries), then the runtime-data binding, which
 * vouches for the vTPM attestation key the verdict hands on for the TPM
 * quote check. Without --certs (SNP) or --td-quote (TDX) only the binding
 * is checked, and the verdict says that nothing vouches for the TEE report.
 *
 * Trust: as for snp-report, --trust-ark pins the ARK, otherwise the
 * self-signed ARK among --certs is used and the verdict says "unpinned";
 * the TD quote chains to --root-ca, by default the Intel SGX Root CA. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "verbs.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/evidence/az-hcl.h"
#include "confnode/evidence/az-verify.h"
#include "confnode/evidence/snp-verify.h"
#include "confnode/evidence/tdx-verify.h"

/* The NV index holds a few KiB; a TD quote and CRLs are no larger than
 * what check --type tdx-quote reads. */
#define CHECK_HCL_MAX_FILE (1024u * 1024)
#define CHECK_HCL_MAX_OPTS 16

typedef struct CheckHcl {
        const char *report_path;
        const char *cert_paths[CHECK_HCL_MAX_OPTS];
        size_t n_cert_paths;
        const char *trust_path;
        const char *td_quote_path;
        const char *root_paths[CHECK_HCL_MAX_OPTS];
        size_t n_roots;
        const char *crl_paths[CHECK_HCL_MAX_OPTS];
        size_t n_crls;
        const char *at_text;
        time_t at;
} CheckHcl;

/* What the verdict is made of, step by step. */
typedef struct CheckHclResult {
        const char *reason;
        char detail[1024];
        bool tee_checked;      /* the TEE report (or the TD quote) verified */
        bool td_quote_matched; /* the TD quote was made from the TD report */
        bool binding_checked;
        const char *note;
        SnpVerdict snp;
        bool snp_ran;
        TdxVerdict tdx;
        bool tdx_ran;
        AzVerdict az;
        EVP_PKEY *ak;
} CheckHclResult;

static void check_hcl_help(void) {
        printf("Usage: confnode-verifier check --type hcl-report FILE [--certs DIR|FILE]… "
               "[--trust-ark PEM]\n"
               "                               [--td-quote FILE [--root-ca PEM]… [--crl FILE]…] "
               "[--at TIME]\n"
               "\n"
               "Verifies an Azure vTPM HCL report (NV index 0x01400001): the TEE report, then "
               "that\n"
               "its report_data begins with the hash of the runtime data, which holds the vTPM\n"
               "attestation key (printed as PEM for the TPM quote check).\n"
               "\n"
               "  FILE                 The HCL report (the NV index contents)\n"
               "  -c, --certs PATH     SNP: VCEK, ASK and ARK (files or directories); may be "
               "repeated\n"
               "  -T, --trust-ark PEM  SNP: the ARK(s) to trust (default: the self-signed ARK of\n"
               "                       --certs, reported as \"unpinned\")\n"
               "  -q, --td-quote FILE  TDX: the TD quote made from the HCL report's TD report\n"
               "  -r, --root-ca PEM    TDX: root CA(s) for the quote's PCK chain (default: the\n"
               "                       built-in Intel SGX Root CA); may be repeated\n"
               "  -l, --crl FILE       TDX: a CRL (PEM or DER) for the PCK chain; may be repeated\n"
               "  -a, --at TIME        Verification time, RFC 3339 (default: now)\n"
               "\n"
               "Without --certs (SNP) or --td-quote (TDX) only the runtime-data binding is "
               "checked.\n"
               "Exit status: 0 verified, 1 rejected, 2 bad usage or unreadable/malformed input.\n");
}

static int check_hcl_push(const char **list, size_t *n, const char *option, const char *value) {
        if (*n >= CHECK_HCL_MAX_OPTS) {
                log_error("At most %d %s options", CHECK_HCL_MAX_OPTS, option);
                return -E2BIG;
        }
        list[(*n)++] = value;
        return 0;
}

static int check_hcl_parse_args(int argc, char *argv[], CheckHcl *c) {
        static const struct option opts[] = {
                {"type", required_argument, NULL, 't'},
                {"certs", required_argument, NULL, 'c'},
                {"trust-ark", required_argument, NULL, 'T'},
                {"td-quote", required_argument, NULL, 'q'},
                {"root-ca", required_argument, NULL, 'r'},
                {"crl", required_argument, NULL, 'l'},
                {"at", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int o, r;

        while ((o = getopt_long(argc, argv, "t:c:T:q:r:l:a:h", opts, NULL)) >= 0) {
                switch (o) {
                case 't':
                        break; /* check.c matched it already */
                case 'c':
                        r = check_hcl_push(c->cert_paths, &c->n_cert_paths, "--certs", optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'T':
                        c->trust_path = optarg;
                        break;
                case 'q':
                        c->td_quote_path = optarg;
                        break;
                case 'r':
                        r = check_hcl_push(c->root_paths, &c->n_roots, "--root-ca", optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'l':
                        r = check_hcl_push(c->crl_paths, &c->n_crls, "--crl", optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'a':
                        c->at_text = optarg;
                        break;
                case 'h':
                        check_hcl_help();
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind + 1 != argc) {
                log_error("check --type hcl-report needs exactly one FILE (the HCL report); see "
                          "'confnode-verifier check --type hcl-report --help'");
                return -EINVAL;
        }
        c->report_path = argv[optind];
        if (c->at_text) {
                r = cert_time_parse_rfc3339(c->at_text, &c->at);
                if (r < 0) {
                        log_error("--at '%s' is not an RFC 3339 time (2023-07-01T00:00:00Z)",
                                  c->at_text);
                        return r;
                }
        } else
                c->at = time(NULL);
        return 1;
}

static void check_hcl_reject(CheckHclResult *res, const char *reason, const char *detail) {
        res->reason = reason;
        snprintf(res->detail, sizeof(res->detail), "%s", detail);
}

/* SNP: the VCEK chain from --certs (ARK pinned or not, as check
 * --type snp-report does), then the report's signature, TCB and chip. */
static int check_hcl_snp(const CheckHcl *c, const AzHclReport *rep, CheckHclResult *res) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null(),
                                                        *trusted = sk_X509_new_null();
        _cleanup_(snp_endorsement_freep) SnpEndorsement *e = NULL;
        int r;

        if (!certs || !trusted)
                return log_error_errno(ENOMEM, "Out of memory");
        for (size_t i = 0; i < c->n_cert_paths; i++) {
                r = cert_load_path(c->cert_paths[i], certs, NULL);
                if (r < 0)
                        return log_error_errno(r, "Cannot load --certs '%s': %m", c->cert_paths[i]);
        }
        if (c->trust_path) {
                r = cert_load_file(c->trust_path, trusted);
                if (r < 0)
                        return log_error_errno(r, "Cannot load --trust-ark '%s': %m",
                                               c->trust_path);
        } else
                for (int i = 0; i < sk_X509_num(certs); i++) {
                        X509 *cert = sk_X509_value(certs, i);

                        if (!cert_info_is_self_signed(cert))
                                continue;
                        if (X509_up_ref(cert) != 1 || sk_X509_push(trusted, cert) <= 0)
                                return log_error_errno(ENOMEM, "Out of memory");
                }

        res->snp_ran = true;
        r = snp_verify_chain(rep->snp, certs, trusted, &c->at, &e, &res->snp);
        if (r >= 0)
                r = snp_verify_report(rep->snp, e, &res->snp);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory");
        if (r < 0 && !res->snp.reason)
                return log_error_errno(r, "SNP verification failed: %m");
        if (r < 0) {
                check_hcl_reject(res, res->snp.reason, res->snp.detail);
                return 0;
        }
        res->tee_checked = true;
        return 0;
}

/* TDX: the TD quote to the Intel root, then that it was made from the TD
 * report in the HCL report. */
static int check_hcl_tdx(const CheckHcl *c, const AzHclReport *rep, const uint8_t *quote,
                         size_t size, CheckHclResult *res) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *roots = sk_X509_new_null();
        _cleanup_(tdx_verify_crl_stack_freep) STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
        _cleanup_(tdx_verify_freep) TdxVerifier *verifier = NULL;
        int r;

        if (!roots || !crls)
                return log_error_errno(ENOMEM, "Out of memory");
        if (c->n_roots == 0) {
                X509 *intel = NULL;

                r = tdx_verify_intel_root(&intel);
                if (r < 0)
                        return log_error_errno(r, "Cannot load the built-in Intel SGX Root CA: %m");
                if (sk_X509_push(roots, intel) <= 0) {
                        X509_free(intel);
                        return log_error_errno(ENOMEM, "Out of memory");
                }
        }
        for (size_t i = 0; i < c->n_roots; i++) {
                r = cert_load_path(c->root_paths[i], roots, NULL);
                if (r < 0)
                        return log_error_errno(r, "Cannot load --root-ca '%s': %m",
                                               c->root_paths[i]);
        }
        for (size_t i = 0; i < c->n_crls; i++) {
                _cleanup_free_ uint8_t *data = NULL;
                size_t n;

                r = read_full_file(c->crl_paths[i], CHECK_HCL_MAX_FILE, &data, &n);
                if (r < 0)
                        return log_error_errno(r, "Cannot read --crl '%s': %m", c->crl_paths[i]);
                r = tdx_verify_load_crls(data, n, crls);
                if (r < 0)
                        return log_error_errno(r, "--crl '%s' is not a CRL (PEM or DER): %m",
                                               c->crl_paths[i]);
        }
        r = tdx_verify_new(roots, crls, &verifier);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the TDX verifier: %m");

        res->tdx_ran = true;
        r = tdx_verify_quote(verifier, quote, size, c->at, &res->tdx);
        if (r < 0 && !res->tdx.reason)
                return log_error_errno(r, "TD quote verification failed: %m");
        if (r < 0) {
                check_hcl_reject(res, res->tdx.reason, res->tdx.detail);
                return 0;
        }
        if (res->tdx.quote.body_type == TDX_QUOTE_BODY_SGX) {
                check_hcl_reject(res, "az.td_quote_mismatch",
                                 "--td-quote is an SGX quote, not a TD quote");
                return 0;
        }
        res->tee_checked = true;
        r = az_verify_td_quote(rep, &res->tdx.quote, &res->az);
        if (r < 0) {
                check_hcl_reject(res, res->az.reason, res->az.detail);
                return 0;
        }
        res->td_quote_matched = true;
        return 0;
}

static int check_hcl_add_bool(json_object *o, const char *key, bool b) {
        json_object *v = json_object_new_boolean(b);

        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int check_hcl_ak_pem(EVP_PKEY *ak, json_object *out) {
        BIO *bio = BIO_new(BIO_s_mem());
        char *p = NULL, *pem;
        long n;
        int r;

        if (!bio)
                return -ENOMEM;
        if (PEM_write_bio_PUBKEY(bio, ak) != 1 || (n = BIO_get_mem_data(bio, &p)) <= 0) {
                ERR_clear_error();
                BIO_free(bio);
                return -ENOMEM;
        }
        pem = strndup(p, (size_t)n);
        BIO_free(bio);
        if (!pem)
                return -ENOMEM;
        r = json_add_string(out, "ak_pem", pem);
        free(pem);
        return r;
}

static int check_hcl_emit(const CheckHcl *c, const AzHclReport *rep, const CheckHclResult *res) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(), *checked = NULL;
        bool verified = !res->reason;
        char at[21];
        int r;

        checked = json_object_new_object();
        if (!out || !checked)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_USAGE;
        if (cert_time_format_rfc3339(c->at, at) < 0)
                snprintf(at, sizeof(at), "?");
        if ((r = check_hcl_add_bool(out, "verified", verified)) < 0 ||
            (r = json_add_string(out, "reason", res->reason ?: "ok")) < 0 ||
            (r = json_add_string(out, "detail", res->detail)) < 0 ||
            (r = json_add_string(out, "type", "hcl-report")) < 0 ||
            (r = json_add_string(out, "at", at)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (rep &&
            (r = json_add_string(out, "tee", az_hcl_report_type_to_string(rep->report_type))) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if ((r = check_hcl_add_bool(checked, "tee_report", res->tee_checked)) < 0 ||
            (r = check_hcl_add_bool(checked, "td_quote_match", res->td_quote_matched)) < 0 ||
            (r = check_hcl_add_bool(checked, "runtime_data_binding", res->binding_checked)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (json_object_object_add(out, "checked", checked) < 0)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_USAGE;
        checked = NULL;
        if (res->note && (r = json_add_string(out, "note", res->note)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (res->snp_ran && !c->trust_path &&
            (r = json_add_string(out, "ark_trust", "unpinned")) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (res->snp_ran && c->trust_path && (r = json_add_string(out, "ark_trust", "pinned")) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (res->snp_ran && res->snp.ark.present &&
            ((r = json_add_string(out, "ark_subject", res->snp.ark.subject)) < 0 ||
             (r = json_add_string(out, "ark_sha256", res->snp.ark.sha256)) < 0))
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (res->tdx_ran && res->tdx.root_subject[0] &&
            ((r = json_add_string(out, "root_subject", res->tdx.root_subject)) < 0 ||
             (r = json_add_string(out, "root_sha256", res->tdx.root_sha256)) < 0))
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (rep && (r = json_add_hex(out, "report_data", az_hcl_report_data(rep), 64)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (res->az.hash_size > 0 &&
            (r = json_add_hex(out, "runtime_data_hash", res->az.runtime_data_hash,
                              res->az.hash_size)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (res->ak && (r = check_hcl_ak_pem(res->ak, out)) < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;

        r = json_print(out, stdout);
        if (r < 0)
                return log_error_errno(r, "Failed to write the verdict: %m"), EXIT_USAGE;
        if (verified)
                return EXIT_VERIFIED;
        return strcmp(res->reason, "az.malformed") == 0 ? EXIT_USAGE : EXIT_REJECTED;
}

int check_hcl_report(int argc, char *argv[]) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        _cleanup_free_ uint8_t *data = NULL, *quote = NULL;
        CheckHclResult res = {};
        ParseError perr = {};
        size_t size, quote_size = 0;
        CheckHcl c = {};
        char buf[256];
        int r, ret;

        r = check_hcl_parse_args(argc, argv, &c);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_VERIFIED;
        r = read_full_file(c.report_path, CHECK_HCL_MAX_FILE, &data, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot read FILE '%s': %m", c.report_path), EXIT_USAGE;
        if (c.td_quote_path) {
                r = read_full_file(c.td_quote_path, CHECK_HCL_MAX_FILE, &quote, &quote_size);
                if (r < 0)
                        return log_error_errno(r, "Cannot read --td-quote '%s': %m",
                                               c.td_quote_path),
                               EXIT_USAGE;
        }

        r = az_hcl_parse(data, size, &rep, &perr);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (r < 0) {
                res.reason = r == -EOPNOTSUPP ? "az.unsupported" : "az.malformed";
                snprintf(res.detail, sizeof(res.detail), "'%s' is not an HCL report%s: %s",
                         c.report_path, r == -EOPNOTSUPP ? " this verifier can check" : "",
                         parse_error_string(&perr, buf, sizeof(buf)));
                return check_hcl_emit(&c, NULL, &res);
        }

        if (rep->report_type == AZ_HCL_REPORT_SNP) {
                if (c.td_quote_path) {
                        log_error(
                                "--td-quote is for TDX HCL reports; this one holds an SNP report");
                        return EXIT_USAGE;
                }
                if (c.n_cert_paths > 0) {
                        if (check_hcl_snp(&c, rep, &res) < 0)
                                return EXIT_USAGE;
                } else
                        res.note = "Without --certs the SNP report's signature was not checked: "
                                   "only the runtime-data binding was, and nothing vouches for the "
                                   "report itself";
        } else {
                if (c.n_cert_paths > 0 || c.trust_path) {
                        log_error("--certs and --trust-ark are for SNP HCL reports; this one "
                                  "holds a TDX TD report (use --td-quote)");
                        return EXIT_USAGE;
                }
                if (quote) {
                        if (check_hcl_tdx(&c, rep, quote, quote_size, &res) < 0)
                                return EXIT_USAGE;
                } else
                        res.note = "Without --td-quote only the runtime-data binding was checked: "
                                   "the TD report in an HCL report is not signed, and only a TD "
                                   "quote made from it vouches for it";
        }
        if (res.reason)
                return check_hcl_emit(&c, rep, &res);

        res.binding_checked = true;
        r = az_verify_binding(rep, res.td_quote_matched ? res.tdx.quote.td.report_data : NULL,
                              &res.ak, &res.az);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (r < 0)
                check_hcl_reject(&res, res.az.reason, res.az.detail);
        else
                snprintf(res.detail, sizeof(res.detail), "%s%s%s",
                         res.tee_checked ? (res.snp_ran ? "The SNP report verifies with its VCEK "
                                                          "chain; "
                                                        : "The TD quote verifies and was made "
                                                          "from the TD report; ")
                                         : "",
                         res.az.detail, res.tee_checked ? "" : " (the TEE report is unverified)");
        ret = check_hcl_emit(&c, rep, &res);
        EVP_PKEY_free(res.ak);
        return ret;
}
