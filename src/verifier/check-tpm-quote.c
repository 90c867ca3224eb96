/* check --type tpm-quote: verifies a TPM 2.0 quote offline. The quote file
 * is a marshalled TPMS_ATTEST; the signature a marshalled TPMT_SIGNATURE
 * (or, as Azure's vTPM evidence carries it, the bare RSASSA signature); the
 * AK a SubjectPublicKeyInfo (PEM or DER) or a marshalled TPMT_PUBLIC /
 * TPM2B_PUBLIC. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "verbs.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-pcr-values.h"
#include "confnode/tpm/tpm-public-key.h"
#include "confnode/tpm/tpm-quote-verify.h"

/* Quotes, signatures and keys are a few hundred bytes, a pcrs.json a few
 * KiB; anything near this is not what it claims to be. */
#define CHECK_TPM_QUOTE_MAX_FILE (1024u * 1024)

typedef struct CheckTpmQuote {
        const char *quote_path, *sig_path, *ak_path, *nonce_hex, *pcrs_path;
        uint8_t *quote, *sig, *ak, *nonce, *pcrs_json;
        size_t quote_size, sig_size, ak_size, nonce_size, pcrs_json_size;
        TpmPcrValues pcrs;
        /* What the verdict is built from. */
        TpmKeyFormat ak_format;
        const char *sig_format;
        TpmSignature signature;
        bool signature_valid;
} CheckTpmQuote;

static void check_tpm_quote_done(CheckTpmQuote *c) {
        free(c->quote);
        free(c->sig);
        free(c->ak);
        free(c->nonce);
        free(c->pcrs_json);
}

static void check_tpm_quote_help(void) {
        printf("Usage: confnode-verifier check --type tpm-quote FILE --sig SIG --ak KEY\n"
               "                                 [--nonce HEX] [--pcrs JSON]\n"
               "\n"
               "Verifies a TPM 2.0 quote: the signature with the attestation key, the nonce in\n"
               "extra_data, and the PCR digest against the given PCR values.\n"
               "\n"
               "  FILE             Marshalled TPMS_ATTEST (tpm-quote.msg)\n"
               "  -s, --sig SIG    Marshalled TPMT_SIGNATURE, or a bare RSASSA signature\n"
               "  -a, --ak KEY     AK: SubjectPublicKeyInfo (PEM or DER), TPMT_PUBLIC or\n"
               "                   TPM2B_PUBLIC\n"
               "  -n, --nonce HEX  Expected nonce (extra_data); without it freshness is not\n"
               "                   checked\n"
               "  -p, --pcrs JSON  PCR values {\"sha256\": {\"0\": \"hex\", ...}}; without it\n"
               "                   only the signature and the nonce are checked\n"
               "\n"
               "Exit status: 0 verified, 1 rejected, 2 bad usage or unreadable/malformed input.\n");
}

static int check_tpm_quote_read(const char *option, const char *path, uint8_t **ret,
                                size_t *ret_size) {
        int r = read_full_file(path, CHECK_TPM_QUOTE_MAX_FILE, ret, ret_size);

        if (r < 0)
                return log_error_errno(r, "Cannot read %s '%s': %m", option, path);
        return 0;
}

static int check_tpm_quote_load_pcrs(CheckTpmQuote *c) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        json_tokener *tok;
        char err[256];
        int r;

        r = check_tpm_quote_read("--pcrs", c->pcrs_path, &c->pcrs_json, &c->pcrs_json_size);
        if (r < 0)
                return r;
        if (c->pcrs_json_size > INT32_MAX)
                return log_error_errno(EFBIG, "--pcrs '%s' is too large", c->pcrs_path);
        tok = json_tokener_new();
        if (!tok)
                return log_error_errno(ENOMEM, "Out of memory");
        j = json_tokener_parse_ex(tok, (const char *)c->pcrs_json, (int)c->pcrs_json_size);
        if (!j || json_tokener_get_error(tok) != json_tokener_success) {
                log_error("--pcrs '%s' is not JSON: %s", c->pcrs_path,
                          json_tokener_error_desc(json_tokener_get_error(tok)));
                json_tokener_free(tok);
                return -EINVAL;
        }
        json_tokener_free(tok);
        r = tpm_pcr_values_from_json(j, &c->pcrs, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "--pcrs '%s': %s", c->pcrs_path, err);
        return 0;
}

/* The hash a bare RSASSA signature was made with: the AK's scheme when the
 * key came as a TPM structure; otherwise the size of pcr_digest, which the
 * TPM computes with the signing hash. */
