/* Parsing the SEV-SNP ATTESTATION_REPORT field by field through the Reader,
 * in the order of the ABI's table, so every failure names its offset and
 * field.
 *
 * What "reserved" means here: a byte range the report's version reserves
 * must be zero, because AMD only ever gives such ranges a meaning together
 * with a new report version (version 3 the CPUID bytes, version 5 the
 * mitigation vectors), so non-zero bytes there mean the data is not the
 * layout the version claims. Reserved *bits* inside policy, PLATFORM_INFO
 * and the key-info word are different: AMD defines new ones there within
 * a version (Turin firmware sets PLATFORM_INFO bit 6, which the published
 * ABI still reserves), so they are kept and shown, and judging them is
 * left to policy. */

#include "confnode/evidence/snp-report.h"

#include <stdlib.h>
#include <string.h>

/* Offsets the ABI fixes; the parser walks the fields in order and checks
 * it is where the table says at each reserved gap. */
#define SNP_OFF_RESERVED_4C 0x4c
#define SNP_OFF_CPUID 0x188
#define SNP_OFF_CHIP_ID 0x1a0
#define SNP_OFF_MIT_VECTORS 0x1f8
#define SNP_OFF_RESERVED_208 0x208
#define SNP_OFF_SIGNATURE 0x2a0

#define SNP_POLICY_SMT (UINT64_C(1) << 16)
#define SNP_POLICY_RESERVED_17 (UINT64_C(1) << 17)
#define SNP_POLICY_MIGRATE_MA (UINT64_C(1) << 18)
#define SNP_POLICY_DEBUG (UINT64_C(1) << 19)
#define SNP_POLICY_SINGLE_SOCKET (UINT64_C(1) << 20)
#define SNP_POLICY_CXL_ALLOW (UINT64_C(1) << 21)
#define SNP_POLICY_MEM_AES_256_XTS (UINT64_C(1) << 22)
#define SNP_POLICY_RAPL_DIS (UINT64_C(1) << 23)
#define SNP_POLICY_CIPHERTEXT_HIDING (UINT64_C(1) << 24)
#define SNP_POLICY_PAGE_SWAP_DISABLE (UINT64_C(1) << 25)

#define SNP_PLATFORM_SMT_EN (UINT64_C(1) << 0)
#define SNP_PLATFORM_TSME_EN (UINT64_C(1) << 1)
#define SNP_PLATFORM_ECC_EN (UINT64_C(1) << 2)
#define SNP_PLATFORM_RAPL_DIS (UINT64_C(1) << 3)
#define SNP_PLATFORM_CIPHERTEXT_HIDING_EN (UINT64_C(1) << 4)
#define SNP_PLATFORM_ALIAS_CHECK_COMPLETE (UINT64_C(1) << 5)
#define SNP_PLATFORM_TIO_EN (UINT64_C(1) << 7)

static const char *const generation_names[_SNP_GENERATION_MAX] = {
        [SNP_GENERATION_UNKNOWN] = "unknown",
        [SNP_GENERATION_MILAN] = "milan",
        [SNP_GENERATION_GENOA] = "genoa",
        [SNP_GENERATION_TURIN] = "turin",
};

const char *snp_generation_to_string(SnpGeneration g) {
        if (g < 0 || g >= _SNP_GENERATION_MAX)
                return NULL;
        return generation_names[g];
}

const char *snp_tcb_layout_to_string(SnpTcbLayout l) {
        switch (l) {
        case SNP_TCB_LAYOUT_MILAN_GENOA:
                return "milan-genoa";
        case SNP_TCB_LAYOUT_TURIN:
                return "turin";
        default:
                return NULL;
        }
}

const char *snp_signing_key_to_string(uint8_t key) {
        switch (key) {
        case SNP_SIGNING_KEY_VCEK:
                return "vcek";
        case SNP_SIGNING_KEY_VLEK:
                return "vlek";
        case SNP_SIGNING_KEY_NONE:
                return "none";
        default:
                return "reserved";
        }
}

