/* Reading a saved bundle into the KbsEvidence and AppraisalInput that an
 * appraisal takes. Only the fixed file names of each form are opened (a
 * bundle is a stranger's directory: nothing in it names another path),
 * and each file has a size bound before it is read. */

#include "bundle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/jwk.h"

/* A report, a quote or a certificate table is a few KiB; an event log on
 * a real machine tens of KiB, a CCEL area up to a few MiB. */
#define BUNDLE_MAX_SMALL (256u * 1024)
#define BUNDLE_MAX_EVENTLOG (16u * 1024 * 1024)
#define BUNDLE_MAX_JSON (64u * 1024)

static const char *const bundle_form_names[_BUNDLE_FORM_MAX] = {
        [BUNDLE_COLLECT] = "collect",
        [BUNDLE_KBS] = "kbs",
};

const char *bundle_form_to_string(BundleForm f) {
        if (f < 0 || f >= _BUNDLE_FORM_MAX)
                return NULL;
        return bundle_form_names[f];
}

void bundle_free(Bundle *b) {
        if (!b)
                return;
        free(b->path);
        kbs_evidence_free(b->evidence);
        kbs_request_free(b->request);
        kbs_challenge_free(b->challenge);
        kbs_attestation_free(b->attestation);
        free(b);
}

static int bundle_error(char *err, size_t err_size, int r, const char *dir, const char *file,
                        const char *fmt, ...) _printf_(6, 7);
static int bundle_error(char *err, size_t err_size, int r, const char *dir, const char *file,
                        const char *fmt, ...) {
        va_list ap;
        int n;

        if (!err || err_size == 0)
                return r;
        n = snprintf(err, err_size, "%s%s%s: ", dir, file ? "/" : "", file ?: "");
        if (n >= 0 && (size_t)n < err_size) {
                va_start(ap, fmt);
                vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
                va_end(ap);
        }
        return r;
}

static bool bundle_has(const char *dir, const char *file) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return false;
        return stat(path, &st) >= 0 && S_ISREG(st.st_mode);
}

/* Reads dir/file; with optional, a missing file is no error (*ret stays
 * NULL, 0 returned). */
static int bundle_read(const char *dir, const char *file, size_t max, bool optional, uint8_t **ret,
                       size_t *ret_size, char *err, size_t err_size) {
        _cleanup_free_ char *path = NULL;
        int r;

        *ret = NULL;
        *ret_size = 0;
        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return -ENOMEM;
        r = read_full_file(path, max, ret, ret_size);
        if (r == -ENOENT && optional)
                return 0;
        if (r == -EFBIG)
                return bundle_error(err, err_size, r, dir, file, "larger than %zu bytes", max);
        if (r < 0)
                return bundle_error(err, err_size, r, dir, file, "cannot be read: %s",
                                    strerror(-r));
        return 0;
}

static int bundle_blob(const char *dir, const char *file, size_t max, bool optional, KbsBlob *b,
                       char *err, size_t err_size) {
        free(b->data);
        *b = (KbsBlob){};
        return bundle_read(dir, file, max, optional, &b->data, &b->size, err, err_size);
}

