/* Trustee's "az-snp-vtpm" and "az-tdx-vtpm" evidence (deps/verifier/src/
 * az_{snp,tdx}_vtpm/compat.rs at 78962cd, guest components' Azure
 * attesters). Three versions, told apart by "version":
 *   v0 (no "version"), byte strings as arrays of integers:
 *     snp {"quote": Q0, "report": [HCL report], "vcek": "<PEM>"}
 *     tdx {"tpm_quote": Q0, "hcl_report": [HCL report], "td_quote": [TD quote]}
 *     Q0 = {"signature": [..], "message": [TPMS_ATTEST], "pcrs": [[32 bytes] x 24]}
 *   v1 and v2 ("version": 1 or 2), URL-safe base64 (padded) and hex:
 *     snp {"version", "tpm_quote": Q1, "hcl_report": b64u, "vcek": b64u(DER)}
 *     tdx {"version", "tpm_quote": Q1, "hcl_report": b64u, "td_quote": b64u}
 *     Q1 = {"signature": hex, "message": hex, "pcrs": [hex x 24]}
 * v2 is v1 with the HCL user-data holding report_data (Trustee checks it
 * only from v2 on). The quote's "signature" is the bare RSASSA-PKCS1-v1_5
 * signature (SHA-256, the vTPM AK's scheme), not a TPMT_SIGNATURE; the
 * AK is the one in the HCL report's runtime data. confnode adds
 * "tpm_eventlog" (URL-safe base64 of the TCG2 log) in every version.
 *
 * Trustee tries v2, v1, then v0 (serde untagged), so a document with an
 * unknown "version" and v0 members would pass as v0 there; here any
 * version but 1 and 2 is refused. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/tpm/tpm-attest.h"
#include "kbs-evidence-internal.h"

/* A PEM certificate: base64 of at most KBS_EVIDENCE_MAX_CERT bytes, lines
 * and the BEGIN/END lines. */
#define KBS_AZ_MAX_PEM (2 * KBS_EVIDENCE_MAX_CERT)

static int kbs_az_pem_from_der(const KbsBlob *der, const char *path, char **ret,
                               KbsProtoError *err) {
        _cleanup_(X509_freep) X509 *x = NULL;
        _cleanup_(BIO_freep) BIO *bio = NULL;
        const unsigned char *p = der->data;
        char *mem, *s;
        long n;

        x = d2i_X509(NULL, &p, (long)der->size);
        if (!x || p != der->data + der->size)
                return kbs_ev_fail(err, -EBADMSG, path, "not a DER X.509 certificate");
        bio = BIO_new(BIO_s_mem());
        if (!bio || PEM_write_bio_X509(bio, x) != 1)
                return -ENOMEM;
        n = BIO_get_mem_data(bio, &mem);
        if (n <= 0)
                return -ENOMEM;
        s = strndup(mem, (size_t)n);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Trustee reads the first certificate of the PEM text. */
static int kbs_az_pem_first(const char *pem, X509 **ret) {
        _cleanup_(BIO_freep) BIO *bio = NULL;
        X509 *x;

        bio = BIO_new_mem_buf(pem, -1);
        if (!bio)
                return -ENOMEM;
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x)
                return -EBADMSG;
        *ret = x;
        return 0;
}

static int kbs_az_pem_check(json_object *j, const char *path, char **ret, KbsProtoError *err) {
        _cleanup_(X509_freep) X509 *x = NULL;
        json_object *v;
        const char *s;
        size_t len;
        char p[64];
        int r;

        r = kbs_ev_member(j, path, "vcek", json_type_string, true, &v, err);
        if (r < 0)
                return r;
        kbs_ev_path(p, path, "vcek");
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (len > KBS_AZ_MAX_PEM)
                return kbs_ev_fail(err, -EBADMSG, p, "%zu characters, more than %u", len,
                                   KBS_AZ_MAX_PEM);
        if (strlen(s) != len)
                return kbs_ev_fail(err, -EBADMSG, p, "holds a NUL character");
        r = kbs_az_pem_first(s, &x);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return kbs_ev_fail(err, -EBADMSG, p, "not a PEM X.509 certificate");
        *ret = strndup(s, len);
        return *ret ? 0 : -ENOMEM;
}

