/* Trustee's "snp" evidence (deps/verifier/src/snp/mod.rs at 78962cd):
 *   {"attestation_report": <AttestationReport>, "cert_chain": [<entry>…] | null}
 * in the serde form of the virtee/sev crate Trustee builds with (rev
 * d487809, 7.1): byte fields as arrays of integers, TCB versions as
 * {"fmc","bootloader","tee","snp","microcode"}, the firmware versions as
 * {"major","minor","build"}, the policy, PLATFORM_INFO and key-info words
 * as plain integers, the signature as {"r","s"} (72 bytes each, little-
 * endian, as in the report); a cert_chain entry is {"cert_type": "ARK" |
 * "ASK" | "VCEK" | "VLEK" | "CRL" | {"OTHER": "<uuid>"}, "data": [bytes]}.
 *
 * The JSON holds every field but no reserved byte, so the 1184 bytes are
 * rebuilt with zeros there; the sev crate does the same when Trustee
 * checks the signature. A report whose reserved bytes are not zero would
 * not come back as signed: it is refused, not changed. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/evidence/snp-cert-table.h"
#include "confnode/evidence/snp-report.h"
#include "kbs-evidence-internal.h"

/* Offsets of the ATTESTATION_REPORT (SEV-SNP firmware ABI). */
#define OFF_VERSION 0x000
#define OFF_GUEST_SVN 0x004
#define OFF_POLICY 0x008
#define OFF_FAMILY_ID 0x010
#define OFF_IMAGE_ID 0x020
#define OFF_VMPL 0x030
#define OFF_SIG_ALGO 0x034
#define OFF_CURRENT_TCB 0x038
#define OFF_PLAT_INFO 0x040
#define OFF_KEY_INFO 0x048
#define OFF_REPORT_DATA 0x050
#define OFF_MEASUREMENT 0x090
#define OFF_HOST_DATA 0x0c0
#define OFF_ID_KEY_DIGEST 0x0e0
#define OFF_AUTHOR_KEY_DIGEST 0x110
#define OFF_REPORT_ID 0x140
#define OFF_REPORT_ID_MA 0x160
#define OFF_REPORTED_TCB 0x180
#define OFF_CPUID_FAM_ID 0x188
#define OFF_CPUID_MOD_ID 0x189
#define OFF_CPUID_STEP 0x18a
#define OFF_CHIP_ID 0x1a0
#define OFF_COMMITTED_TCB 0x1e0
#define OFF_CURRENT 0x1e8
#define OFF_COMMITTED 0x1ec
#define OFF_LAUNCH_TCB 0x1f0
#define OFF_LAUNCH_MIT_VECTOR 0x1f8
#define OFF_CURRENT_MIT_VECTOR 0x200
#define OFF_SIGNATURE 0x2a0

typedef struct SnpBytesField {
        const char *name;
        size_t offset;
        size_t size;
} SnpBytesField;

static const SnpBytesField snp_id_fields[] = {
        {"family_id", OFF_FAMILY_ID, SNP_FAMILY_ID_SIZE},
        {"image_id", OFF_IMAGE_ID, SNP_IMAGE_ID_SIZE},
};

static const SnpBytesField snp_body_fields[] = {
        {"report_data", OFF_REPORT_DATA, SNP_REPORT_DATA_SIZE},
        {"measurement", OFF_MEASUREMENT, SNP_MEASUREMENT_SIZE},
        {"host_data", OFF_HOST_DATA, SNP_HOST_DATA_SIZE},
        {"id_key_digest", OFF_ID_KEY_DIGEST, SNP_KEY_DIGEST_SIZE},
        {"author_key_digest", OFF_AUTHOR_KEY_DIGEST, SNP_KEY_DIGEST_SIZE},
        {"report_id", OFF_REPORT_ID, SNP_REPORT_ID_SIZE},
        {"report_id_ma", OFF_REPORT_ID_MA, SNP_REPORT_ID_SIZE},
};

