#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/evidence/snp-report.h"
#include "test-snp-util.h"

static const char *const peer_reports[] = {
        "snp/gsg-report.bin",       "snp/trustee-report.bin",      "snp/trustee-vlek-report.bin",
        "snp/az-milan-report.bin",  "snp/az-genoa-report.bin",     "snp/oak-genoa-report.bin",
        "snp/oak-turin-report.bin", "snp/oak-milan-oc-report.bin",
};

static void test_empty(void **state) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        uint8_t b = 0;
        ParseError err;
        (void) state;

        assert_int_equal(snp_report_parse(NULL, 0, &rep, &err), -EBADMSG);
        assert_null(rep);
        assert_true(err.set);
        assert_int_equal(snp_report_parse(&b, 0, &rep, &err), -EBADMSG);
        assert_null(rep);
        assert_int_equal(snp_report_parse(NULL, SNP_REPORT_SIZE, &rep, NULL), -EBADMSG);
        assert_null(rep);
}

static void test_short_report(void **state) {
        uint8_t buf[SNP_REPORT_SIZE - 1] = {2};
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        ParseError err;
        (void) state;

        assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), -EBADMSG);
        assert_null(rep);
        assert_true(err.set);
        assert_int_equal(err.offset, sizeof(buf));
}

static void test_oversized(void **state) {
        _cleanup_free_ uint8_t *buf = calloc(1, 2 * SNP_REPORT_SIZE);
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        uint8_t chip[64] = {1};
        ParseError err;
        (void) state;

        assert_non_null(buf);
        test_snp_make_report(buf, 2, 0, 0, 0, chip);
        assert_int_equal(snp_report_parse(buf, SNP_REPORT_SIZE, &rep, &err), 0);
        snp_report_free(TAKE_PTR(rep));
        assert_int_equal(snp_report_parse(buf, SNP_REPORT_SIZE + 1, &rep, &err), -EBADMSG);
        assert_null(rep);
        assert_int_equal(err.offset, SNP_REPORT_SIZE);
        assert_int_equal(snp_report_parse(buf, 2 * SNP_REPORT_SIZE, &rep, &err), -EBADMSG);
        assert_null(rep);
}

static void test_bad_version(void **state) {
        static const uint32_t bad[] = {0, 1, 6, 0x100, 0xffffffff};
        uint8_t buf[SNP_REPORT_SIZE];
        uint8_t chip[64] = {0};
        ParseError err;
        (void) state;

        test_snp_make_report(buf, 2, 0, 0, 0, chip);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(snp_report_freep) SnpReport *rep = NULL;
                char msg[256];

                test_snp_put_u32(buf, bad[i]);
                assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), -EBADMSG);
                assert_null(rep);
                assert_int_equal(err.offset, 0);
                assert_string_equal(err.field, "version");
                parse_error_string(&err, msg, sizeof(msg));
                assert_non_null(strstr(msg, "offset 0x0: version:"));
        }
        /* Version 4 has the layout of 3 and parses. */
        for (uint32_t v = SNP_REPORT_MIN_VERSION; v <= SNP_REPORT_MAX_VERSION; v++) {
                _cleanup_(snp_report_freep) SnpReport *rep = NULL;

                test_snp_make_report(buf, v, 0x19, 0x01, 0, chip);
                assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), 0);
                assert_int_equal(rep->version, v);
                assert_int_equal(rep->has_cpuid, v >= 3);
                assert_int_equal(rep->has_mit_vectors, v >= 5);
        }
}

/* Every prefix of every peer report fails cleanly: never a crash, never
 * success, and the error points inside the input. */
static void test_prefixes(void **state) {
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(peer_reports); i++) {
                _cleanup_free_ uint8_t *data = NULL;
                size_t size;

                test_snp_read_peer(peer_reports[i], &data, &size);
                assert_int_equal(size, SNP_REPORT_SIZE);
                for (size_t n = 0; n < size; n++) {
                        _cleanup_free_ uint8_t *copy = malloc(n ? n : 1);
                        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
                        ParseError err;

                        /* A copy of exactly n bytes, so ASan sees any read past it. */
                        assert_non_null(copy);
                        memcpy(copy, data, n);
                        assert_int_equal(snp_report_parse(copy, n, &rep, &err), -EBADMSG);
                        assert_null(rep);
                        assert_true(err.offset <= n);
                }
        }
}