/* The family and model as CPUID Fn0000_0001_EAX combines them (base +
 * extended family; extended model in the high nibble). Family 19h is Zen 3
 * and Zen 4, 1Ah Zen 5. AMD's KDS serves Genoa VCEKs for the Zen 4 parts
 * of models Axh (Bergamo, Siena) as well. */
SnpGeneration snp_report_generation_from_cpuid(uint8_t family, uint8_t model) {
        if (family == 0x19) {
                if (model <= 0x0f)
                        return SNP_GENERATION_MILAN;
                if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))
                        return SNP_GENERATION_GENOA;
        } else if (family == 0x1a && model <= 0x1f)
                return SNP_GENERATION_TURIN;
        return SNP_GENERATION_UNKNOWN;
}

/* The Turin TCB layout came with Zen 5 (family 1Ah) and the firmware of
 * the models after it keeps it; older families use the first layout. */
SnpTcbLayout snp_report_tcb_layout_from_cpuid(uint8_t family) {
        return family >= 0x1a ? SNP_TCB_LAYOUT_TURIN : SNP_TCB_LAYOUT_MILAN_GENOA;
}

void snp_report_tcb_decode(uint64_t raw, SnpTcbLayout layout, SnpTcb *ret) {
        uint8_t b[8];

        for (size_t i = 0; i < 8; i++)
                b[i] = (uint8_t) (raw >> (8 * i));
        if (layout == SNP_TCB_LAYOUT_TURIN)
                *ret = (SnpTcb){
                        .raw = raw,
                        .fmc = b[0],
                        .bootloader = b[1],
                        .tee = b[2],
                        .snp = b[3],
                        .microcode = b[7],
                };
        else
                *ret = (SnpTcb){
                        .raw = raw,
                        .bootloader = b[0],
                        .tee = b[1],
                        .snp = b[6],
                        .microcode = b[7],
                };
}

void snp_report_set_tcb_layout(SnpReport *rep, SnpTcbLayout layout) {
        rep->tcb_layout = layout;
        snp_report_tcb_decode(rep->current_tcb.raw, layout, &rep->current_tcb);
        snp_report_tcb_decode(rep->reported_tcb.raw, layout, &rep->reported_tcb);
        snp_report_tcb_decode(rep->committed_tcb.raw, layout, &rep->committed_tcb);
        snp_report_tcb_decode(rep->launch_tcb.raw, layout, &rep->launch_tcb);
}

void snp_report_policy_decode(uint64_t policy, uint32_t version, SnpPolicy *ret) {
        uint64_t known = UINT64_C(0xffff) | SNP_POLICY_SMT | SNP_POLICY_RESERVED_17 |
                         SNP_POLICY_MIGRATE_MA | SNP_POLICY_DEBUG | SNP_POLICY_SINGLE_SOCKET |
                         SNP_POLICY_CXL_ALLOW | SNP_POLICY_MEM_AES_256_XTS | SNP_POLICY_RAPL_DIS |
                         SNP_POLICY_CIPHERTEXT_HIDING;

        if (version >= 5)
                known |= SNP_POLICY_PAGE_SWAP_DISABLE;
        *ret = (SnpPolicy){
                .abi_minor = (uint8_t) policy,
                .abi_major = (uint8_t) (policy >> 8),
                .smt = policy & SNP_POLICY_SMT,
                .reserved_17 = policy & SNP_POLICY_RESERVED_17,
                .migrate_ma = policy & SNP_POLICY_MIGRATE_MA,
                .debug = policy & SNP_POLICY_DEBUG,
                .single_socket = policy & SNP_POLICY_SINGLE_SOCKET,
                .cxl_allow = policy & SNP_POLICY_CXL_ALLOW,
                .mem_aes_256_xts = policy & SNP_POLICY_MEM_AES_256_XTS,
                .rapl_dis = policy & SNP_POLICY_RAPL_DIS,
                .ciphertext_hiding = policy & SNP_POLICY_CIPHERTEXT_HIDING,
                .page_swap_disable = version >= 5 && (policy & SNP_POLICY_PAGE_SWAP_DISABLE),
                .reserved = policy & ~known,
        };
}