static void put_le(uint8_t *p, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* Which TCB_VERSION layout the report's TCBs are in, decided from what the
 * JSON carries, the way the sev crate decides it: for version 3 and later
 * the CPUID family (Zen 5, family 1Ah, brought the FMC layout); version 2
 * has no CPUID, and the sev crate takes a chip ID of which only the first
 * 8 bytes are set for Turin's (a masked, all-zero one it cannot place;
 * we take the older layout then, as snp_report_parse() does). */
static SnpTcbLayout kbs_snp_layout(uint32_t version, uint8_t family,
                                   const uint8_t chip_id[static SNP_CHIP_ID_SIZE]) {
        bool rest_zero = true, head_zero = true;

        if (version >= 3)
                return snp_report_tcb_layout_from_cpuid(family);
        for (size_t i = 0; i < SNP_CHIP_ID_SIZE; i++)
                if (chip_id[i] != 0) {
                        if (i < 8)
                                head_zero = false;
                        else
                                rest_zero = false;
                }
        return rest_zero && !head_zero ? SNP_TCB_LAYOUT_TURIN : SNP_TCB_LAYOUT_MILAN_GENOA;
}

/* Report to JSON. */

static int kbs_snp_add_opt_int(json_object *o, const char *name, bool has, uint64_t value) {
        /* json_add() takes a NULL value for ENOMEM: a JSON null is added
         * with json_object_object_add() directly. */
        if (!has)
                return json_object_object_add(o, name, NULL) < 0 ? -ENOMEM : 0;
        return json_add(o, name, json_object_new_uint64(value));
}