static void test_peer_fields(void **state) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        static const uint8_t chip_prefix[] = {0x3a, 0xc3, 0xfe, 0x21};
        size_t size;
        ParseError err;
        (void) state;

        test_snp_read_peer("snp/gsg-report.bin", &data, &size);
        assert_int_equal(snp_report_parse(data, size, &rep, &err), 0);
        assert_int_equal(rep->version, 2);
        assert_int_equal(rep->guest_svn, 0);
        assert_int_equal(rep->policy, 0xb0000);
        assert_int_equal(rep->vmpl, 0);
        assert_int_equal(rep->signature_algo, 1);
        assert_int_equal(rep->platform_info, 1);
        assert_int_equal(rep->signing_key, SNP_SIGNING_KEY_VCEK);
        assert_false(rep->has_cpuid);
        assert_int_equal(rep->generation, SNP_GENERATION_UNKNOWN);
        assert_int_equal(rep->tcb_layout, SNP_TCB_LAYOUT_MILAN_GENOA);
        assert_int_equal(rep->reported_tcb.raw, 0x4405000000000002);
        assert_int_equal(rep->reported_tcb.bootloader, 2);
        assert_int_equal(rep->reported_tcb.tee, 0);
        assert_int_equal(rep->reported_tcb.snp, 5);
        assert_int_equal(rep->reported_tcb.microcode, 68);
        assert_int_equal(rep->current_major, 1);
        assert_int_equal(rep->current_minor, 49);
        assert_int_equal(rep->current_build, 3);
        assert_memory_equal(rep->chip_id, chip_prefix, sizeof(chip_prefix));
        assert_int_equal(rep->report_data[0], 1);
        assert_int_equal(rep->report_data[4], 5);
        assert_int_equal(rep->measurement[0], 0xb0);
        assert_memory_equal(rep->raw, data, SNP_REPORT_SIZE);

        snp_report_free(TAKE_PTR(rep));
        free(TAKE_PTR(data));
        test_snp_read_peer("snp/trustee-vlek-report.bin", &data, &size);
        assert_int_equal(snp_report_parse(data, size, &rep, &err), 0);
        assert_int_equal(rep->version, 3);
        assert_int_equal(rep->vmpl, 1);
        assert_int_equal(rep->flags, 4);
        assert_int_equal(rep->signing_key, SNP_SIGNING_KEY_VLEK);
        assert_true(rep->has_cpuid);
        assert_int_equal(rep->cpuid_fam_id, 0x19);
        assert_int_equal(rep->cpuid_mod_id, 0x01);
        assert_int_equal(rep->cpuid_step, 1);
        assert_int_equal(rep->generation, SNP_GENERATION_MILAN);
        assert_int_equal(rep->reported_tcb.microcode, 217);
        assert_int_equal(rep->current_tcb.raw, 0xdc18000000000004);
        assert_int_equal(rep->committed_tcb.raw, 0xdb18000000000004);
}

/* The same peer report bytes decode by generation: Turin puts FMC first. */
static void test_turin_vs_milan_tcb(void **state) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        SnpTcb t;
        size_t size;
        ParseError err;
        (void) state;

        test_snp_read_peer("snp/oak-turin-report.bin", &data, &size);
        assert_int_equal(snp_report_parse(data, size, &rep, &err), 0);
        assert_int_equal(rep->version, 5);
        assert_int_equal(rep->generation, SNP_GENERATION_TURIN);
        assert_int_equal(rep->tcb_layout, SNP_TCB_LAYOUT_TURIN);
        assert_int_equal(rep->reported_tcb.raw, 0x4700000002000100);
        assert_int_equal(rep->reported_tcb.fmc, 0);
        assert_int_equal(rep->reported_tcb.bootloader, 1);
        assert_int_equal(rep->reported_tcb.tee, 0);
        assert_int_equal(rep->reported_tcb.snp, 2);
        assert_int_equal(rep->reported_tcb.microcode, 71);
        assert_true(rep->has_mit_vectors);

        /* Read as Milan/Genoa, the same word says something else. */
        snp_report_tcb_decode(0x4700000002000100, SNP_TCB_LAYOUT_MILAN_GENOA, &t);
        assert_int_equal(t.bootloader, 0);
        assert_int_equal(t.tee, 1);
        assert_int_equal(t.snp, 0);
        assert_int_equal(t.microcode, 71);

        snp_report_tcb_decode(test_snp_tcb_turin(7, 3, 2, 9, 0x21), SNP_TCB_LAYOUT_TURIN, &t);
        assert_int_equal(t.fmc, 7);
        assert_int_equal(t.bootloader, 3);
        assert_int_equal(t.tee, 2);
        assert_int_equal(t.snp, 9);
        assert_int_equal(t.microcode, 0x21);
        snp_report_tcb_decode(test_snp_tcb_milan(3, 2, 9, 0x21), SNP_TCB_LAYOUT_MILAN_GENOA, &t);
        assert_int_equal(t.fmc, 0);
        assert_int_equal(t.bootloader, 3);
        assert_int_equal(t.tee, 2);
        assert_int_equal(t.snp, 9);
        assert_int_equal(t.microcode, 0x21);

        /* A version 2 report is decoded Milan/Genoa until told otherwise. */
        snp_report_set_tcb_layout(rep, SNP_TCB_LAYOUT_MILAN_GENOA);
        assert_int_equal(rep->launch_tcb.tee, 1);
        snp_report_set_tcb_layout(rep, SNP_TCB_LAYOUT_TURIN);
        assert_int_equal(rep->launch_tcb.bootloader, 1);
}