void snp_report_platform_info_decode(uint64_t info, uint32_t version, SnpPlatformInfo *ret) {
        uint64_t known = SNP_PLATFORM_SMT_EN | SNP_PLATFORM_TSME_EN | SNP_PLATFORM_ECC_EN |
                         SNP_PLATFORM_RAPL_DIS | SNP_PLATFORM_CIPHERTEXT_HIDING_EN;

        if (version >= 3)
                known |= SNP_PLATFORM_ALIAS_CHECK_COMPLETE;
        if (version >= 5)
                known |= SNP_PLATFORM_TIO_EN;
        *ret = (SnpPlatformInfo){
                .smt_en = info & SNP_PLATFORM_SMT_EN,
                .tsme_en = info & SNP_PLATFORM_TSME_EN,
                .ecc_en = info & SNP_PLATFORM_ECC_EN,
                .rapl_dis = info & SNP_PLATFORM_RAPL_DIS,
                .ciphertext_hiding_en = info & SNP_PLATFORM_CIPHERTEXT_HIDING_EN,
                .alias_check_complete = (info & known) & SNP_PLATFORM_ALIAS_CHECK_COMPLETE,
                .tio_en = (info & known) & SNP_PLATFORM_TIO_EN,
                .reserved = info & ~known,
        };
}

void snp_report_free(SnpReport *rep) {
        free(rep);
}

static int snp_report_u8(Reader *rd, const char *field, uint8_t *ret) {
        return reader_field(rd, reader_u8(rd, ret), field);
}

static int snp_report_u32(Reader *rd, const char *field, uint32_t *ret) {
        return reader_field(rd, reader_u32le(rd, ret), field);
}

static int snp_report_u64(Reader *rd, const char *field, uint64_t *ret) {
        return reader_field(rd, reader_u64le(rd, ret), field);
}

static int snp_report_copy(Reader *rd, const char *field, void *dst, size_t n) {
        return reader_field(rd, reader_copy(rd, dst, n), field);
}

static int snp_report_tcb(Reader *rd, const char *field, SnpTcb *ret) {
        return snp_report_u64(rd, field, &ret->raw);
}

/* A reserved range: must be zero, and must start where the ABI says, which
 * catches a parser that lost its place as well as a report that is not
 * the layout its version claims. */
static int snp_report_reserved(Reader *rd, const char *field, size_t offset, size_t n) {
        Reader save = *rd;
        const uint8_t *p;
        int r;

        if (reader_offset(rd) != offset)
                return reader_fail(rd, field, "at offset 0x%zx, the ABI puts it at 0x%zx",
                                   reader_offset(rd), offset);
        r = reader_field(rd, reader_bytes(rd, n, &p), field);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (p[i] != 0) {
                        *rd = save;
                        (void) reader_skip(rd, i);
                        return reader_fail(rd, field, "reserved, must be zero, is 0x%02x", p[i]);
                }
        return 0;
}