static int kbs_snp_tcb_json(uint64_t raw, SnpTcbLayout layout, const char *name,
                            json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        uint8_t b[8];
        SnpTcb t;

        if (!o)
                return -ENOMEM;
        put_le(b, raw, 8);
        /* Bytes the layout reserves are not in the JSON. */
        for (size_t i = layout == SNP_TCB_LAYOUT_TURIN ? 4 : 2;
             i < (layout == SNP_TCB_LAYOUT_TURIN ? 7u : 6u); i++)
                if (b[i] != 0)
                        return log_debug_errno(EBADMSG,
                                               "SNP report %s: reserved TCB byte %zu is 0x%02x, "
                                               "it would not survive serialization",
                                               name, i, b[i]);
        snp_report_tcb_decode(raw, layout, &t);
        if (kbs_snp_add_opt_int(o, "fmc", layout == SNP_TCB_LAYOUT_TURIN, t.fmc) < 0 ||
            json_add(o, "bootloader", json_object_new_int(t.bootloader)) < 0 ||
            json_add(o, "tee", json_object_new_int(t.tee)) < 0 ||
            json_add(o, "snp", json_object_new_int(t.snp)) < 0 ||
            json_add(o, "microcode", json_object_new_int(t.microcode)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

static int kbs_snp_add_tcb(json_object *o, const char *name, uint64_t raw, SnpTcbLayout layout) {
        json_object *t;
        int r;

        r = kbs_snp_tcb_json(raw, layout, name, &t);
        if (r < 0)
                return r;
        return json_add(o, name, t);
}

static int kbs_snp_add_version(json_object *o, const char *name, uint8_t major, uint8_t minor,
                               uint8_t build) {
        json_object *v = json_object_new_object();

        if (!v)
                return -ENOMEM;
        if (json_add(v, "major", json_object_new_int(major)) < 0 ||
            json_add(v, "minor", json_object_new_int(minor)) < 0 ||
            json_add(v, "build", json_object_new_int(build)) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return json_add(o, name, v);
}

static int kbs_snp_report_json(const SnpReport *rep, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *sig = NULL;
        SnpTcbLayout layout = kbs_snp_layout(rep->version, rep->cpuid_fam_id, rep->chip_id);
        int r;

        if (!o)
                return -ENOMEM;
        if (json_add(o, "version", json_object_new_uint64(rep->version)) < 0 ||
            json_add(o, "guest_svn", json_object_new_uint64(rep->guest_svn)) < 0 ||
            json_add(o, "policy", json_object_new_uint64(rep->policy)) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(snp_id_fields); i++)
                if (kbs_ev_add_bytes(o, snp_id_fields[i].name, rep->raw + snp_id_fields[i].offset,
                                     snp_id_fields[i].size, KBS_EV_ARRAY) < 0)
                        return -ENOMEM;
        if (json_add(o, "vmpl", json_object_new_uint64(rep->vmpl)) < 0 ||
            json_add(o, "sig_algo", json_object_new_uint64(rep->signature_algo)) < 0)
                return -ENOMEM;
        r = kbs_snp_add_tcb(o, "current_tcb", rep->current_tcb.raw, layout);
        if (r < 0)
                return r;
        if (json_add(o, "plat_info", json_object_new_uint64(rep->platform_info)) < 0 ||
            json_add(o, "key_info", json_object_new_uint64(rep->flags)) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(snp_body_fields); i++)
                if (kbs_ev_add_bytes(o, snp_body_fields[i].name,
                                     rep->raw + snp_body_fields[i].offset, snp_body_fields[i].size,
                                     KBS_EV_ARRAY) < 0)
                        return -ENOMEM;
        r = kbs_snp_add_tcb(o, "reported_tcb", rep->reported_tcb.raw, layout);
        if (r < 0)
                return r;
        if (kbs_snp_add_opt_int(o, "cpuid_fam_id", rep->has_cpuid, rep->cpuid_fam_id) < 0 ||
            kbs_snp_add_opt_int(o, "cpuid_mod_id", rep->has_cpuid, rep->cpuid_mod_id) < 0 ||
            kbs_snp_add_opt_int(o, "cpuid_step", rep->has_cpuid, rep->cpuid_step) < 0 ||
            kbs_ev_add_bytes(o, "chip_id", rep->chip_id, SNP_CHIP_ID_SIZE, KBS_EV_ARRAY) < 0)
                return -ENOMEM;
        r = kbs_snp_add_tcb(o, "committed_tcb", rep->committed_tcb.raw, layout);
        if (r < 0)
                return r;
        if (kbs_snp_add_version(o, "current", rep->current_major, rep->current_minor,
                                rep->current_build) < 0 ||
            kbs_snp_add_version(o, "committed", rep->committed_major, rep->committed_minor,
                                rep->committed_build) < 0)
                return -ENOMEM;
        r = kbs_snp_add_tcb(o, "launch_tcb", rep->launch_tcb.raw, layout);
        if (r < 0)
                return r;
        if (kbs_snp_add_opt_int(o, "launch_mit_vector", rep->has_mit_vectors,
                                rep->launch_mit_vector) < 0 ||
            kbs_snp_add_opt_int(o, "current_mit_vector", rep->has_mit_vectors,
                                rep->current_mit_vector) < 0)
                return -ENOMEM;
        sig = json_object_new_object();
        if (!sig ||
            kbs_ev_add_bytes(sig, "r", rep->signature_r, SNP_SIGNATURE_COMPONENT_SIZE,
                             KBS_EV_ARRAY) < 0 ||
            kbs_ev_add_bytes(sig, "s", rep->signature_s, SNP_SIGNATURE_COMPONENT_SIZE,
                             KBS_EV_ARRAY) < 0 ||
            json_add(o, "signature", TAKE_PTR(sig)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

int kbs_evidence_snp_report_to_json(const uint8_t *report, size_t size, json_object **ret) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        uint8_t back[SNP_REPORT_SIZE];
        ParseError perr = {};
        KbsProtoError err = {};
        char buf[200];
        int r;

        /* The parser refuses non-zero reserved ranges and versions other
         * than 2-5, so what it takes has only fields the JSON carries… */
        r = snp_report_parse(report, size, &rep, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_debug_errno(EBADMSG, "SNP report not serializable: %s",
                                       parse_error_string(&perr, buf, sizeof(buf)));
        r = kbs_snp_report_json(rep, &o);
        if (r < 0)
                return r;
        /* …but a TCB's reserved bytes, or the signature's reserved bytes
         * under an algorithm other than ECDSA, pass it. Whatever else
         * might, the rebuilt bytes must be the signed ones. */
        r = kbs_evidence_snp_report_from_json(o, back, sizeof(back), &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || memcmp(back, report, SNP_REPORT_SIZE) != 0)
                return log_debug_errno(EBADMSG, "SNP report does not survive serialization");
        *ret = TAKE_PTR(o);
        return 0;
}

/* JSON to report. */

static int kbs_snp_u8(json_object *o, const char *path, const char *name, uint8_t *ret,
                      KbsProtoError *err) {
        uint64_t v;
        int r;

        r = kbs_ev_uint_member(o, path, name, UINT8_MAX, &v, err);
        if (r < 0)
                return r;
        *ret = (uint8_t)v;
        return 0;
}

static int kbs_snp_tcb_from_json(json_object *o, const char *path, const char *name,
                                 SnpTcbLayout layout, uint8_t *dst, KbsProtoError *err) {
        json_object *t, *fmc = NULL;
        uint8_t b[8] = {}, bl, tee, snp, ucode;
        char p[64], q[64];
        int r;

        r = kbs_ev_member(o, path, name, json_type_object, true, &t, err);
        if (r < 0)
                return r;
        kbs_ev_path(p, path, name);
        r = kbs_snp_u8(t, p, "bootloader", &bl, err);
        if (r >= 0)
                r = kbs_snp_u8(t, p, "tee", &tee, err);
        if (r >= 0)
                r = kbs_snp_u8(t, p, "snp", &snp, err);
        if (r >= 0)
                r = kbs_snp_u8(t, p, "microcode", &ucode, err);
        if (r < 0)
                return r;
        (void)json_object_object_get_ex(t, "fmc", &fmc);
        kbs_ev_path(q, p, "fmc");
        if (layout == SNP_TCB_LAYOUT_TURIN) {
                uint64_t v;

                /* The sev crate always sets fmc for this layout. */
                if (!fmc)
                        return kbs_ev_fail(err, -EBADMSG, q,
                                           "missing, the report's CPU has the FMC TCB layout");
                r = kbs_ev_uint(fmc, q, UINT8_MAX, &v, err);
                if (r < 0)
                        return r;
                b[0] = (uint8_t)v, b[1] = bl, b[2] = tee, b[3] = snp;
        } else {
                if (fmc)
                        return kbs_ev_fail(err, -EBADMSG, q,
                                           "set, but the report's CPU has no FMC in its TCB");
                b[0] = bl, b[1] = tee, b[6] = snp;
        }
        b[7] = ucode;
        memcpy(dst, b, sizeof(b));
        return 0;
}

static int kbs_snp_version_from_json(json_object *o, const char *path, const char *name,
                                     uint8_t *dst, KbsProtoError *err) {
        json_object *v;
        char p[64];
        int r;

        r = kbs_ev_member(o, path, name, json_type_object, true, &v, err);
        if (r < 0)
                return r;
        kbs_ev_path(p, path, name);
        /* In the report: build, minor, major. */
        r = kbs_snp_u8(v, p, "build", &dst[0], err);
        if (r >= 0)
                r = kbs_snp_u8(v, p, "minor", &dst[1], err);
        if (r >= 0)
                r = kbs_snp_u8(v, p, "major", &dst[2], err);
        return r;
}

/* An Option<…> member of the report: required when the version has the
 * field, refused when it has not (the value would be lost). */
static int kbs_snp_opt(json_object *o, const char *path, const char *name, bool has,
                       uint32_t version, uint64_t max, uint64_t *ret, KbsProtoError *err) {
        json_object *v = NULL;
        char p[64];

        (void)json_object_object_get_ex(o, name, &v);
        kbs_ev_path(p, path, name);
        if (!has) {
                if (v)
                        return kbs_ev_fail(err, -EBADMSG, p,
                                           "set, but a version %u report has no such field",
                                           version);
                *ret = 0;
                return 0;
        }
        if (!v)
                return kbs_ev_fail(err, -EBADMSG, p, "missing, a version %u report has it",
                                   version);
        return kbs_ev_uint(v, p, max, ret, err);
}

static int kbs_snp_u32_at(json_object *o, const char *path, const char *name, uint8_t *buf,
                          size_t offset, KbsProtoError *err) {
        uint64_t v;
        int r;

        r = kbs_ev_uint_member(o, path, name, UINT32_MAX, &v, err);
        if (r < 0)
                return r;
        put_le(buf + offset, v, 4);
        return 0;
}

static int kbs_snp_u64_at(json_object *o, const char *path, const char *name, uint8_t *buf,
                          size_t offset, KbsProtoError *err) {
        uint64_t v;
        int r;

        r = kbs_ev_uint_member(o, path, name, UINT64_MAX, &v, err);
        if (r < 0)
                return r;
        put_le(buf + offset, v, 8);
        return 0;
}

static int kbs_snp_bytes_at(json_object *o, const char *path, const SnpBytesField *f, uint8_t *buf,
                            KbsProtoError *err) {
        json_object *v;
        char p[64];
        int r;

        r = kbs_ev_member(o, path, f->name, json_type_array, true, &v, err);
        if (r < 0)
                return r;
        return kbs_ev_bytes_fixed(v, KBS_EV_ARRAY, kbs_ev_path(p, path, f->name), buf + f->offset,
                                  f->size, err);
}

static int kbs_snp_report_from_json_at(json_object *j, const char *path, uint8_t *buf,
                                       KbsProtoError *err) {
        static const SnpBytesField chip_id = {"chip_id", OFF_CHIP_ID, SNP_CHIP_ID_SIZE};
        static const SnpBytesField sig_r = {"r", OFF_SIGNATURE, SNP_SIGNATURE_COMPONENT_SIZE};
        static const SnpBytesField sig_s = {"s", OFF_SIGNATURE + SNP_SIGNATURE_COMPONENT_SIZE,
                                            SNP_SIGNATURE_COMPONENT_SIZE};
        static const struct {
                const char *name;
                size_t offset;
        } tcbs[] = {
                {"current_tcb", OFF_CURRENT_TCB},
                {"reported_tcb", OFF_REPORTED_TCB},
                {"committed_tcb", OFF_COMMITTED_TCB},
                {"launch_tcb", OFF_LAUNCH_TCB},
        };
        json_object *sig;
        uint64_t version, fam, mod, step, lmv, cmv;
        SnpTcbLayout layout;
        ParseError perr = {};
        SnpReport *rep = NULL;
        char p[64], pe[200];
        int r;

        memset(buf, 0, SNP_REPORT_SIZE);
        r = kbs_ev_expect_object(j, path, err);
        if (r < 0)
                return r;
        r = kbs_ev_uint_member(j, path, "version", UINT32_MAX, &version, err);
        if (r < 0)
                return r;
        /* The sev crate reads any version from 2 on (later ones as 5);
         * Trustee appraises 3-5. The layouts we know are 2-5. */
        if (version < SNP_REPORT_MIN_VERSION || version > SNP_REPORT_MAX_VERSION)
                return kbs_ev_fail(err, -EBADMSG, kbs_ev_path(p, path, "version"),
                                   "%llu is not a report version we know (%d-%d)",
                                   (unsigned long long)version, SNP_REPORT_MIN_VERSION,
                                   SNP_REPORT_MAX_VERSION);
        put_le(buf + OFF_VERSION, version, 4);

        r = kbs_snp_u32_at(j, path, "guest_svn", buf, OFF_GUEST_SVN, err);
        if (r >= 0)
                r = kbs_snp_u64_at(j, path, "policy", buf, OFF_POLICY, err);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(snp_id_fields); i++)
                r = kbs_snp_bytes_at(j, path, &snp_id_fields[i], buf, err);
        if (r >= 0)
                r = kbs_snp_u32_at(j, path, "vmpl", buf, OFF_VMPL, err);
        if (r >= 0)
                r = kbs_snp_u32_at(j, path, "sig_algo", buf, OFF_SIG_ALGO, err);
        if (r >= 0)
                r = kbs_snp_u64_at(j, path, "plat_info", buf, OFF_PLAT_INFO, err);
        if (r >= 0)
                r = kbs_snp_u32_at(j, path, "key_info", buf, OFF_KEY_INFO, err);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(snp_body_fields); i++)
                r = kbs_snp_bytes_at(j, path, &snp_body_fields[i], buf, err);
        if (r >= 0)
                r = kbs_snp_bytes_at(j, path, &chip_id, buf, err);
        if (r >= 0)
                r = kbs_snp_opt(j, path, "cpuid_fam_id", version >= 3, (uint32_t)version, UINT8_MAX,
                                &fam, err);
        if (r >= 0)
                r = kbs_snp_opt(j, path, "cpuid_mod_id", version >= 3, (uint32_t)version, UINT8_MAX,
                                &mod, err);
        if (r >= 0)
                r = kbs_snp_opt(j, path, "cpuid_step", version >= 3, (uint32_t)version, UINT8_MAX,
                                &step, err);
        if (r < 0)
                return r;
        if (version >= 3) {
                buf[OFF_CPUID_FAM_ID] = (uint8_t)fam;
                buf[OFF_CPUID_MOD_ID] = (uint8_t)mod;
                buf[OFF_CPUID_STEP] = (uint8_t)step;
        }

        layout = kbs_snp_layout((uint32_t)version, (uint8_t)fam, buf + OFF_CHIP_ID);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(tcbs); i++)
                r = kbs_snp_tcb_from_json(j, path, tcbs[i].name, layout, buf + tcbs[i].offset, err);
        if (r >= 0)
                r = kbs_snp_version_from_json(j, path, "current", buf + OFF_CURRENT, err);
        if (r >= 0)
                r = kbs_snp_version_from_json(j, path, "committed", buf + OFF_COMMITTED, err);
        if (r >= 0)
                r = kbs_snp_opt(j, path, "launch_mit_vector", version >= 5, (uint32_t)version,
                                UINT64_MAX, &lmv, err);
        if (r >= 0)
                r = kbs_snp_opt(j, path, "current_mit_vector", version >= 5, (uint32_t)version,
                                UINT64_MAX, &cmv, err);
        if (r < 0)
                return r;
        if (version >= 5) {
                put_le(buf + OFF_LAUNCH_MIT_VECTOR, lmv, 8);
                put_le(buf + OFF_CURRENT_MIT_VECTOR, cmv, 8);
        }

        r = kbs_ev_member(j, path, "signature", json_type_object, true, &sig, err);
        if (r < 0)
                return r;
        kbs_ev_path(p, path, "signature");
        r = kbs_snp_bytes_at(sig, p, &sig_r, buf, err);
        if (r >= 0)
                r = kbs_snp_bytes_at(sig, p, &sig_s, buf, err);
        if (r < 0)
                return r;

        /* What was built must be a report our parser takes. */
        r = snp_report_parse(buf, SNP_REPORT_SIZE, &rep, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return kbs_ev_fail(err, -EBADMSG, path, "not a report: %s",
                                   parse_error_string(&perr, pe, sizeof(pe)));
        snp_report_free(rep);
        return 0;
}

int kbs_evidence_snp_report_from_json(json_object *j, uint8_t *ret, size_t ret_size,
                                      KbsProtoError *err) {
        uint8_t buf[SNP_REPORT_SIZE];
        int r;

        if (ret_size != SNP_REPORT_SIZE)
                return -EINVAL;
        r = kbs_snp_report_from_json_at(j, "", buf, err);
        if (r < 0)
                return r;
        memcpy(ret, buf, SNP_REPORT_SIZE);
        return 0;
}

/* cert_chain: the sev crate's Vec<CertTableEntry>, which is the GHCB
 * certificate table without the offsets. */

static const char *const snp_cert_type_names[] = {
        [SNP_CERT_KIND_ARK] = "ARK",   [SNP_CERT_KIND_ASK] = "ASK", [SNP_CERT_KIND_VCEK] = "VCEK",
        [SNP_CERT_KIND_VLEK] = "VLEK", [SNP_CERT_KIND_CRL] = "CRL",
};

static int kbs_snp_guid_from_string(const char *s, size_t len, uint8_t guid[static 16]) {
        /* 8-4-4-4-12 hex digits, in the byte order they are written. */
        size_t k = 0;

        if (len != 36)
                return -EBADMSG;
        for (size_t i = 0; i < 36; i++) {
                char c = s[i];
                int v;

                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (c != '-')
                                return -EBADMSG;
                        continue;
                }
                if (c >= '0' && c <= '9')
                        v = c - '0';
                else if (c >= 'a' && c <= 'f')
                        v = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v = c - 'A' + 10;
                else
                        return -EBADMSG;
                if (k % 2 == 0)
                        guid[k / 2] = (uint8_t)(v << 4);
                else
                        guid[k / 2] |= (uint8_t)v;
                k++;
        }
        return 0;
}

static void kbs_snp_guid_to_string(const uint8_t guid[static 16], char buf[static 37]) {
        snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 guid[0], guid[1], guid[2], guid[3], guid[4], guid[5], guid[6], guid[7], guid[8],
                 guid[9], guid[10], guid[11], guid[12], guid[13], guid[14], guid[15]);
}

static int kbs_snp_cert_type(json_object *t, const char *path, uint8_t guid[static 16],
                             KbsProtoError *err) {
        json_object *other;

        if (json_object_is_type(t, json_type_string)) {
                const char *s = json_object_get_string(t);

                for (size_t k = 0; k < ELEMENTSOF(snp_cert_type_names); k++)
                        if (strcmp(s, snp_cert_type_names[k]) == 0)
                                return snp_cert_kind_guid((SnpCertKind)k, guid);
                /* "Empty" is the table's terminator, not a certificate. */
                return kbs_ev_fail(err, -EBADMSG, path,
                                   "not ARK, ASK, VCEK, VLEK, CRL or {\"OTHER\": GUID}");
        }
        if (json_object_is_type(t, json_type_object) && json_object_object_length(t) == 1 &&
            json_object_object_get_ex(t, "OTHER", &other) &&
            json_object_is_type(other, json_type_string)) {
                if (kbs_snp_guid_from_string(json_object_get_string(other),
                                             (size_t)json_object_get_string_len(other), guid) < 0)
                        return kbs_ev_fail(err, -EBADMSG, path, "OTHER is not a hyphenated GUID");
                for (size_t i = 0; i < 16; i++)
                        if (guid[i] != 0)
                                return 0;
                return kbs_ev_fail(err, -EBADMSG, path, "the all-zero GUID ends a table");
        }
        return kbs_ev_fail(err, -EBADMSG, path,
                           "not ARK, ASK, VCEK, VLEK, CRL or {\"OTHER\": GUID}");
}

static int kbs_snp_cert_chain_from_json(json_object *chain, const char *path, KbsBlob *ret,
                                        KbsProtoError *err) {
        SnpCertTableEntry entries[KBS_EVIDENCE_MAX_CERTS] = {};
        KbsBlob data[KBS_EVIDENCE_MAX_CERTS] = {};
        _cleanup_free_ uint8_t *table = NULL;
        SnpCertTable parsed;
        ParseError perr = {};
        size_t n = json_object_array_length(chain), size = 0, built;
        char p[64], pe[200];
        int r = 0;

        if (n > KBS_EVIDENCE_MAX_CERTS)
                return kbs_ev_fail(err, -EBADMSG, path, "%zu entries, more than %u", n,
                                   KBS_EVIDENCE_MAX_CERTS);
        for (size_t i = 0; i < n; i++) {
                json_object *entry = json_object_array_get_idx(chain, i), *type;

                snprintf(p, sizeof(p), "%s[%zu]", path, i);
                r = kbs_ev_expect_object(entry, p, err);
                if (r < 0)
                        goto out;
                if (!json_object_object_get_ex(entry, "cert_type", &type) || !type) {
                        r = kbs_ev_fail(err, -EBADMSG, kbs_ev_path(pe, p, "cert_type"), "missing");
                        goto out;
                }
                r = kbs_snp_cert_type(type, kbs_ev_path(pe, p, "cert_type"), entries[i].guid, err);
                if (r < 0)
                        goto out;
                /* GHCB's table has no room for an empty certificate. */
                r = kbs_ev_bytes_member(entry, p, "data", KBS_EV_ARRAY, true, 1,
                                        KBS_EVIDENCE_MAX_CERT, &data[i], err);
                if (r < 0)
                        goto out;
                entries[i].data = data[i].data;
                entries[i].size = (uint32_t)data[i].size;
        }

        size = snp_cert_table_size(entries, n);
        table = malloc(size ? size : 1);
        if (!table) {
                r = -ENOMEM;
                goto out;
        }
        r = snp_cert_table_build(entries, n, table, size, &built);
        if (r < 0) {
                r = kbs_ev_fail(err, -EBADMSG, path, "cannot be a certificate table");
                goto out;
        }
        /* The parser refuses what a table must not hold (a GUID twice). */
        r = snp_cert_table_parse(table, built, &parsed, &perr);
        if (r < 0) {
                r = kbs_ev_fail(err, -EBADMSG, path, "%s",
                                parse_error_string(&perr, pe, sizeof(pe)));
                goto out;
        }
        kbs_blob_clear(ret);
        ret->data = TAKE_PTR(table);
        ret->size = built;
        r = 0;
out:
        for (size_t i = 0; i < n && i < KBS_EVIDENCE_MAX_CERTS; i++)
                kbs_blob_clear(&data[i]);
        return r;
}

static int kbs_snp_cert_chain_to_json(const KbsBlob *table, json_object **ret) {
        _cleanup_(json_object_putp) json_object *list = json_object_new_array();
        SnpCertTable t;
        int r;

        if (!list)
                return -ENOMEM;
        r = snp_cert_table_parse(table->data, table->size, &t, NULL);
        if (r < 0)
                return log_debug_errno(EINVAL, "The SNP certificate table does not parse");
        for (size_t i = 0; i < t.n_entries; i++) {
                const SnpCertTableEntry *en = &t.entries[i];
                json_object *entry = json_object_new_object(), *type;

                if (!entry || json_object_array_add(list, entry) < 0) {
                        json_object_put(entry);
                        return -ENOMEM;
                }
                if (en->size > KBS_EVIDENCE_MAX_CERT)
                        return log_debug_errno(EINVAL, "SNP certificate %zu: %u bytes", i,
                                               en->size);
                if (en->kind < SNP_CERT_KIND_OTHER)
                        type = json_object_new_string(snp_cert_type_names[en->kind]);
                else {
                        char g[37];

                        kbs_snp_guid_to_string(en->guid, g);
                        type = json_object_new_object();
                        if (type && json_add(type, "OTHER", json_object_new_string(g)) < 0)
                                return -ENOMEM;
                }
                if (json_add(entry, "cert_type", type) < 0 ||
                    kbs_ev_add_bytes(entry, "data", en->data, en->size, KBS_EV_ARRAY) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

/* The evidence. */

int kbs_evidence_snp_from_json(KbsEvidence *e, json_object *j, const char *path,
                               KbsProtoError *err) {
        uint8_t report[SNP_REPORT_SIZE];
        json_object *rep, *chain;
        KbsBlob table = {};
        char p[64];
        int r;

        r = kbs_ev_member(j, path, "attestation_report", json_type_object, true, &rep, err);
        if (r < 0)
                return r;
        r = kbs_snp_report_from_json_at(rep, kbs_ev_path(p, path, "attestation_report"), report,
                                        err);
        if (r < 0)
                return r;
        r = kbs_ev_member(j, path, "cert_chain", json_type_array, false, &chain, err);
        if (r < 0)
                return r;
        if (chain) {
                r = kbs_snp_cert_chain_from_json(chain, kbs_ev_path(p, path, "cert_chain"), &table,
                                                 err);
                if (r < 0)
                        return r;
        }
        r = kbs_blob_set(&e->report, report, sizeof(report));
        if (r < 0) {
                kbs_blob_clear(&table);
                return r;
        }
        kbs_blob_clear(&e->cert_table);
        e->cert_table = table;
        return 0;
}

int kbs_evidence_snp_to_json(const KbsEvidence *e, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL, *rep = NULL, *chain = NULL;
        int r;

        if (!e->report.data)
                return log_debug_errno(EINVAL, "SNP evidence without a report");
        r = kbs_evidence_snp_report_to_json(e->report.data, e->report.size, &rep);
        if (r < 0)
                return r;
        if (e->cert_table.data) {
                r = kbs_snp_cert_chain_to_json(&e->cert_table, &chain);
                if (r < 0)
                        return r;
        }
        o = json_object_new_object();
        if (!o || json_add(o, "attestation_report", TAKE_PTR(rep)) < 0)
                return -ENOMEM;
        if (json_object_object_add(o, "cert_chain", TAKE_PTR(chain)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
