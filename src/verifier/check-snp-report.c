/* check --type snp-report: verifies an SEV-SNP attestation report offline
 * against AMD's certificate chain.
 *
 * Which root to trust: --trust-ark pins one (or more) ARK certificates,
 * and only those are roots. Without it, the self-signed ARKs found in
 * --certs are taken as roots, and the verdict says so ("ark_trust":
 * "unpinned") and names the ARK by subject and SHA-256, because a chain
 * that ends in a root it brought along proves only that the report chains
 * to that root, not that the root is AMD's. Nothing here carries AMD's
 * ARKs; the verifier service loads them from its configuration. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "verbs.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/evidence/snp-json.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/snp-verify.h"

/* A report is 1184 bytes; a larger file is not one, and need not be read
 * whole to find that out. */
#define CHECK_SNP_MAX_FILE (64u * 1024)
#define CHECK_SNP_MAX_CERT_PATHS 16

typedef struct CheckSnp {
        const char *report_path;
        const char *cert_paths[CHECK_SNP_MAX_CERT_PATHS];
        size_t n_cert_paths;
        const char *trust_path;
        const char *at_text;
        time_t at;
        bool at_set;
        unsigned skipped;
        STACK_OF(X509) *certs;
        STACK_OF(X509) *trusted;
} CheckSnp;

static void check_snp_done(CheckSnp *c) {
        cert_load_stack_free(c->certs);
        cert_load_stack_free(c->trusted);
}

static void check_snp_help(void) {
        printf("Usage: confnode-verifier check --type snp-report FILE [--certs DIR|FILE]...\n"
               "                                [--at TIME] [--trust-ark PEM]\n"
               "\n"
               "Verifies an AMD SEV-SNP attestation report: the chain ARK → ASK → VCEK\n"
               "(ARK → ASVK → VLEK for VLEK-signed reports) at TIME, the report's signature\n"
               "with the VCEK, and the VCEK's TCB and hwID against reported_tcb and chip_id.\n"
               "\n"
               "  FILE                 The 1184-byte ATTESTATION_REPORT\n"
               "  -c, --certs DIR|FILE Certificates, PEM (several per file) or DER, in a file\n"
               "                       or a directory of files under any names; each is\n"
               "                       recognised by its contents. May be repeated.\n"
               "  -a, --at TIME        Check validity at this RFC 3339 time (default: now)\n"
               "  -T, --trust-ark PEM  The ARK(s) to trust. Without it the self-signed ARK of\n"
               "                       --certs is used, and the verdict says\n"
               "                       \"ark_trust\": \"unpinned\" and names it.\n"
               "\n"
               "Exit status: 0 verified, 1 rejected, 2 bad usage or unreadable/malformed input.\n");
}

