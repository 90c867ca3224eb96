/* Decoding of Intel DCAP ECDSA quotes (TDX v4/v5, SGX v3). Every integer is
 * little-endian. Each length read from the quote becomes a nested reader of
 * exactly that many bytes, and each nested structure must fill its reader
 * to the last byte, so a length that disagrees with what it frames is
 * caught where it is read rather than as garbage further on. */

#include "confnode/evidence/tdx-quote.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A field of fixed size, copied out and named in any error. */
static int tdx_quote_copy(Reader *rd, const char *field, void *dst, size_t n) {
        return reader_field(rd, reader_copy(rd, dst, n), field);
}

static int tdx_quote_u16(Reader *rd, const char *field, uint16_t *ret) {
        return reader_field(rd, reader_u16le(rd, ret), field);
}

static int tdx_quote_u32(Reader *rd, const char *field, uint32_t *ret) {
        return reader_field(rd, reader_u32le(rd, ret), field);
}

/* Records the failure like reader_fail() but reports a well-formed value
 * this parser does not decode, so that a verifier can tell "unsupported"
 * from "malformed". */
static int tdx_quote_unsupported(Reader *rd, const char *field, const char *what) {
        (void)reader_fail(rd, field, "%s", what);
        return -EOPNOTSUPP;
}

/* The nested structure must use its whole span: a length larger than what
 * it frames would otherwise hide bytes nobody looks at. */
static int tdx_quote_all_used(Reader *rd, const char *field) {
        if (reader_eof(rd))
                return 0;
        return reader_fail(rd, field, "%zu bytes left over inside the declared size",
                           reader_left(rd));
}

static int tdx_quote_sgx_body(Reader *rd, SgxReportBody *b) {
        int r;

        if ((r = tdx_quote_copy(rd, "cpu_svn", b->cpu_svn, sizeof(b->cpu_svn))) < 0 ||
            (r = tdx_quote_u32(rd, "misc_select", &b->misc_select)) < 0 ||
            (r = reader_field(rd, reader_skip(rd, 12), "reserved1")) < 0 ||
            (r = tdx_quote_copy(rd, "isv_ext_prod_id", b->isv_ext_prod_id,
                                sizeof(b->isv_ext_prod_id))) < 0 ||
            (r = tdx_quote_copy(rd, "attributes", b->attributes, sizeof(b->attributes))) < 0 ||
            (r = tdx_quote_copy(rd, "mrenclave", b->mrenclave, sizeof(b->mrenclave))) < 0 ||
            (r = reader_field(rd, reader_skip(rd, 32), "reserved2")) < 0 ||
            (r = tdx_quote_copy(rd, "mrsigner", b->mrsigner, sizeof(b->mrsigner))) < 0 ||
            (r = reader_field(rd, reader_skip(rd, 32), "reserved3")) < 0 ||
            (r = tdx_quote_copy(rd, "config_id", b->config_id, sizeof(b->config_id))) < 0 ||
            (r = tdx_quote_u16(rd, "isv_prod_id", &b->isv_prod_id)) < 0 ||
            (r = tdx_quote_u16(rd, "isv_svn", &b->isv_svn)) < 0 ||
            (r = tdx_quote_u16(rd, "config_svn", &b->config_svn)) < 0 ||
            (r = reader_field(rd, reader_skip(rd, 42), "reserved4")) < 0 ||
            (r = tdx_quote_copy(rd, "isv_family_id", b->isv_family_id, sizeof(b->isv_family_id))) <
                    0 ||
            (r = tdx_quote_copy(rd, "report_data", b->report_data, sizeof(b->report_data))) < 0)
                return r;
        return 0;
}

