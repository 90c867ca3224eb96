/* The JSON form of an SEV-SNP report. Fields appear in the order of the
 * ABI's table, and only those the report's version defines: a version 2
 * report has no cpuid_* and no mitigation vectors, rather than zeros that
 * would look like values. */

#include "confnode/evidence/snp-json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "confnode/basic/json-util.h"

static int snp_json_add(json_object *obj, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(obj, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int snp_json_bool(json_object *obj, const char *key, bool v) {
        return snp_json_add(obj, key, json_object_new_boolean(v));
}

/* Bit fields and TCB words print as the number they are, in hex, the way
 * the ABI and AMD's tools write them. */
static int snp_json_u64_hex(json_object *obj, const char *key, uint64_t v) {
        char buf[2 + 16 + 1];

        snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
        return json_add_string(obj, key, buf);
}

int snp_json_tcb(const SnpTcb *tcb, SnpTcbLayout layout, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = snp_json_u64_hex(o, "raw", tcb->raw);
        if (r >= 0 && layout == SNP_TCB_LAYOUT_TURIN)
                r = json_add_u64(o, "fmc", tcb->fmc);
        if (r >= 0)
                r = json_add_u64(o, "bootloader", tcb->bootloader);
        if (r >= 0)
                r = json_add_u64(o, "tee", tcb->tee);
        if (r >= 0)
                r = json_add_u64(o, "snp", tcb->snp);
        if (r >= 0)
                r = json_add_u64(o, "microcode", tcb->microcode);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int snp_json_add_tcb(json_object *obj, const char *key, const SnpReport *rep,
                            const SnpTcb *tcb) {
        json_object *o = NULL;
        int r = snp_json_tcb(tcb, rep->tcb_layout, &o);

        if (r < 0)
                return r;
        return snp_json_add(obj, key, o);
}

static int snp_json_policy(json_object *obj, const SnpReport *rep) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        SnpPolicy p;
        int r;

        if (!o)
                return -ENOMEM;
        snp_report_policy_decode(rep->policy, rep->version, &p);
        r = snp_json_u64_hex(o, "raw", rep->policy);
        if (r >= 0)
                r = json_add_u64(o, "abi_minor", p.abi_minor);
        if (r >= 0)
                r = json_add_u64(o, "abi_major", p.abi_major);
        if (r >= 0)
                r = snp_json_bool(o, "smt", p.smt);
        if (r >= 0)
                r = snp_json_bool(o, "reserved_17", p.reserved_17);
        if (r >= 0)
                r = snp_json_bool(o, "migrate_ma", p.migrate_ma);
        if (r >= 0)
                r = snp_json_bool(o, "debug", p.debug);
        if (r >= 0)
                r = snp_json_bool(o, "single_socket", p.single_socket);
        if (r >= 0)
                r = snp_json_bool(o, "cxl_allow", p.cxl_allow);
        if (r >= 0)
                r = snp_json_bool(o, "mem_aes_256_xts", p.mem_aes_256_xts);
        if (r >= 0)
                r = snp_json_bool(o, "rapl_dis", p.rapl_dis);
        if (r >= 0)
                r = snp_json_bool(o, "ciphertext_hiding", p.ciphertext_hiding);
        if (r >= 0 && rep->version >= 5)
                r = snp_json_bool(o, "page_swap_disable", p.page_swap_disable);
        if (r >= 0)
                r = snp_json_u64_hex(o, "reserved", p.reserved);
        if (r < 0)
                return r;
        return snp_json_add(obj, "policy", TAKE_PTR(o));
}

static int snp_json_platform_info(json_object *obj, const SnpReport *rep) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        SnpPlatformInfo p;
        int r;

        if (!o)
                return -ENOMEM;
        snp_report_platform_info_decode(rep->platform_info, rep->version, &p);
        r = snp_json_u64_hex(o, "raw", rep->platform_info);
        if (r >= 0)
                r = snp_json_bool(o, "smt_en", p.smt_en);
        if (r >= 0)
                r = snp_json_bool(o, "tsme_en", p.tsme_en);
        if (r >= 0)
                r = snp_json_bool(o, "ecc_en", p.ecc_en);
        if (r >= 0)
                r = snp_json_bool(o, "rapl_dis", p.rapl_dis);
        if (r >= 0)
                r = snp_json_bool(o, "ciphertext_hiding_en", p.ciphertext_hiding_en);
        if (r >= 0 && rep->version >= 3)
                r = snp_json_bool(o, "alias_check_complete", p.alias_check_complete);
        if (r >= 0 && rep->version >= 5)
                r = snp_json_bool(o, "tio_en", p.tio_en);
        if (r >= 0)
                r = snp_json_u64_hex(o, "reserved", p.reserved);
        if (r < 0)
                return r;
        return snp_json_add(obj, "platform_info", TAKE_PTR(o));
}

static int snp_json_flags(json_object *obj, const SnpReport *rep) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = snp_json_u64_hex(o, "raw", rep->flags);
        if (r >= 0)
                r = snp_json_bool(o, "author_key_en", rep->author_key_en);
        if (r >= 0)
                r = snp_json_bool(o, "mask_chip_key", rep->mask_chip_key);
        if (r >= 0)
                r = json_add_string(o, "signing_key", snp_signing_key_to_string(rep->signing_key));
        if (r >= 0)
                r = json_add_u64(o, "signing_key_value", rep->signing_key);
        if (r >= 0)
                r = snp_json_u64_hex(o, "reserved", rep->flags >> 5);
        if (r < 0)
                return r;
        return snp_json_add(obj, "flags", TAKE_PTR(o));
}