static int bundle_json(const char *dir, const char *file, size_t max, json_object **ret, char *err,
                       size_t err_size) {
        const JsonParseLimits limits = {.max_size = max, .max_depth = 16, .max_values = 65536};
        _cleanup_free_ uint8_t *data = NULL;
        ParseError perr = {};
        char buf[256];
        size_t size;
        int r;

        r = bundle_read(dir, file, max, false, &data, &size, err, err_size);
        if (r < 0)
                return r;
        r = json_parse_bounded(data, size, &limits, ret, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bundle_error(err, err_size, -EBADMSG, dir, file, "not JSON: %s",
                                    parse_error_string(&perr, buf, sizeof(buf)));
        return 0;
}

/* The collect form's tee.json names the TEE in Trustee's words; "none"
 * means a vTPM quote only. */
static int bundle_collect_tee(const char *dir, KbsTee *ret, char *err, size_t err_size) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        json_object *tee;
        const char *name;
        int r;

        r = bundle_json(dir, "tee.json", BUNDLE_MAX_JSON, &j, err, err_size);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(j, "tee", &tee) ||
            !json_object_is_type(tee, json_type_string))
                return bundle_error(err, err_size, -EBADMSG, dir, "tee.json",
                                    "tee: missing, or not a string");
        name = json_object_get_string(tee);
        if (strcmp(name, "none") == 0) {
                *ret = KBS_TEE_TPM;
                return 0;
        }
        *ret = kbs_tee_from_string(name);
        if (*ret != KBS_TEE_SNP && *ret != KBS_TEE_TDX && *ret != KBS_TEE_AZ_SNP_VTPM &&
            *ret != KBS_TEE_AZ_TDX_VTPM)
                return bundle_error(err, err_size, -EBADMSG, dir, "tee.json",
                                    "tee: '%.32s' is not snp, tdx, az-snp-vtpm, az-tdx-vtpm or "
                                    "none",
                                    name);
        return 0;
}

/* The certificates `collect` wrote out of the certificate table, for a
 * bundle without the table itself (or Azure's VCEK): as one PEM text. */
static int bundle_cert_pems(const char *dir, char **ret, char *err, size_t err_size) {
        static const char *const files[] = {"certs/vcek.pem", "certs/vlek.pem", "certs/ask.pem",
                                            "certs/ark.pem"};
        _cleanup_free_ char *all = NULL;
        size_t size = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ uint8_t *data = NULL;
                size_t n;
                char *grown;

                r = bundle_read(dir, files[i], BUNDLE_MAX_SMALL, true, &data, &n, err, err_size);
                if (r < 0)
                        return r;
                if (!data)
                        continue;
                grown = realloc(all, size + n + 2);
                if (!grown)
                        return -ENOMEM;
                all = grown;
                memcpy(all + size, data, n);
                size += n;
                all[size++] = '\n';
                all[size] = 0;
        }
        *ret = TAKE_PTR(all);
        return 0;
}