static int tdx_quote_td_body(Reader *rd, bool v15, TdxReportBody *b) {
        static const char *const rtmr_names[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
        int r;

        if ((r = tdx_quote_copy(rd, "tee_tcb_svn", b->tee_tcb_svn, sizeof(b->tee_tcb_svn))) < 0 ||
            (r = tdx_quote_copy(rd, "mrseam", b->mrseam, sizeof(b->mrseam))) < 0 ||
            (r = tdx_quote_copy(rd, "mrsignerseam", b->mrsignerseam, sizeof(b->mrsignerseam))) <
                    0 ||
            (r = tdx_quote_copy(rd, "seam_attributes", b->seam_attributes,
                                sizeof(b->seam_attributes))) < 0 ||
            (r = tdx_quote_copy(rd, "td_attributes", b->td_attributes, sizeof(b->td_attributes))) <
                    0 ||
            (r = tdx_quote_copy(rd, "xfam", b->xfam, sizeof(b->xfam))) < 0 ||
            (r = tdx_quote_copy(rd, "mrtd", b->mrtd, sizeof(b->mrtd))) < 0 ||
            (r = tdx_quote_copy(rd, "mrconfigid", b->mrconfigid, sizeof(b->mrconfigid))) < 0 ||
            (r = tdx_quote_copy(rd, "mrowner", b->mrowner, sizeof(b->mrowner))) < 0 ||
            (r = tdx_quote_copy(rd, "mrownerconfig", b->mrownerconfig, sizeof(b->mrownerconfig))) <
                    0)
                return r;
        for (size_t i = 0; i < 4; i++) {
                r = tdx_quote_copy(rd, rtmr_names[i], b->rtmr[i], sizeof(b->rtmr[i]));
                if (r < 0)
                        return r;
        }
        r = tdx_quote_copy(rd, "report_data", b->report_data, sizeof(b->report_data));
        if (r < 0)
                return r;
        if (!v15)
                return 0;
        r = tdx_quote_copy(rd, "tee_tcb_svn2", b->tee_tcb_svn2, sizeof(b->tee_tcb_svn2));
        if (r < 0)
                return r;
        return tdx_quote_copy(rd, "mrservicetd", b->mrservicetd, sizeof(b->mrservicetd));
}

/* A u32 length, then that many bytes as a nested reader. */
static int tdx_quote_sized(Reader *rd, const char *field, uint32_t *ret_size, Reader *ret) {
        Reader save = *rd;
        uint32_t n;
        int r;

        r = tdx_quote_u32(rd, field, &n);
        if (r < 0)
                return r;
        if (n > reader_left(rd)) {
                size_t left = reader_left(rd);

                *rd = save;
                return reader_fail(rd, field, "declares %u bytes, only %zu follow", n, left);
        }
        r = reader_sub(rd, n, ret);
        if (r < 0)
                return reader_field(rd, r, field);
        *ret_size = n;
        return 0;
}

/* The QE report certification data: the QE report, its signature by the
 * PCK, the QE authentication data and the certification data of the PCK.
 * A v3 quote carries the same fields inline. */
static int tdx_quote_qe_report(Reader *rd, bool nested, TdxQuote *q) {
        Reader body, auth, pck, save;
        uint16_t auth_size;
        uint32_t pck_size;
        int r;

        r = reader_field(rd, reader_sub(rd, TDX_QUOTE_SGX_BODY_SIZE, &body), "qe_report");
        if (r < 0)
                return r;
        r = reader_peek(&body, TDX_QUOTE_SGX_BODY_SIZE, &q->qe_report_raw);
        if (r < 0)
                return r;
        r = tdx_quote_sgx_body(&body, &q->qe_report);
        if (r < 0)
                return r;
        r = tdx_quote_copy(rd, "qe_report_signature", q->qe_report_signature,
                           sizeof(q->qe_report_signature));
        if (r < 0)
                return r;

        save = *rd;
        r = tdx_quote_u16(rd, "qe_auth_data.size", &auth_size);
        if (r < 0)
                return r;
        if (auth_size > reader_left(rd)) {
                size_t left = reader_left(rd);

                *rd = save;
                return reader_fail(rd, "qe_auth_data.size", "declares %u bytes, only %zu follow",
                                   auth_size, left);
        }
        r = reader_field(rd, reader_sub(rd, auth_size, &auth), "qe_auth_data");
        if (r < 0)
                return r;
        reader_rest(&auth, &q->qe_auth_data, &q->qe_auth_data_size);

        r = tdx_quote_u16(rd, nested ? "qe_certification_data.type" : "certification_data.type",
                          &q->pck_cert_data_type);
        if (r < 0)
                return r;
        r = tdx_quote_sized(rd, nested ? "qe_certification_data.size" : "certification_data.size",
                            &pck_size, &pck);
        if (r < 0)
                return r;
        reader_rest(&pck, &q->pck_cert_data, &q->pck_cert_data_size);
        q->has_qe_report = true;
        return 0;
}

static int tdx_quote_header(Reader *rd, TdxQuote *q) {
        Reader save = *rd;
        int r;

        r = tdx_quote_u16(rd, "version", &q->version);
        if (r < 0)
                return r;
        if (q->version < 3 || q->version > 5) {
                char what[96];

                snprintf(what, sizeof(what),
                         "%u is not a DCAP quote version this parser decodes "
                         "(3, 4, 5)",
                         q->version);
                return tdx_quote_unsupported(&save, "version", what);
        }
        save = *rd;
        r = tdx_quote_u16(rd, "att_key_type", &q->att_key_type);
        if (r < 0)
                return r;
        if (q->att_key_type != TDX_QUOTE_ATT_KEY_ECDSA_P256) {
                char what[96];

                snprintf(what, sizeof(what), "%u is not ECDSA-256-with-P-256 (2)", q->att_key_type);
                return tdx_quote_unsupported(&save, "att_key_type", what);
        }
        save = *rd;
        r = tdx_quote_u32(rd, "tee_type", &q->tee_type);
        if (r < 0)
                return r;
        /* In a v3 quote these four bytes are reserved; v3 is SGX only. */
        if (q->version == 3 && q->tee_type != TDX_QUOTE_TEE_SGX)
                return reader_fail(&save, "tee_type",
                                   "0x%x in a version 3 quote, which only exists for SGX (0x0)",
                                   q->tee_type);
        if (!tdx_quote_tee_type_to_string(q->tee_type)) {
                char what[96];

                snprintf(what, sizeof(what), "0x%x is neither SGX (0x0) nor TDX (0x81)",
                         q->tee_type);
                return tdx_quote_unsupported(&save, "tee_type", what);
        }
        if ((r = tdx_quote_u16(rd, "qe_svn", &q->qe_svn)) < 0 ||
            (r = tdx_quote_u16(rd, "pce_svn", &q->pce_svn)) < 0 ||
            (r = tdx_quote_copy(rd, "qe_vendor_id", q->qe_vendor_id, sizeof(q->qe_vendor_id))) <
                    0 ||
            (r = tdx_quote_copy(rd, "user_data", q->user_data, sizeof(q->user_data))) < 0)
                return r;
        return 0;
}

static uint32_t tdx_quote_body_size(TdxQuoteBodyType t) {
        switch (t) {
        case TDX_QUOTE_BODY_SGX:
                return TDX_QUOTE_SGX_BODY_SIZE;
        case TDX_QUOTE_BODY_TD10:
                return TDX_QUOTE_TD10_BODY_SIZE;
        case TDX_QUOTE_BODY_TD15:
                return TDX_QUOTE_TD15_BODY_SIZE;
        default:
                return 0;
        }
}

static int tdx_quote_body(Reader *rd, TdxQuote *q) {
        Reader save, body;
        int r;

        if (q->version == 5) {
                uint16_t type;

                save = *rd;
                r = tdx_quote_u16(rd, "body_type", &type);
                if (r < 0)
                        return r;
                if (!tdx_quote_body_type_to_string((TdxQuoteBodyType)type))
                        return reader_fail(&save, "body_type",
                                           "%u is not a report body type (1 SGX, 2 TD 1.0, 3 TD "
                                           "1.5)",
                                           type);
                q->body_type = (TdxQuoteBodyType)type;
                if ((q->tee_type == TDX_QUOTE_TEE_SGX) != (q->body_type == TDX_QUOTE_BODY_SGX))
                        return reader_fail(&save, "body_type", "%s body in a quote of tee_type %s",
                                           tdx_quote_body_type_to_string(q->body_type),
                                           tdx_quote_tee_type_to_string(q->tee_type));
                save = *rd;
                r = tdx_quote_u32(rd, "body_size", &q->body_size);
                if (r < 0)
                        return r;
                if (q->body_size != tdx_quote_body_size(q->body_type))
                        return reader_fail(&save, "body_size", "%u bytes, a %s body has %u",
                                           q->body_size,
                                           tdx_quote_body_type_to_string(q->body_type),
                                           tdx_quote_body_size(q->body_type));
        } else {
                q->body_type =
                        q->tee_type == TDX_QUOTE_TEE_TDX ? TDX_QUOTE_BODY_TD10 : TDX_QUOTE_BODY_SGX;
                q->body_size = tdx_quote_body_size(q->body_type);
        }

        r = reader_field(rd, reader_sub(rd, q->body_size, &body), "body");
        if (r < 0)
                return r;
        if (q->body_type == TDX_QUOTE_BODY_SGX)
                return tdx_quote_sgx_body(&body, &q->sgx);
        return tdx_quote_td_body(&body, q->body_type == TDX_QUOTE_BODY_TD15, &q->td);
}

static int tdx_quote_signature_data(Reader *sig, TdxQuote *q) {
        int r;

        r = tdx_quote_copy(sig, "signature", q->signature, sizeof(q->signature));
        if (r < 0)
                return r;
        r = tdx_quote_copy(sig, "attestation_key", q->attest_key, sizeof(q->attest_key));
        if (r < 0)
                return r;

        if (q->version == 3) {
                /* The QE report and its certification data follow inline. */
                r = tdx_quote_qe_report(sig, false, q);
                if (r < 0)
                        return r;
                q->cert_data_type = q->pck_cert_data_type;
                q->cert_data = q->pck_cert_data;
                q->cert_data_size = q->pck_cert_data_size;
        } else {
                Reader cert;
                uint32_t n;

                r = tdx_quote_u16(sig, "certification_data.type", &q->cert_data_type);
                if (r < 0)
                        return r;
                r = tdx_quote_sized(sig, "certification_data.size", &n, &cert);
                if (r < 0)
                        return r;
                r = reader_peek(&cert, n, &q->cert_data);
                if (r < 0)
                        return r;
                q->cert_data_size = n;
                /* Other types are kept as bytes; the verifier says it
                 * cannot use them. */
                if (q->cert_data_type == TDX_CERT_QE_REPORT) {
                        r = tdx_quote_qe_report(&cert, true, q);
                        if (r < 0)
                                return r;
                        r = tdx_quote_all_used(&cert, "certification_data.size");
                        if (r < 0)
                                return r;
                }
        }
        return tdx_quote_all_used(sig, "sig_data_len");
}

int tdx_quote_parse(const uint8_t *data, size_t size, TdxQuote *ret, ParseError *err) {
        TdxQuote q = {};
        const uint8_t *rest;
        Reader rd, sig;
        int r;

        reader_init(&rd, data, size, err);
        r = tdx_quote_header(&rd, &q);
        if (r < 0)
                return r;
        r = tdx_quote_body(&rd, &q);
        if (r < 0)
                return r;
        q.signed_data = data;
        q.signed_size = reader_offset(&rd);

        r = tdx_quote_sized(&rd, "sig_data_len", &q.sig_data_len, &sig);
        if (r < 0)
                return r;
        r = tdx_quote_signature_data(&sig, &q);
        if (r < 0)
                return r;

        q.size = reader_offset(&rd);
        reader_rest(&rd, &rest, &q.trailing_size);
        q.trailing_zero = true;
        for (size_t i = 0; i < q.trailing_size; i++)
                if (rest[i] != 0) {
                        q.trailing_zero = false;
                        break;
                }
        *ret = q;
        return 0;
}

const char *tdx_quote_tee_type_to_string(uint32_t tee_type) {
        switch (tee_type) {
        case TDX_QUOTE_TEE_SGX:
                return "sgx";
        case TDX_QUOTE_TEE_TDX:
                return "tdx";
        default:
                return NULL;
        }
}

const char *tdx_quote_cert_type_to_string(uint16_t type) {
        static const char *const names[] = {
                [TDX_CERT_PPID_CLEARTEXT] = "ppid_cleartext",
                [TDX_CERT_PPID_RSA2048] = "ppid_rsa2048_encrypted",
                [TDX_CERT_PPID_RSA3072] = "ppid_rsa3072_encrypted",
                [TDX_CERT_PCK_CLEARTEXT] = "pck_cleartext",
                [TDX_CERT_PCK_CHAIN] = "pck_cert_chain",
                [TDX_CERT_QE_REPORT] = "qe_report",
                [TDX_CERT_PLATFORM_MANIFEST] = "platform_manifest",
        };

        if (type >= ELEMENTSOF(names))
                return NULL;
        return names[type];
}

const char *tdx_quote_body_type_to_string(TdxQuoteBodyType type) {
        switch (type) {
        case TDX_QUOTE_BODY_SGX:
                return "sgx_enclave_report";
        case TDX_QUOTE_BODY_TD10:
                return "td_report_1.0";
        case TDX_QUOTE_BODY_TD15:
                return "td_report_1.5";
        default:
                return NULL;
        }
}

const uint8_t *tdx_quote_report_data(const TdxQuote *q) {
        return q->body_type == TDX_QUOTE_BODY_SGX ? q->sgx.report_data : q->td.report_data;
}