static void test_generation(void **state) {
        (void) state;

        assert_int_equal(snp_report_generation_from_cpuid(0x19, 0x01), SNP_GENERATION_MILAN);
        assert_int_equal(snp_report_generation_from_cpuid(0x19, 0x00), SNP_GENERATION_MILAN);
        assert_int_equal(snp_report_generation_from_cpuid(0x19, 0x11), SNP_GENERATION_GENOA);
        assert_int_equal(snp_report_generation_from_cpuid(0x19, 0xa0), SNP_GENERATION_GENOA);
        assert_int_equal(snp_report_generation_from_cpuid(0x19, 0x21), SNP_GENERATION_UNKNOWN);
        assert_int_equal(snp_report_generation_from_cpuid(0x1a, 0x02), SNP_GENERATION_TURIN);
        assert_int_equal(snp_report_generation_from_cpuid(0x1a, 0x11), SNP_GENERATION_TURIN);
        assert_int_equal(snp_report_generation_from_cpuid(0x1a, 0x50), SNP_GENERATION_UNKNOWN);
        assert_int_equal(snp_report_generation_from_cpuid(0x17, 0x31), SNP_GENERATION_UNKNOWN);
        assert_int_equal(snp_report_tcb_layout_from_cpuid(0x19), SNP_TCB_LAYOUT_MILAN_GENOA);
        assert_int_equal(snp_report_tcb_layout_from_cpuid(0x1a), SNP_TCB_LAYOUT_TURIN);
        assert_int_equal(snp_report_tcb_layout_from_cpuid(0x1b), SNP_TCB_LAYOUT_TURIN);
        assert_string_equal(snp_generation_to_string(SNP_GENERATION_GENOA), "genoa");
        assert_null(snp_generation_to_string(_SNP_GENERATION_MAX));
        assert_string_equal(snp_signing_key_to_string(1), "vlek");
        assert_string_equal(snp_signing_key_to_string(7), "none");
        assert_string_equal(snp_signing_key_to_string(3), "reserved");
}

/* Reserved byte ranges of the report's version must be zero; the error
 * names the range and the offset of the first non-zero byte. */
static void test_reserved_bytes(void **state) {
        static const struct {
                uint32_t version;
                size_t offset;
                const char *field;
        } cases[] = {
                {2, 0x4c, "reserved_4c"},
                {2, 0x4f, "reserved_4c"},
                {2, 0x188, "reserved_188"},
                {2, 0x19f, "reserved_188"},
                {3, 0x18b, "reserved_18b"},
                {3, 0x19f, "reserved_18b"},
                {2, 0x1eb, "reserved_1eb"},
                {5, 0x1ef, "reserved_1ef"},
                {3, 0x1f8, "reserved_1f8"},
                {4, 0x207, "reserved_1f8"},
                {5, 0x208, "reserved_208"},
                {2, 0x29f, "reserved_208"},
                {2, 0x2a0 + 144, "signature.reserved"},
                {5, SNP_REPORT_SIZE - 1, "signature.reserved"},
        };
        uint8_t chip[64] = {9};
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(snp_report_freep) SnpReport *rep = NULL;
                uint8_t buf[SNP_REPORT_SIZE];
                ParseError err;

                test_snp_make_report(buf, cases[i].version, 0x19, 0x11, 0, chip);
                assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), 0);
                snp_report_free(TAKE_PTR(rep));
                buf[cases[i].offset] = 0x80;
                assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), -EBADMSG);
                assert_null(rep);
                assert_string_equal(err.field, cases[i].field);
                assert_int_equal(err.offset, cases[i].offset);
        }
}