static uint16_t check_tpm_quote_raw_hash(const TpmPublic *pub, bool has_pub, const uint8_t *attest,
                                         size_t size) {
        TpmAttest a;

        if (has_pub && pub->scheme == TPM_ALG_RSASSA && tpm_alg_hash_size(pub->scheme_hash) > 0)
                return pub->scheme_hash;
        if (tpm_attest_parse(attest, size, &a, NULL) < 0)
                return TPM_ALG_SHA256;
        switch (a.pcr_digest_size) {
        case 20:
                return TPM_ALG_SHA1;
        case 48:
                return TPM_ALG_SHA384;
        case 64:
                return TPM_ALG_SHA512;
        default:
                return TPM_ALG_SHA256;
        }
}

static int check_tpm_quote_emit(const CheckTpmQuote *c, const TpmQuoteVerdict *v, int verdict) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(), *checked = NULL;
        const char *note = NULL;
        int r;

        checked = json_object_new_object();
        if (!out || !checked)
                return log_error_errno(ENOMEM, "Out of memory");
        if (json_object_object_add(out, "verified", json_object_new_boolean(verdict == 0)) < 0 ||
            json_add_string(out, "reason", v->reason ?: "ok") < 0 ||
            json_add_string(out, "detail", v->detail) < 0 ||
            json_add_string(out, "type", "tpm-quote") < 0)
                return log_error_errno(ENOMEM, "Out of memory");

        if (json_object_object_add(checked, "signature",
                                   json_object_new_boolean(v->signature_checked)) < 0 ||
            json_object_object_add(checked, "nonce", json_object_new_boolean(v->nonce_checked)) <
                    0 ||
            json_object_object_add(checked, "pcrs", json_object_new_boolean(v->pcrs_checked)) < 0 ||
            json_object_object_add(out, "checked", TAKE_PTR(checked)) < 0)
                return log_error_errno(ENOMEM, "Out of memory");

        if (verdict == 0) {
                if (!c->pcrs_path && !c->nonce_hex)
                        note = "Without --nonce and --pcrs only the signature was checked: neither "
                               "freshness "
                               "nor the PCR values are vouched for";
                else if (!c->pcrs_path)
                        note = "Without --pcrs only the signature and the nonce were checked, not "
                               "the PCR values";
                else if (!c->nonce_hex)
                        note = "Without --nonce the quote's freshness was not checked";
                if (note && json_add_string(out, "note", note) < 0)
                        return log_error_errno(ENOMEM, "Out of memory");
        }

        if (c->ak && tpm_public_key_format_to_string(c->ak_format) &&
            json_add_string(out, "ak_format", tpm_public_key_format_to_string(c->ak_format)) < 0)
                return log_error_errno(ENOMEM, "Out of memory");
        if (c->signature_valid) {
                const char *scheme = c->signature.sig_alg == TPM_ALG_RSASSA   ? "rsassa"
                                     : c->signature.sig_alg == TPM_ALG_RSAPSS ? "rsapss"
                                                                              : "ecdsa";

                if (json_add_string(out, "signature_format", c->sig_format) < 0 ||
                    json_add_string(out, "signature_scheme", scheme) < 0 ||
                    json_add_string(out, "signature_hash",
                                    tpm_alg_hash_name(c->signature.hash_alg) ?: "?") < 0)
                        return log_error_errno(ENOMEM, "Out of memory");
        }
        if (v->attest_valid) {
                char sel[256];

                pcr_selection_format(&v->attest.pcr_select, sel, sizeof(sel));
                r = json_add_hex(out, "extra_data", v->attest.extra_data,
                                 v->attest.extra_data_size);
                if (r >= 0 && v->attest.type == TPM_ST_ATTEST_QUOTE) {
                        r = json_add_string(out, "pcr_select", sel);
                        if (r >= 0)
                                r = json_add_hex(out, "pcr_digest", v->attest.pcr_digest,
                                                 v->attest.pcr_digest_size);
                }
                if (r < 0)
                        return log_error_errno(r, "Out of memory");
        }
        r = json_print(out, stdout);
        if (r < 0)
                return log_error_errno(r, "Failed to write the verdict: %m");
        if (verdict == 0)
                return EXIT_VERIFIED;
        return v->reason && strcmp(v->reason, "tpm.malformed") == 0 ? EXIT_USAGE : EXIT_REJECTED;
}

static int check_tpm_quote_malformed(const CheckTpmQuote *c, const char *option, const char *path,
                                     const char *what, const ParseError *perr) {
        TpmQuoteVerdict v = {.reason = "tpm.malformed"};
        char buf[256];

        snprintf(v.detail, sizeof(v.detail), "%s '%s' is not %s: %s", option, path, what,
                 parse_error_string(perr, buf, sizeof(buf)));
        return check_tpm_quote_emit(c, &v, -EBADMSG);
}