static int kbs_az_quote_from_json(json_object *q, const char *path, KbsEvEncoding enc,
                                  KbsTpmEvidence *t, KbsProtoError *err) {
        ParseError perr = {};
        KbsBlob sig = {};
        TpmAttest attest;
        json_object *pcrs;
        char p[64], pe[200];
        int r;

        r = kbs_ev_bytes_member(q, path, "signature", enc, true, 1, TPM_MAX_RSA_BYTES, &sig, err);
        if (r < 0)
                return r;
        r = kbs_ev_tpmt_signature_from_rsa(sig.data, sig.size, &t->signature);
        kbs_blob_clear(&sig);
        if (r < 0)
                return r;
        r = kbs_ev_bytes_member(q, path, "message", enc, true, 1, KBS_EVIDENCE_MAX_BLOB, &t->attest,
                                err);
        if (r < 0)
                return r;
        if (tpm_attest_parse(t->attest.data, t->attest.size, &attest, &perr) < 0)
                return kbs_ev_fail(err, -EBADMSG, kbs_ev_path(p, path, "message"),
                                   "not a TPMS_ATTEST: %s",
                                   parse_error_string(&perr, pe, sizeof(pe)));
        r = kbs_ev_member(q, path, "pcrs", json_type_array, true, &pcrs, err);
        if (r < 0)
                return r;
        return kbs_ev_pcrs_from_json(pcrs, enc, kbs_ev_path(p, path, "pcrs"), &t->pcrs, err);
}

int kbs_evidence_az_from_json(KbsEvidence *e, json_object *j, const char *path,
                              KbsProtoError *err) {
        bool snp = e->tee == KBS_TEE_AZ_SNP_VTPM;
        KbsTpmEvidence t = {};
        KbsBlob hcl = {}, td_quote = {}, vcek = {};
        _cleanup_free_ char *pem = NULL;
        json_object *ver = NULL, *quote;
        uint64_t version = 0;
        KbsEvEncoding bytes, quote_enc;
        const char *quote_name, *hcl_name;
        char p[64];
        int r;

        if (json_object_object_get_ex(j, "version", &ver) && ver) {
                r = kbs_ev_uint(ver, kbs_ev_path(p, path, "version"), UINT32_MAX, &version, err);
                if (r < 0)
                        return r;
                if (version != 1 && version != 2)
                        return kbs_ev_fail(err, -EBADMSG, p, "%llu, expected 1 or 2 (or none)",
                                           (unsigned long long)version);
        }
        bytes = version == 0 ? KBS_EV_ARRAY : KBS_EV_BASE64URL;
        quote_enc = version == 0 ? KBS_EV_ARRAY : KBS_EV_HEX;
        quote_name = version == 0 && snp ? "quote" : "tpm_quote";
        hcl_name = version == 0 && snp ? "report" : "hcl_report";

        r = kbs_ev_member(j, path, quote_name, json_type_object, true, &quote, err);
        if (r >= 0)
                r = kbs_az_quote_from_json(quote, kbs_ev_path(p, path, quote_name), quote_enc, &t,
                                           err);
        if (r >= 0)
                r = kbs_ev_bytes_member(j, path, hcl_name, bytes, true, 1, KBS_EVIDENCE_MAX_BLOB,
                                        &hcl, err);
        if (r >= 0 && !snp)
                r = kbs_ev_bytes_member(j, path, "td_quote", bytes, true, 1, KBS_EVIDENCE_MAX_BLOB,
                                        &td_quote, err);
        if (r >= 0 && snp) {
                if (version == 0)
                        r = kbs_az_pem_check(j, path, &pem, err);
                else {
                        r = kbs_ev_bytes_member(j, path, "vcek", KBS_EV_BASE64URL, true, 1,
                                                KBS_EVIDENCE_MAX_CERT, &vcek, err);
                        if (r >= 0)
                                r = kbs_az_pem_from_der(&vcek, kbs_ev_path(p, path, "vcek"), &pem,
                                                        err);
                }
        }
        if (r >= 0)
                r = kbs_ev_bytes_member(j, path, "tpm_eventlog", KBS_EV_BASE64URL, false, 0,
                                        KBS_EVIDENCE_MAX_EVENTLOG, &t.eventlog, err);
        kbs_blob_clear(&vcek);
        if (r < 0) {
                kbs_tpm_evidence_clear(&t);
                kbs_blob_clear(&hcl);
                kbs_blob_clear(&td_quote);
                return r;
        }

        kbs_blob_clear(&e->report);
        kbs_blob_clear(&e->td_quote);
        kbs_tpm_evidence_clear(&e->tpm);
        free(e->vcek_pem);
        e->report = hcl;
        e->td_quote = td_quote;
        e->vcek_pem = TAKE_PTR(pem);
        e->tpm = t;
        e->has_tpm = true;
        e->tpm_in_additional = false;
        e->az_version = (uint32_t)version;
        return 0;
}