static int bundle_load_collect(Bundle *b, char *err, size_t err_size) {
        _cleanup_(json_object_putp) json_object *pcrs = NULL;
        _cleanup_free_ uint8_t *nonce_hex = NULL, *nonce = NULL;
        _cleanup_free_ char *nonce_text = NULL;
        const char *dir = b->path;
        KbsEvidence *e;
        size_t size, nonce_size;
        KbsTee tee = _KBS_TEE_INVALID;
        char what[256];
        int r;

        r = bundle_collect_tee(dir, &tee, err, err_size);
        if (r < 0)
                return r;
        r = kbs_evidence_new(tee, &b->evidence);
        if (r < 0)
                return r;
        e = b->evidence;

        if (tee != KBS_TEE_TPM) {
                r = bundle_blob(dir, "tee-report.bin", BUNDLE_MAX_SMALL, false, &e->report, err,
                                err_size);
                if (r < 0)
                        return r;
                r = bundle_blob(dir, "tee-certs.bin", BUNDLE_MAX_SMALL, true, &e->cert_table, err,
                                err_size);
                if (r < 0)
                        return r;
                if (!e->cert_table.data) {
                        r = bundle_cert_pems(dir, &e->vcek_pem, err, err_size);
                        if (r < 0)
                                return r;
                }
        }

        /* The nonce: what collect bound into the report and the quote. */
        r = bundle_read(dir, "nonce.hex", 1024, false, &nonce_hex, &size, err, err_size);
        if (r < 0)
                return r;
        nonce_text = strndup((const char *)nonce_hex, size);
        if (!nonce_text)
                return -ENOMEM;
        nonce_text[strcspn(nonce_text, "\r\n")] = 0;
        if (hex_decode(nonce_text, &nonce, &nonce_size) < 0 || nonce_size == 0 ||
            nonce_size > KBS_REPORT_DATA_SIZE)
                return bundle_error(err, err_size, -EBADMSG, dir, "nonce.hex",
                                    "not 1-%d bytes of hex", KBS_REPORT_DATA_SIZE);
        memcpy(b->input.report_data, nonce, nonce_size);
        memcpy(b->input.tpm_nonce, nonce, nonce_size);
        b->input.tpm_nonce_size = nonce_size;

        /* The vTPM part, if the machine had one. */
        if (!bundle_has(dir, "tpm-quote.msg"))
                return 0;
        e->has_tpm = true;
        if ((r = bundle_blob(dir, "tpm-quote.msg", BUNDLE_MAX_SMALL, false, &e->tpm.attest, err,
                             err_size)) < 0 ||
            (r = bundle_blob(dir, "tpm-quote.sig", BUNDLE_MAX_SMALL, false, &e->tpm.signature, err,
                             err_size)) < 0 ||
            (r = bundle_blob(dir, "ak.pub", BUNDLE_MAX_SMALL,
                             tee == KBS_TEE_AZ_SNP_VTPM || tee == KBS_TEE_AZ_TDX_VTPM,
                             &e->tpm.ak_public, err, err_size)) < 0 ||
            (r = bundle_blob(dir, "eventlog.bin", BUNDLE_MAX_EVENTLOG, true, &e->tpm.eventlog, err,
                             err_size)) < 0)
                return r;
        r = bundle_json(dir, "pcrs.json", BUNDLE_MAX_JSON, &pcrs, err, err_size);
        if (r < 0)
                return r;
        r = tpm_pcr_values_from_json(pcrs, &e->tpm.pcrs, what, sizeof(what));
        if (r < 0)
                return bundle_error(err, err_size, -EBADMSG, dir, "pcrs.json", "%s", what);
        return 0;
}

static void bundle_refuse(Bundle *b, const char *reason, const char *fmt, ...) _printf_(3, 4);
static void bundle_refuse(Bundle *b, const char *reason, const char *fmt, ...) {
        va_list ap;

        b->refused = reason;
        va_start(ap, fmt);
        vsnprintf(b->refused_detail, sizeof(b->refused_detail), fmt, ap);
        va_end(ap);
}

static int bundle_body(const char *dir, const char *file, size_t max, uint8_t **ret,
                       size_t *ret_size, char *err, size_t err_size) {
        return bundle_read(dir, file, max, false, ret, ret_size, err, err_size);
}

/* The server's order: the Request, the Challenge it answered, then the
 * Attestation, its nonce against the session's, its key, its evidence. */