static int check_tpm_quote_parse_args(int argc, char *argv[], CheckTpmQuote *c) {
        static const struct option opts[] = {
                {"type", required_argument, NULL, 't'},
                {"sig", required_argument, NULL, 's'},
                {"ak", required_argument, NULL, 'a'},
                {"nonce", required_argument, NULL, 'n'},
                {"pcrs", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int o;

        while ((o = getopt_long(argc, argv, "t:s:a:n:p:h", opts, NULL)) >= 0) {
                switch (o) {
                case 't':
                        break; /* check.c matched it already */
                case 's':
                        c->sig_path = optarg;
                        break;
                case 'a':
                        c->ak_path = optarg;
                        break;
                case 'n':
                        c->nonce_hex = optarg;
                        break;
                case 'p':
                        c->pcrs_path = optarg;
                        break;
                case 'h':
                        check_tpm_quote_help();
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind + 1 != argc) {
                log_error("check --type tpm-quote needs exactly one FILE (the TPMS_ATTEST); see "
                          "'confnode-verifier check --type tpm-quote --help'");
                return -EINVAL;
        }
        c->quote_path = argv[optind];
        if (!c->sig_path) {
                log_error("check --type tpm-quote needs --sig SIG (the TPMT_SIGNATURE)");
                return -EINVAL;
        }
        if (!c->ak_path) {
                log_error("check --type tpm-quote needs --ak KEY (the attestation key)");
                return -EINVAL;
        }
        return 1;
}

int check_tpm_quote(int argc, char *argv[]) {
        _cleanup_(check_tpm_quote_done) CheckTpmQuote c = {};
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
        TpmQuoteVerdict v;
        ParseError perr = {};
        TpmPublic pub = {};
        bool has_pub = false;
        int r;

        r = check_tpm_quote_parse_args(argc, argv, &c);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_VERIFIED;

        if (c.nonce_hex) {
                r = hex_decode(c.nonce_hex, &c.nonce, &c.nonce_size);
                if (r == -ENOMEM)
                        return log_error_errno(r, "Out of memory"), EXIT_USAGE;
                if (r < 0) {
                        log_error("--nonce '%s' is not hex (an even number of 0-9, a-f)",
                                  c.nonce_hex);
                        return EXIT_USAGE;
                }
                if (c.nonce_size > TPM_MAX_DIGEST) {
                        log_error("--nonce is %zu bytes; a quote's extra_data holds at most %d",
                                  c.nonce_size, TPM_MAX_DIGEST);
                        return EXIT_USAGE;
                }
        }
        if (check_tpm_quote_read("FILE", c.quote_path, &c.quote, &c.quote_size) < 0 ||
            check_tpm_quote_read("--sig", c.sig_path, &c.sig, &c.sig_size) < 0 ||
            check_tpm_quote_read("--ak", c.ak_path, &c.ak, &c.ak_size) < 0)
                return EXIT_USAGE;
        if (c.pcrs_path && check_tpm_quote_load_pcrs(&c) < 0)
                return EXIT_USAGE;

        r = tpm_public_key_load(c.ak, c.ak_size, &ak, &c.ak_format, &pub, &has_pub, &perr);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (r < 0)
                return check_tpm_quote_malformed(
                        &c, "--ak", c.ak_path,
                        "a public key (PEM/DER SubjectPublicKeyInfo, TPMT_PUBLIC or "
                        "TPM2B_PUBLIC) OpenSSL can use",
                        &perr);

        r = tpm_attest_signature_parse(c.sig, c.sig_size, &c.signature, &perr);
        if (r >= 0)
                c.sig_format = "tpmt_signature";
        else if (EVP_PKEY_is_a(ak, "RSA") && c.sig_size == (size_t)EVP_PKEY_get_size(ak) &&
                 c.sig_size <= sizeof(c.signature.rsa)) {
                /* Not a TPMT_SIGNATURE, but exactly one RSA block for this
                 * key: the bare signature some vTPM evidence formats
                 * carry. Verifying it is the real test of that guess. */
                c.signature = (TpmSignature){
                        .sig_alg = TPM_ALG_RSASSA,
                        .hash_alg = check_tpm_quote_raw_hash(&pub, has_pub, c.quote, c.quote_size),
                        .rsa_size = c.sig_size,
                };
                memcpy(c.signature.rsa, c.sig, c.sig_size);
                c.sig_format = "raw_rsassa";
        } else
                return check_tpm_quote_malformed(&c, "--sig", c.sig_path, "a TPMT_SIGNATURE",
                                                 &perr);
        c.signature_valid = true;

        r = tpm_quote_verify(c.quote, c.quote_size, &c.signature, ak, c.nonce_hex ? c.nonce : NULL,
                             c.nonce_size, c.pcrs_path ? &c.pcrs : NULL, &v);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;
        if (r < 0 && !v.reason)
                return log_error_errno(r, "Verification failed: %m"), EXIT_USAGE;
        return check_tpm_quote_emit(&c, &v, r);
}