static int check_snp_parse_args(int argc, char *argv[], CheckSnp *c) {
        static const struct option opts[] = {
                {"type", required_argument, NULL, 't'}, {"certs", required_argument, NULL, 'c'},
                {"at", required_argument, NULL, 'a'},   {"trust-ark", required_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'h'},       {},
        };
        int o;

        while ((o = getopt_long(argc, argv, "t:c:a:T:h", opts, NULL)) >= 0) {
                switch (o) {
                case 't':
                        break; /* check.c matched it already */
                case 'c':
                        if (c->n_cert_paths >= CHECK_SNP_MAX_CERT_PATHS) {
                                log_error("--certs may be given at most %d times",
                                          CHECK_SNP_MAX_CERT_PATHS);
                                return -EINVAL;
                        }
                        c->cert_paths[c->n_cert_paths++] = optarg;
                        break;
                case 'a':
                        c->at_text = optarg;
                        break;
                case 'T':
                        c->trust_path = optarg;
                        break;
                case 'h':
                        check_snp_help();
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind + 1 != argc) {
                log_error("check --type snp-report needs exactly one FILE (the attestation "
                          "report); see "
                          "'confnode-verifier check --type snp-report --help'");
                return -EINVAL;
        }
        c->report_path = argv[optind];
        if (c->at_text) {
                if (cert_time_parse_rfc3339(c->at_text, &c->at) < 0) {
                        log_error("--at '%s' is not an RFC 3339 time such as 2025-08-15T12:00:00Z",
                                  c->at_text);
                        return -EINVAL;
                }
                c->at_set = true;
        }
        return 1;
}

static int check_snp_load(CheckSnp *c) {
        int r;

        c->certs = sk_X509_new_null();
        c->trusted = sk_X509_new_null();
        if (!c->certs || !c->trusted)
                return log_error_errno(ENOMEM, "Out of memory");
        for (size_t i = 0; i < c->n_cert_paths; i++) {
                unsigned skipped = 0;

                r = cert_load_path(c->cert_paths[i], c->certs, &skipped);
                if (r == -EBADMSG)
                        return log_error_errno(
                                r, "--certs '%s' holds no usable certificate (PEM or DER)",
                                c->cert_paths[i]);
                if (r < 0)
                        return log_error_errno(r, "Cannot load --certs '%s': %m", c->cert_paths[i]);
                c->skipped += skipped;
        }

        if (c->trust_path) {
                r = cert_load_file(c->trust_path, c->trusted);
                if (r == -EBADMSG)
                        return log_error_errno(r, "--trust-ark '%s' holds no usable certificate",
                                               c->trust_path);
                if (r < 0)
                        return log_error_errno(r, "Cannot load --trust-ark '%s': %m",
                                               c->trust_path);
                for (int i = 0; i < sk_X509_num(c->trusted); i++) {
                        char name[256];

                        if (cert_info_is_self_signed(sk_X509_value(c->trusted, i)))
                                continue;
                        cert_info_subject(sk_X509_value(c->trusted, i), name, sizeof(name));
                        log_error("--trust-ark '%s': '%s' is not a self-signed root", c->trust_path,
                                  name);
                        return -EINVAL;
                }
                return 0;
        }

        /* Unpinned: every self-signed certificate of --certs may serve as
         * the root, and the verdict names the one that did. */
        for (int i = 0; i < sk_X509_num(c->certs); i++) {
                X509 *cert = sk_X509_value(c->certs, i);

                if (!cert_info_is_self_signed(cert))
                        continue;
                if (X509_up_ref(cert) != 1 || sk_X509_push(c->trusted, cert) <= 0)
                        return log_error_errno(ENOMEM, "Out of memory");
        }
        return 0;
}

static int check_snp_add_cert(json_object *certs, const char *key, const SnpCertSummary *s) {
        _cleanup_(json_object_putp) json_object *o = NULL;

        if (!s->present)
                return 0;
        o = json_object_new_object();
        if (!o || json_add_string(o, "role", snp_cert_role_to_string(s->role) ?: "other") < 0 ||
            json_add_string(o, "subject", s->subject) < 0 ||
            json_add_string(o, "sha256", s->sha256) < 0 ||
            json_add_string(o, "not_before", s->not_before) < 0 ||
            json_add_string(o, "not_after", s->not_after) < 0 ||
            json_object_object_add(certs, key, o) < 0)
                return -ENOMEM;
        TAKE_PTR(o);
        return 0;
}

static int check_snp_add_checked(json_object *out, const SnpVerdict *v) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o ||
            json_object_object_add(o, "chain", json_object_new_boolean(v->chain_checked)) < 0 ||
            json_object_object_add(o, "signature", json_object_new_boolean(v->signature_checked)) <
                    0 ||
            json_object_object_add(o, "tcb", json_object_new_boolean(v->tcb_checked)) < 0 ||
            json_object_object_add(o, "chip_id", json_object_new_boolean(v->chip_id_checked)) < 0 ||
            json_object_object_add(out, "checked", o) < 0)
                return -ENOMEM;
        TAKE_PTR(o);
        return 0;
}

/* What the report says, for the reader of the verdict; believable only
 * when verified is true. */
static int check_snp_add_report(json_object *out, const SnpReport *rep, const SnpVerdict *v) {
        json_object *tcb = NULL;
        int r;

        r = json_add_u64(out, "version", rep->version);
        if (r >= 0)
                r = json_add_hex(out, "measurement", rep->measurement, sizeof(rep->measurement));
        if (r >= 0)
                r = json_add_hex(out, "report_data", rep->report_data, sizeof(rep->report_data));
        if (r >= 0)
                r = json_add_hex(out, "host_data", rep->host_data, sizeof(rep->host_data));
        if (r >= 0)
                r = json_add_hex(out, "chip_id", rep->chip_id, sizeof(rep->chip_id));
        if (r >= 0)
                r = json_add_u64(out, "vmpl", rep->vmpl);
        if (r >= 0)
                r = snp_json_tcb(v->tcb_valid ? &v->reported_tcb : &rep->reported_tcb,
                                 v->tcb_valid ? v->tcb_layout : rep->tcb_layout, &tcb);
        if (r >= 0 && json_object_object_add(out, "reported_tcb", tcb) < 0) {
                json_object_put(tcb);
                r = -ENOMEM;
        }
        return r;
}