static int snp_json_signature(json_object *obj, const SnpReport *rep) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_hex(o, "r", rep->signature_r, sizeof(rep->signature_r));
        if (r >= 0)
                r = json_add_hex(o, "s", rep->signature_s, sizeof(rep->signature_s));
        if (r < 0)
                return r;
        return snp_json_add(obj, "signature", TAKE_PTR(o));
}

int snp_json_from_report(const SnpReport *rep, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_u64(o, "version", rep->version);
        if (r >= 0)
                r = json_add_u64(o, "guest_svn", rep->guest_svn);
        if (r >= 0)
                r = snp_json_policy(o, rep);
        if (r >= 0)
                r = json_add_hex(o, "family_id", rep->family_id, sizeof(rep->family_id));
        if (r >= 0)
                r = json_add_hex(o, "image_id", rep->image_id, sizeof(rep->image_id));
        if (r >= 0)
                r = json_add_u64(o, "vmpl", rep->vmpl);
        if (r >= 0)
                r = json_add_u64(o, "signature_algo", rep->signature_algo);
        if (r >= 0)
                r = snp_json_add_tcb(o, "current_tcb", rep, &rep->current_tcb);
        if (r >= 0)
                r = snp_json_platform_info(o, rep);
        if (r >= 0)
                r = snp_json_flags(o, rep);
        if (r >= 0)
                r = json_add_hex(o, "report_data", rep->report_data, sizeof(rep->report_data));
        if (r >= 0)
                r = json_add_hex(o, "measurement", rep->measurement, sizeof(rep->measurement));
        if (r >= 0)
                r = json_add_hex(o, "host_data", rep->host_data, sizeof(rep->host_data));
        if (r >= 0)
                r = json_add_hex(o, "id_key_digest", rep->id_key_digest,
                                 sizeof(rep->id_key_digest));
        if (r >= 0)
                r = json_add_hex(o, "author_key_digest", rep->author_key_digest,
                                 sizeof(rep->author_key_digest));
        if (r >= 0)
                r = json_add_hex(o, "report_id", rep->report_id, sizeof(rep->report_id));
        if (r >= 0)
                r = json_add_hex(o, "report_id_ma", rep->report_id_ma, sizeof(rep->report_id_ma));
        if (r >= 0)
                r = snp_json_add_tcb(o, "reported_tcb", rep, &rep->reported_tcb);
        if (r >= 0 && rep->has_cpuid) {
                r = json_add_u64(o, "cpuid_fam_id", rep->cpuid_fam_id);
                if (r >= 0)
                        r = json_add_u64(o, "cpuid_mod_id", rep->cpuid_mod_id);
                if (r >= 0)
                        r = json_add_u64(o, "cpuid_step", rep->cpuid_step);
        }
        if (r >= 0)
                r = json_add_hex(o, "chip_id", rep->chip_id, sizeof(rep->chip_id));
        if (r >= 0)
                r = snp_json_add_tcb(o, "committed_tcb", rep, &rep->committed_tcb);
        if (r >= 0)
                r = json_add_u64(o, "current_build", rep->current_build);
        if (r >= 0)
                r = json_add_u64(o, "current_minor", rep->current_minor);
        if (r >= 0)
                r = json_add_u64(o, "current_major", rep->current_major);
        if (r >= 0)
                r = json_add_u64(o, "committed_build", rep->committed_build);
        if (r >= 0)
                r = json_add_u64(o, "committed_minor", rep->committed_minor);
        if (r >= 0)
                r = json_add_u64(o, "committed_major", rep->committed_major);
        if (r >= 0)
                r = snp_json_add_tcb(o, "launch_tcb", rep, &rep->launch_tcb);
        if (r >= 0 && rep->has_mit_vectors) {
                r = snp_json_u64_hex(o, "launch_mit_vector", rep->launch_mit_vector);
                if (r >= 0)
                        r = snp_json_u64_hex(o, "current_mit_vector", rep->current_mit_vector);
        }
        if (r >= 0)
                r = snp_json_signature(o, rep);
        /* Not report fields, but what the TCB objects above were decoded
         * with, so a reader can tell a guess (version 2) from a fact. */
        if (r >= 0)
                r = json_add_string(o, "cpu_generation", snp_generation_to_string(rep->generation));
        if (r >= 0)
                r = json_add_string(o, "tcb_layout", snp_tcb_layout_to_string(rep->tcb_layout));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int snp_json_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        int r;

        r = snp_report_parse(data, size, &rep, err);
        if (r < 0)
                return r;
        return snp_json_from_report(rep, ret);
}