static int snp_report_header(Reader *rd, SnpReport *rep) {
        Reader save = *rd;
        int r;

        r = snp_report_u32(rd, "version", &rep->version);
        if (r < 0)
                return r;
        if (rep->version < SNP_REPORT_MIN_VERSION || rep->version > SNP_REPORT_MAX_VERSION)
                return reader_fail(&save, "version",
                                   "%u is not a report version this parser knows (%d-%d)",
                                   rep->version, SNP_REPORT_MIN_VERSION, SNP_REPORT_MAX_VERSION);
        r = snp_report_u32(rd, "guest_svn", &rep->guest_svn);
        if (r >= 0)
                r = snp_report_u64(rd, "policy", &rep->policy);
        if (r >= 0)
                r = snp_report_copy(rd, "family_id", rep->family_id, sizeof(rep->family_id));
        if (r >= 0)
                r = snp_report_copy(rd, "image_id", rep->image_id, sizeof(rep->image_id));
        if (r >= 0)
                r = snp_report_u32(rd, "vmpl", &rep->vmpl);
        if (r >= 0)
                r = snp_report_u32(rd, "signature_algo", &rep->signature_algo);
        if (r >= 0)
                r = snp_report_tcb(rd, "current_tcb", &rep->current_tcb);
        if (r >= 0)
                r = snp_report_u64(rd, "platform_info", &rep->platform_info);
        if (r >= 0)
                r = snp_report_u32(rd, "flags", &rep->flags);
        if (r < 0)
                return r;
        rep->author_key_en = rep->flags & 1;
        rep->mask_chip_key = rep->flags & 2;
        rep->signing_key = (rep->flags >> 2) & 7;
        return snp_report_reserved(rd, "reserved_4c", SNP_OFF_RESERVED_4C, 4);
}

static int snp_report_body(Reader *rd, SnpReport *rep) {
        int r;

        r = snp_report_copy(rd, "report_data", rep->report_data, sizeof(rep->report_data));
        if (r >= 0)
                r = snp_report_copy(rd, "measurement", rep->measurement, sizeof(rep->measurement));
        if (r >= 0)
                r = snp_report_copy(rd, "host_data", rep->host_data, sizeof(rep->host_data));
        if (r >= 0)
                r = snp_report_copy(rd, "id_key_digest", rep->id_key_digest,
                                    sizeof(rep->id_key_digest));
        if (r >= 0)
                r = snp_report_copy(rd, "author_key_digest", rep->author_key_digest,
                                    sizeof(rep->author_key_digest));
        if (r >= 0)
                r = snp_report_copy(rd, "report_id", rep->report_id, sizeof(rep->report_id));
        if (r >= 0)
                r = snp_report_copy(rd, "report_id_ma", rep->report_id_ma,
                                    sizeof(rep->report_id_ma));
        if (r >= 0)
                r = snp_report_tcb(rd, "reported_tcb", &rep->reported_tcb);
        if (r < 0)
                return r;

        if (rep->version >= 3) {
                rep->has_cpuid = true;
                r = snp_report_u8(rd, "cpuid_fam_id", &rep->cpuid_fam_id);
                if (r >= 0)
                        r = snp_report_u8(rd, "cpuid_mod_id", &rep->cpuid_mod_id);
                if (r >= 0)
                        r = snp_report_u8(rd, "cpuid_step", &rep->cpuid_step);
                if (r >= 0)
                        r = snp_report_reserved(rd, "reserved_18b", SNP_OFF_CPUID + 3,
                                                SNP_OFF_CHIP_ID - SNP_OFF_CPUID - 3);
        } else
                r = snp_report_reserved(rd, "reserved_188", SNP_OFF_CPUID,
                                        SNP_OFF_CHIP_ID - SNP_OFF_CPUID);
        if (r < 0)
                return r;

        r = snp_report_copy(rd, "chip_id", rep->chip_id, sizeof(rep->chip_id));
        if (r >= 0)
                r = snp_report_tcb(rd, "committed_tcb", &rep->committed_tcb);
        if (r >= 0)
                r = snp_report_u8(rd, "current_build", &rep->current_build);
        if (r >= 0)
                r = snp_report_u8(rd, "current_minor", &rep->current_minor);
        if (r >= 0)
                r = snp_report_u8(rd, "current_major", &rep->current_major);
        if (r >= 0)
                r = snp_report_reserved(rd, "reserved_1eb", 0x1eb, 1);
        if (r >= 0)
                r = snp_report_u8(rd, "committed_build", &rep->committed_build);
        if (r >= 0)
                r = snp_report_u8(rd, "committed_minor", &rep->committed_minor);
        if (r >= 0)
                r = snp_report_u8(rd, "committed_major", &rep->committed_major);
        if (r >= 0)
                r = snp_report_reserved(rd, "reserved_1ef", 0x1ef, 1);
        if (r >= 0)
                r = snp_report_tcb(rd, "launch_tcb", &rep->launch_tcb);
        if (r < 0)
                return r;

        if (rep->version >= 5) {
                rep->has_mit_vectors = true;
                r = snp_report_u64(rd, "launch_mit_vector", &rep->launch_mit_vector);
                if (r >= 0)
                        r = snp_report_u64(rd, "current_mit_vector", &rep->current_mit_vector);
        } else
                r = snp_report_reserved(rd, "reserved_1f8", SNP_OFF_MIT_VECTORS,
                                        SNP_OFF_RESERVED_208 - SNP_OFF_MIT_VECTORS);
        if (r >= 0)
                r = snp_report_reserved(rd, "reserved_208", SNP_OFF_RESERVED_208,
                                        SNP_OFF_SIGNATURE - SNP_OFF_RESERVED_208);
        return r;
}

