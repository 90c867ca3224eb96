/* TDX and SGX quotes as JSON. The layout follows the quote: header and body
 * fields at the top level (the names policies and operators look for),
 * then the signature data, nested the way the certification data nests. */

#include "confnode/evidence/tdx-quote-json.h"

#include <errno.h>
#include <stdio.h>

#include "confnode/basic/json-util.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"

static int tdx_quote_json_add(json_object *obj, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(obj, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int tdx_quote_json_hex32(json_object *obj, const char *key, uint32_t v) {
        char buf[16];

        snprintf(buf, sizeof(buf), "0x%x", v);
        return json_add_string(obj, key, buf);
}

int tdx_quote_json_td_body(const TdxReportBody *b, bool v15, json_object *obj) {
        int r;

        if ((r = json_add_hex(obj, "tee_tcb_svn", b->tee_tcb_svn, sizeof(b->tee_tcb_svn))) < 0 ||
            (r = json_add_hex(obj, "mrseam", b->mrseam, sizeof(b->mrseam))) < 0 ||
            (r = json_add_hex(obj, "mrsignerseam", b->mrsignerseam, sizeof(b->mrsignerseam))) < 0 ||
            (r = json_add_hex(obj, "seam_attributes", b->seam_attributes,
                              sizeof(b->seam_attributes))) < 0 ||
            (r = json_add_hex(obj, "td_attributes", b->td_attributes, sizeof(b->td_attributes))) <
                    0 ||
            (r = json_add_hex(obj, "xfam", b->xfam, sizeof(b->xfam))) < 0 ||
            (r = json_add_hex(obj, "mrtd", b->mrtd, sizeof(b->mrtd))) < 0 ||
            (r = json_add_hex(obj, "mrconfigid", b->mrconfigid, sizeof(b->mrconfigid))) < 0 ||
            (r = json_add_hex(obj, "mrowner", b->mrowner, sizeof(b->mrowner))) < 0 ||
            (r = json_add_hex(obj, "mrownerconfig", b->mrownerconfig, sizeof(b->mrownerconfig))) <
                    0 ||
            (r = json_add_hex(obj, "rtmr0", b->rtmr[0], sizeof(b->rtmr[0]))) < 0 ||
            (r = json_add_hex(obj, "rtmr1", b->rtmr[1], sizeof(b->rtmr[1]))) < 0 ||
            (r = json_add_hex(obj, "rtmr2", b->rtmr[2], sizeof(b->rtmr[2]))) < 0 ||
            (r = json_add_hex(obj, "rtmr3", b->rtmr[3], sizeof(b->rtmr[3]))) < 0 ||
            (r = json_add_hex(obj, "report_data", b->report_data, sizeof(b->report_data))) < 0)
                return r;
        if (!v15)
                return 0;
        if ((r = json_add_hex(obj, "tee_tcb_svn2", b->tee_tcb_svn2, sizeof(b->tee_tcb_svn2))) < 0 ||
            (r = json_add_hex(obj, "mrservicetd", b->mrservicetd, sizeof(b->mrservicetd))) < 0)
                return r;
        return 0;
}

int tdx_quote_json_sgx_body(const SgxReportBody *b, json_object *obj) {
        int r;

        if ((r = json_add_hex(obj, "cpu_svn", b->cpu_svn, sizeof(b->cpu_svn))) < 0 ||
            (r = tdx_quote_json_hex32(obj, "misc_select", b->misc_select)) < 0 ||
            (r = json_add_hex(obj, "isv_ext_prod_id", b->isv_ext_prod_id,
                              sizeof(b->isv_ext_prod_id))) < 0 ||
            (r = json_add_hex(obj, "attributes", b->attributes, sizeof(b->attributes))) < 0 ||
            (r = json_add_hex(obj, "mrenclave", b->mrenclave, sizeof(b->mrenclave))) < 0 ||
            (r = json_add_hex(obj, "mrsigner", b->mrsigner, sizeof(b->mrsigner))) < 0 ||
            (r = json_add_hex(obj, "config_id", b->config_id, sizeof(b->config_id))) < 0 ||
            (r = json_add_u64(obj, "isv_prod_id", b->isv_prod_id)) < 0 ||
            (r = json_add_u64(obj, "isv_svn", b->isv_svn)) < 0 ||
            (r = json_add_u64(obj, "config_svn", b->config_svn)) < 0 ||
            (r = json_add_hex(obj, "isv_family_id", b->isv_family_id, sizeof(b->isv_family_id))) <
                    0 ||
            (r = json_add_hex(obj, "report_data", b->report_data, sizeof(b->report_data))) < 0)
                return r;
        return 0;
}

static int tdx_quote_json_cert(X509 *cert, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        char subject[512], issuer[512], fp[CERT_INFO_FINGERPRINT_SIZE], nb[21], na[21];
        int r;

        if (!o)
                return -ENOMEM;
        cert_info_subject(cert, subject, sizeof(subject));
        cert_info_issuer(cert, issuer, sizeof(issuer));
        cert_info_not_before(cert, nb);
        cert_info_not_after(cert, na);
        r = cert_info_fingerprint(cert, fp);
        if (r < 0)
                return r;
        if ((r = json_add_string(o, "subject", subject)) < 0 ||
            (r = json_add_string(o, "issuer", issuer)) < 0 ||
            (r = json_add_string(o, "not_before", nb)) < 0 ||
            (r = json_add_string(o, "not_after", na)) < 0 ||
            (r = json_add_string(o, "sha256", fp)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* Certification data of any type: its type and size, and what can be said
 * about its contents: the certificates of a PCK chain, the bytes of the
 * small PPID/PCK types. */
static int tdx_quote_json_cert_data(uint16_t type, const uint8_t *data, size_t size,
                                    json_object *obj) {
        const char *name = tdx_quote_cert_type_to_string(type);
        int r;

        if ((r = json_add_u64(obj, "type", type)) < 0 ||
            (r = json_add_string(obj, "type_name", name ?: "unknown")) < 0 ||
            (r = json_add_u64(obj, "size", size)) < 0)
                return r;

        if (type == TDX_CERT_PCK_CHAIN) {
                _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
                _cleanup_(json_object_putp) json_object *arr = NULL;

                if (!certs)
                        return -ENOMEM;
                r = cert_load_buffer(data, size, certs);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return json_add_string(obj, "pck_chain_error",
                                               "the certification data is not a PEM certificate "
                                               "chain");
                arr = json_object_new_array();
                if (!arr)
                        return -ENOMEM;
                for (int i = 0; i < sk_X509_num(certs); i++) {
                        json_object *c = NULL;

                        r = tdx_quote_json_cert(sk_X509_value(certs, i), &c);
                        if (r < 0)
                                return r;
                        if (json_object_array_add(arr, c) < 0) {
                                json_object_put(c);
                                return -ENOMEM;
                        }
                }
                return tdx_quote_json_add(obj, "pck_chain", TAKE_PTR(arr));
        }
        if (type != TDX_CERT_QE_REPORT)
                return json_add_hex(obj, "data", data, size);
        return 0;
}

/* The QE report, its signature, the QE authentication data and the PCK's
 * certification data, added to obj. */
static int tdx_quote_json_qe(const TdxQuote *q, json_object *obj, bool nested) {
        _cleanup_(json_object_putp) json_object *qe = json_object_new_object(), *pck = NULL;
        int r;

        if (!qe)
                return -ENOMEM;
        r = tdx_quote_json_sgx_body(&q->qe_report, qe);
        if (r < 0)
                return r;
        if ((r = tdx_quote_json_add(obj, "qe_report", TAKE_PTR(qe))) < 0 ||
            (r = json_add_hex(obj, "qe_report_signature", q->qe_report_signature,
                              sizeof(q->qe_report_signature))) < 0 ||
            (r = json_add_hex(obj, "qe_auth_data", q->qe_auth_data, q->qe_auth_data_size)) < 0)
                return r;
        if (!nested)
                return 0;
        pck = json_object_new_object();
        if (!pck)
                return -ENOMEM;
        r = tdx_quote_json_cert_data(q->pck_cert_data_type, q->pck_cert_data, q->pck_cert_data_size,
                                     pck);
        if (r < 0)
                return r;
        return tdx_quote_json_add(obj, "certification_data", TAKE_PTR(pck));
}

int tdx_quote_to_json(const TdxQuote *q, json_object **ret) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(), *cert = NULL;
        int r;

        if (!out)
                return -ENOMEM;
        if ((r = json_add_u64(out, "version", q->version)) < 0 ||
            (r = json_add_u64(out, "att_key_type", q->att_key_type)) < 0 ||
            (r = tdx_quote_json_hex32(out, "tee_type", q->tee_type)) < 0 ||
            (r = json_add_string(out, "tee", tdx_quote_tee_type_to_string(q->tee_type))) < 0 ||
            (r = json_add_u64(out, "qe_svn", q->qe_svn)) < 0 ||
            (r = json_add_u64(out, "pce_svn", q->pce_svn)) < 0 ||
            (r = json_add_hex(out, "qe_vendor_id", q->qe_vendor_id, sizeof(q->qe_vendor_id))) < 0 ||
            (r = json_add_hex(out, "user_data", q->user_data, sizeof(q->user_data))) < 0 ||
            (r = json_add_u64(out, "body_type", q->body_type)) < 0 ||
            (r = json_add_string(out, "body_type_name",
                                 tdx_quote_body_type_to_string(q->body_type))) < 0 ||
            (r = json_add_u64(out, "body_size", q->body_size)) < 0)
                return r;

        if (q->body_type == TDX_QUOTE_BODY_SGX)
                r = tdx_quote_json_sgx_body(&q->sgx, out);
        else
                r = tdx_quote_json_td_body(&q->td, q->body_type == TDX_QUOTE_BODY_TD15, out);
        if (r < 0)
                return r;

        if ((r = json_add_u64(out, "sig_data_len", q->sig_data_len)) < 0 ||
            (r = json_add_hex(out, "signature", q->signature, sizeof(q->signature))) < 0 ||
            (r = json_add_hex(out, "attestation_key", q->attest_key, sizeof(q->attest_key))) < 0)
                return r;

        /* v3 carries the QE report before its certification data; v4 and
         * v5 nest both inside certification data of type 6. */
        cert = json_object_new_object();
        if (!cert)
                return -ENOMEM;
        if (q->version == 3) {
                r = tdx_quote_json_qe(q, out, false);
                if (r >= 0)
                        r = tdx_quote_json_cert_data(q->cert_data_type, q->cert_data,
                                                     q->cert_data_size, cert);
        } else {
                r = tdx_quote_json_cert_data(q->cert_data_type, q->cert_data, q->cert_data_size,
                                             cert);
                if (r >= 0 && q->has_qe_report)
                        r = tdx_quote_json_qe(q, cert, true);
        }
        if (r < 0)
                return r;
        if ((r = tdx_quote_json_add(out, "certification_data", TAKE_PTR(cert))) < 0 ||
            (r = json_add_u64(out, "size", q->size)) < 0 ||
            (r = json_add_u64(out, "trailing_bytes", q->trailing_size)) < 0 ||
            (r = tdx_quote_json_add(out, "trailing_zero",
                                    json_object_new_boolean(q->trailing_zero))) < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

int tdx_quote_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err) {
        TdxQuote q;
        int r;

        r = tdx_quote_parse(data, size, &q, err);
        /* For inspect, "a version this parser does not decode" is as
         * undecodable as a damaged quote; the error says which. */
        if (r == -EOPNOTSUPP)
                return -EBADMSG;
        if (r < 0)
                return r;
        return tdx_quote_to_json(&q, ret);
}