static int check_snp_emit(const CheckSnp *c, const SnpReport *rep, const SnpVerdict *v,
                          int verdict) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(), *certs = NULL;
        char when[21] = "";
        int r;

        certs = json_object_new_object();
        if (!out || !certs)
                return log_error_errno(ENOMEM, "Out of memory");
        (void) cert_time_format_rfc3339(v->at, when);
        r = json_object_object_add(out, "verified", json_object_new_boolean(verdict == 0)) < 0
                    ? -ENOMEM
                    : 0;
        if (r >= 0)
                r = json_add_string(out, "reason", v->reason ?: "ok");
        if (r >= 0)
                r = json_add_string(out, "detail", v->detail);
        if (r >= 0)
                r = json_add_string(out, "type", "snp-report");
        if (r >= 0)
                r = check_snp_add_checked(out, v);
        if (r >= 0)
                r = json_add_string(out, "at", when);
        if (r >= 0 && rep) {
                r = json_add_string(out, "signing_key",
                                    snp_signing_key_to_string(rep->signing_key));
                if (r >= 0)
                        r = json_add_string(out, "cpu_generation",
                                            snp_generation_to_string(v->generation) ?: "unknown");
        }
        if (r >= 0)
                r = json_add_string(out, "ark_trust", c->trust_path ? "pinned" : "unpinned");
        if (r >= 0 && !c->trust_path && v->ark.present)
                r = json_add_string(
                        out, "note",
                        "The ARK came from --certs and was not pinned: the report chains to this "
                        "ARK, "
                        "but whether it is AMD's is for you to check (its SHA-256 is under "
                        "certificates.ark), or pin it with --trust-ark");
        if (r >= 0)
                r = check_snp_add_cert(certs, "ark", &v->ark);
        if (r >= 0)
                r = check_snp_add_cert(certs, "ask", &v->ask);
        if (r >= 0)
                r = check_snp_add_cert(certs, "key", &v->key);
        if (r >= 0) {
                r = json_object_object_add(out, "certificates", certs) < 0 ? -ENOMEM : 0;
                if (r >= 0)
                        TAKE_PTR(certs);
        }
        if (r >= 0 && c->skipped > 0)
                r = json_add_u64(out, "files_skipped", c->skipped);
        if (r >= 0 && rep)
                r = check_snp_add_report(out, rep, v);
        if (r < 0)
                return log_error_errno(r, "Out of memory");

        r = json_print(out, stdout);
        if (r < 0)
                return log_error_errno(r, "Failed to write the verdict: %m");
        if (verdict == 0)
                return EXIT_VERIFIED;
        return v->reason && strcmp(v->reason, "snp.malformed") == 0 ? EXIT_USAGE : EXIT_REJECTED;
}

int check_snp_report(int argc, char *argv[]) {
        _cleanup_(check_snp_done) CheckSnp c = {};
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        _cleanup_(snp_endorsement_freep) SnpEndorsement *e = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        ParseError perr = {};
        SnpVerdict v = {};
        char buf[256];
        size_t size;
        int r;

        r = check_snp_parse_args(argc, argv, &c);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_VERIFIED;
        r = read_full_file(c.report_path, CHECK_SNP_MAX_FILE, &data, &size);
        if (r < 0) {
                log_error_errno(r, "Cannot read FILE '%s': %m", c.report_path);
                return EXIT_USAGE;
        }
        if (check_snp_load(&c) < 0)
                return EXIT_USAGE;
        if (!c.at_set)
                c.at = time(NULL);

        r = snp_report_parse(data, size, &rep, &perr);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (r < 0) {
                v = (SnpVerdict){.reason = "snp.malformed", .at = c.at};
                snprintf(v.detail, sizeof(v.detail),
                         "'%s' is not an SEV-SNP attestation report: %s", c.report_path,
                         parse_error_string(&perr, buf, sizeof(buf)));
                return check_snp_emit(&c, NULL, &v, r);
        }

        r = snp_verify_chain(rep, c.certs, c.trusted, &c.at, &e, &v);
        if (r >= 0)
                r = snp_verify_report(rep, e, &v);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (r < 0 && !v.reason)
                return log_error_errno(r, "Verification failed: %m"), EXIT_USAGE;
        return check_snp_emit(&c, rep, &v, r);
}