/* The SIGNATURE field: for ECDSA P-384, r and s and then reserved bytes.
 * Those lie outside what is signed, so anyone could set them; refusing
 * anything but zero there keeps a report to one byte form. */
static int snp_report_signature(Reader *rd, SnpReport *rep) {
        size_t rest = SNP_REPORT_SIZE - SNP_OFF_SIGNATURE - 2 * SNP_SIGNATURE_COMPONENT_SIZE;
        int r;

        r = snp_report_copy(rd, "signature.r", rep->signature_r, sizeof(rep->signature_r));
        if (r >= 0)
                r = snp_report_copy(rd, "signature.s", rep->signature_s, sizeof(rep->signature_s));
        if (r < 0)
                return r;
        if (rep->signature_algo == SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384)
                return snp_report_reserved(rd, "signature.reserved",
                                           SNP_OFF_SIGNATURE + 2 * SNP_SIGNATURE_COMPONENT_SIZE,
                                           rest);
        return reader_field(rd, reader_skip(rd, rest), "signature");
}

int snp_report_parse(const uint8_t *data, size_t size, SnpReport **ret, ParseError *err) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        Reader rd;
        int r;

        reader_init(&rd, data, size, err);
        /* A report is exactly one structure of fixed size: anything shorter
         * is cut off, anything longer is not a bare report (an extended
         * report or an HCL report must be unwrapped by its own parser). */
        if (!data || size != SNP_REPORT_SIZE) {
                /* The error points where the input ends, or where the
                 * report should have. */
                if (data)
                        (void) reader_skip(&rd, size < SNP_REPORT_SIZE ? size : SNP_REPORT_SIZE);
                return reader_fail(&rd, NULL, "%zu bytes, an SEV-SNP attestation report is %d",
                                   data ? size : 0, SNP_REPORT_SIZE);
        }
        rep = calloc(1, sizeof(*rep));
        if (!rep)
                return -ENOMEM;
        memcpy(rep->raw, data, SNP_REPORT_SIZE);

        r = snp_report_header(&rd, rep);
        if (r >= 0)
                r = snp_report_body(&rd, rep);
        if (r >= 0)
                r = snp_report_signature(&rd, rep);
        if (r < 0)
                return r;
        if (!reader_eof(&rd))
                return reader_fail(&rd, NULL, "%zu bytes left after the signature",
                                   reader_left(&rd));

        if (rep->has_cpuid) {
                rep->generation =
                        snp_report_generation_from_cpuid(rep->cpuid_fam_id, rep->cpuid_mod_id);
                snp_report_set_tcb_layout(rep, snp_report_tcb_layout_from_cpuid(rep->cpuid_fam_id));
        } else {
                /* Version 2 does not say which CPU made it. The chip that
                 * signed it does: the verifier decodes again with the
                 * layout its VCEK implies. */
                rep->generation = SNP_GENERATION_UNKNOWN;
                snp_report_set_tcb_layout(rep, SNP_TCB_LAYOUT_MILAN_GENOA);
        }
        *ret = TAKE_PTR(rep);
        return 0;
}