static int kbs_az_quote_to_json(const KbsTpmEvidence *t, KbsEvEncoding enc, json_object **ret) {
        _cleanup_(json_object_putp) json_object *q = NULL, *pcrs = NULL;
        uint8_t sig[TPM_MAX_RSA_BYTES];
        size_t sig_size;
        int r;

        if (!t->attest.data || !t->signature.data)
                return log_debug_errno(EINVAL, "Azure evidence without a vTPM quote");
        r = kbs_ev_tpmt_signature_to_rsa(&t->signature, sig, &sig_size);
        if (r < 0)
                return r;
        r = kbs_ev_pcrs_to_json(&t->pcrs, enc, &pcrs);
        if (r < 0)
                return r;
        q = json_object_new_object();
        if (!q || kbs_ev_add_bytes(q, "signature", sig, sig_size, enc) < 0 ||
            kbs_ev_add_bytes(q, "message", t->attest.data, t->attest.size, enc) < 0 ||
            json_add(q, "pcrs", TAKE_PTR(pcrs)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(q);
        return 0;
}

static int kbs_az_vcek_der(const char *pem, KbsBlob *ret) {
        _cleanup_(X509_freep) X509 *x = NULL;
        unsigned char *der = NULL;
        int n, r;

        r = kbs_az_pem_first(pem, &x);
        if (r < 0)
                return r == -ENOMEM ? r : log_debug_errno(EINVAL, "The VCEK is not PEM");
        n = i2d_X509(x, &der);
        if (n <= 0)
                return -ENOMEM;
        r = kbs_blob_set(ret, der, (size_t)n);
        OPENSSL_free(der);
        return r;
}

int kbs_evidence_az_to_json(const KbsEvidence *e, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL, *quote = NULL;
        bool snp = e->tee == KBS_TEE_AZ_SNP_VTPM;
        uint32_t version = e->az_version;
        KbsEvEncoding bytes = version == 0 ? KBS_EV_ARRAY : KBS_EV_BASE64URL;
        int r;

        if (version > 2)
                return log_debug_errno(EINVAL, "Azure evidence version %u is not 0-2", version);
        if (!e->has_tpm || !e->report.data || (snp && !e->vcek_pem) || (!snp && !e->td_quote.data))
                return log_debug_errno(EINVAL, "Azure evidence without quote, HCL report, %s",
                                       snp ? "VCEK" : "TD quote");
        r = kbs_az_quote_to_json(&e->tpm, version == 0 ? KBS_EV_ARRAY : KBS_EV_HEX, &quote);
        if (r < 0)
                return r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (version > 0 && json_add(o, "version", json_object_new_int((int32_t)version)) < 0)
                return -ENOMEM;
        if (json_add(o, version == 0 && snp ? "quote" : "tpm_quote", TAKE_PTR(quote)) < 0 ||
            kbs_ev_add_bytes(o, version == 0 && snp ? "report" : "hcl_report", e->report.data,
                             e->report.size, bytes) < 0)
                return -ENOMEM;
        if (snp && version == 0) {
                if (json_add_string(o, "vcek", e->vcek_pem) < 0)
                        return -ENOMEM;
        } else if (snp) {
                KbsBlob der = {};

                r = kbs_az_vcek_der(e->vcek_pem, &der);
                if (r < 0)
                        return r;
                r = kbs_ev_add_bytes(o, "vcek", der.data, der.size, KBS_EV_BASE64URL);
                kbs_blob_clear(&der);
                if (r < 0)
                        return r;
        } else if (kbs_ev_add_bytes(o, "td_quote", e->td_quote.data, e->td_quote.size, bytes) < 0)
                return -ENOMEM;
        if (e->tpm.eventlog.data && kbs_ev_add_bytes(o, "tpm_eventlog", e->tpm.eventlog.data,
                                                     e->tpm.eventlog.size, KBS_EV_BASE64URL) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