/* Bytes that later versions define are fields there, and only there. */
static void test_version_fields(void **state) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        uint8_t buf[SNP_REPORT_SIZE];
        uint8_t chip[64] = {9};
        ParseError err;
        (void) state;

        test_snp_make_report(buf, 5, 0x19, 0x11, 0, chip);
        test_snp_put_u64(buf + 0x1f8, 0x5);
        test_snp_put_u64(buf + 0x200, 0x7);
        assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), 0);
        assert_int_equal(rep->launch_mit_vector, 5);
        assert_int_equal(rep->current_mit_vector, 7);
        assert_int_equal(rep->generation, SNP_GENERATION_GENOA);
        snp_report_free(TAKE_PTR(rep));

        /* With another signature algorithm the rest of SIGNATURE is not
         * ours to judge. */
        test_snp_put_u32(buf + 0x34, 2);
        buf[SNP_REPORT_SIZE - 1] = 1;
        assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), 0);
        assert_int_equal(rep->signature_algo, 2);
}

/* Reserved bits in policy, PLATFORM_INFO and the key-info word are kept,
 * not refused: AMD defines new ones within a version. */
static void test_reserved_bits(void **state) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        uint8_t buf[SNP_REPORT_SIZE];
        uint8_t chip[64] = {9};
        SnpPolicy p;
        SnpPlatformInfo pi;
        ParseError err;
        (void) state;

        test_snp_make_report(buf, 2, 0, 0, 0, chip);
        test_snp_put_u64(buf + 0x08, UINT64_C(0x80000003ff0102));
        test_snp_put_u64(buf + 0x40, 0xff);
        test_snp_put_u32(buf + 0x48, 0xffffffe0 | (3 << 2) | 3);
        assert_int_equal(snp_report_parse(buf, sizeof(buf), &rep, &err), 0);
        assert_int_equal(rep->signing_key, 3);
        assert_true(rep->author_key_en);
        assert_true(rep->mask_chip_key);

        snp_report_policy_decode(rep->policy, rep->version, &p);
        assert_int_equal(p.abi_minor, 2);
        assert_int_equal(p.abi_major, 1);
        assert_true(p.smt && p.reserved_17 && p.migrate_ma && p.debug && p.single_socket &&
                    p.cxl_allow && p.mem_aes_256_xts && p.rapl_dis && p.ciphertext_hiding);
        /* Bit 25 means PAGE_SWAP_DISABLE from version 5 on only. */
        assert_false(p.page_swap_disable);
        assert_int_equal(p.reserved, UINT64_C(0x80000002000000));
        snp_report_policy_decode(rep->policy, 5, &p);
        assert_true(p.page_swap_disable);
        assert_int_equal(p.reserved, UINT64_C(0x80000000000000));

        snp_report_platform_info_decode(0xff, 2, &pi);
        assert_true(pi.smt_en && pi.tsme_en && pi.ecc_en && pi.rapl_dis && pi.ciphertext_hiding_en);
        assert_false(pi.alias_check_complete);
        assert_false(pi.tio_en);
        assert_int_equal(pi.reserved, 0xe0);
        snp_report_platform_info_decode(0xff, 3, &pi);
        assert_true(pi.alias_check_complete);
        assert_int_equal(pi.reserved, 0xc0);
        snp_report_platform_info_decode(0xff, 5, &pi);
        assert_true(pi.tio_en);
        assert_int_equal(pi.reserved, 0x40);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_short_report),
                cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_bad_version),
                cmocka_unit_test(test_prefixes),
                cmocka_unit_test(test_peer_fields),
                cmocka_unit_test(test_turin_vs_milan_tcb),
                cmocka_unit_test(test_generation),
                cmocka_unit_test(test_reserved_bytes),
                cmocka_unit_test(test_version_fields),
                cmocka_unit_test(test_reserved_bits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