static int bundle_load_kbs(Bundle *b, char *err, size_t err_size) {
        const char *dir = b->path;
        _cleanup_free_ uint8_t *request = NULL, *challenge = NULL, *attestation = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        size_t n_request, n_challenge, n_attestation;
        KbsProtoError perr = {};
        JwkError jerr = {};
        char buf[320];
        int r;

        if ((r = bundle_body(dir, "request.json", KBS_PROTO_MAX_REQUEST, &request, &n_request, err,
                             err_size)) < 0 ||
            (r = bundle_body(dir, "challenge.json", KBS_PROTO_MAX_CHALLENGE, &challenge,
                             &n_challenge, err, err_size)) < 0 ||
            (r = bundle_body(dir, "attestation.json", KBS_PROTO_MAX_ATTESTATION, &attestation,
                             &n_attestation, err, err_size)) < 0)
                return r;

        r = kbs_request_parse(request, n_request, &b->request, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bundle_error(err, err_size, -EBADMSG, dir, "request.json", "%s",
                                    kbs_proto_error_string(&perr, buf, sizeof(buf)));
        r = kbs_challenge_parse(challenge, n_challenge, &b->challenge, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bundle_error(err, err_size, -EBADMSG, dir, "challenge.json", "%s",
                                    kbs_proto_error_string(&perr, buf, sizeof(buf)));
        r = kbs_attestation_parse(attestation, n_attestation, &b->attestation, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bundle_error(err, err_size, -EBADMSG, dir, "attestation.json", "%s",
                                    kbs_proto_error_string(&perr, buf, sizeof(buf)));

        if (!kbs_version_is_supported(b->request->version)) {
                bundle_refuse(b, "protocol.version",
                              "The Request speaks KBS protocol '%.32s', not " KBS_PROTOCOL_VERSION,
                              b->request->version);
                return 0;
        }
        if (!b->attestation->nonce || strcmp(b->attestation->nonce, b->challenge->nonce) != 0) {
                bundle_refuse(b, "nonce.mismatch",
                              "The Attestation's runtime-data.nonce is %s'%.32s', not the "
                              "Challenge's '%.32s'",
                              b->attestation->nonce ? "" : "absent (the legacy shape) instead of ",
                              b->attestation->nonce ?: "", b->challenge->nonce);
                return 0;
        }
        r = jwk_to_pkey(b->attestation->tee_pubkey, &key, NULL, &jerr);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                bundle_refuse(b, "request.tee_pubkey", "runtime-data.tee-pubkey.%s: %s",
                              jerr.member ?: "?", jerr.what ?: "not a usable key");
                return 0;
        }
        r = kbs_evidence_from_json(b->request->tee, b->attestation->primary_evidence,
                                   b->attestation->additional_evidence, &b->evidence, &perr);
        if (r == -ENOMEM)
                return r;
        if (r == -EOPNOTSUPP) {
                bundle_refuse(b, "evidence.tee_unsupported",
                              "'%s' evidence is not appraised by this verifier",
                              kbs_tee_to_string(b->request->tee) ?: "?");
                return 0;
        }
        if (r < 0)
                return bundle_error(err, err_size, -EBADMSG, dir, "attestation.json",
                                    "tee-evidence: %s",
                                    kbs_proto_error_string(&perr, buf, sizeof(buf)));
        r = appraisal_input_from_attestation(b->challenge->nonce, b->challenge->hash_alg,
                                             b->attestation, b->evidence, &b->input);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bundle_error(err, err_size, r, dir, "attestation.json",
                                    "the session's binding cannot be computed: %s", strerror(-r));
        return 0;
}

int bundle_load(const char *dir, Bundle **ret, char *err, size_t err_size) {
        _cleanup_(bundle_freep) Bundle *b = calloc(1, sizeof(*b));
        struct stat st;
        int r;

        if (err && err_size > 0)
                err[0] = 0;
        if (!b)
                return -ENOMEM;
        if (stat(dir, &st) < 0) {
                r = -errno;
                return bundle_error(err, err_size, r, dir, NULL, "cannot be read: %s",
                                    strerror(-r));
        }
        if (!S_ISDIR(st.st_mode))
                return bundle_error(err, err_size, -ENOTDIR, dir, NULL,
                                    "not a directory (a bundle is the directory `confnode "
                                    "collect --out` or `confnode attest --save-bundle` wrote)");
        b->path = strdup(dir);
        if (!b->path)
                return -ENOMEM;
        if (bundle_has(dir, "attestation.json"))
                b->form = BUNDLE_KBS;
        else if (bundle_has(dir, "tee.json"))
                b->form = BUNDLE_COLLECT;
        else
                return bundle_error(err, err_size, -ENOENT, dir, NULL,
                                    "neither a collect bundle (tee.json) nor a saved KBS "
                                    "exchange (attestation.json)");
        r = b->form == BUNDLE_KBS ? bundle_load_kbs(b, err, err_size)
                                  : bundle_load_collect(b, err, err_size);
        if (r == -ENOMEM)
                return bundle_error(err, err_size, r, dir, NULL, "out of memory");
        if (r < 0)
                return r;
        b->input.evidence = b->evidence;
        b->input.at = time(NULL);
        *ret = TAKE_PTR(b);
        return 0;
}
