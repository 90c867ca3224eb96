#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/evidence/snp-cert-table.h"

static const uint8_t cert_a[] = {0x30, 0x03, 0x02, 0x01, 0x01};
static const uint8_t cert_b[] = {0x30, 0x04, 0x02, 0x02, 0x01, 0x02};
static const uint8_t cert_c[] = {0x30, 0x00};

static void entries3(SnpCertTableEntry e[3]) {
        memset(e, 0, 3 * sizeof(*e));
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_ARK, e[0].guid), 0);
        e[0].data = cert_a;
        e[0].size = sizeof(cert_a);
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_ASK, e[1].guid), 0);
        e[1].data = cert_b;
        e[1].size = sizeof(cert_b);
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_VCEK, e[2].guid), 0);
        e[2].data = cert_c;
        e[2].size = sizeof(cert_c);
}

static void put_entry(uint8_t *p, SnpCertKind kind, uint32_t offset, uint32_t length) {
        if (kind == SNP_CERT_KIND_OTHER)
                memset(p, 0x5a, SNP_CERT_TABLE_GUID_SIZE);
        else
                assert_int_equal(snp_cert_kind_guid(kind, p), 0);
        for (size_t i = 0; i < 4; i++) {
                p[16 + i] = (uint8_t)(offset >> (8 * i));
                p[20 + i] = (uint8_t)(length >> (8 * i));
        }
}

static void test_guid_bytes(void **state) {
        /* The wire order is the order the GUID is written in. */
        static const uint8_t ark[16] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                                        0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};
        uint8_t g[16];
        (void)state;

        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_ARK, g), 0);
        assert_memory_equal(g, ark, 16);
        assert_int_equal(snp_cert_kind_from_guid(ark), SNP_CERT_KIND_ARK);
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_OTHER, g), -EINVAL);
        assert_string_equal(snp_cert_kind_to_string(SNP_CERT_KIND_VCEK), "vcek");
        assert_null(snp_cert_kind_to_string(_SNP_CERT_KIND_MAX));
}

static void test_roundtrip(void **state) {
        SnpCertTableEntry e[3];
        uint8_t buf[4096];
        SnpCertTable t;
        ParseError err;
        size_t n;
        (void)state;

        entries3(e);
        assert_int_equal(snp_cert_table_size(e, 3),
                         4 * 24 + sizeof(cert_a) + sizeof(cert_b) + sizeof(cert_c));
        memset(buf, 0, sizeof(buf));
        assert_int_equal(snp_cert_table_build(e, 3, buf, sizeof(buf), &n), 0);
        assert_int_equal(n, snp_cert_table_size(e, 3));
        /* The padding of a whole page, as the kernel hands it out, is fine. */
        assert_int_equal(snp_cert_table_parse(buf, sizeof(buf), &t, &err), 0);
        assert_int_equal(t.n_entries, 3);
        assert_int_equal(t.table_size, 96);
        assert_int_equal(t.used_size, n);
        assert_int_equal(t.entries[0].kind, SNP_CERT_KIND_ARK);
        assert_int_equal(t.entries[0].offset, 96);
        assert_int_equal(t.entries[1].kind, SNP_CERT_KIND_ASK);
        assert_int_equal(t.entries[2].kind, SNP_CERT_KIND_VCEK);
        assert_memory_equal(t.entries[1].data, cert_b, sizeof(cert_b));
        assert_ptr_equal(snp_cert_table_find(&t, SNP_CERT_KIND_VCEK), &t.entries[2]);
        assert_null(snp_cert_table_find(&t, SNP_CERT_KIND_VLEK));
        /* Exactly the bytes it needs. */
        assert_int_equal(snp_cert_table_parse(buf, n, &t, &err), 0);
}

static void test_build_empty(void **state) {
        uint8_t buf[24];
        SnpCertTable t;
        size_t n;
        (void)state;

        /* No certificates: the terminator alone, which parses as a table
         * of none. */
        memset(buf, 0xee, sizeof(buf));
        assert_int_equal(snp_cert_table_size(NULL, 0), 24);
        assert_int_equal(snp_cert_table_build(NULL, 0, buf, sizeof(buf), &n), 0);
        assert_int_equal(n, 24);
        assert_int_equal(snp_cert_table_parse(buf, n, &t, NULL), 0);
        assert_int_equal(t.n_entries, 0);
        assert_int_equal(t.used_size, 24);
}

static void test_build_short(void **state) {
        SnpCertTableEntry e[3];
        uint8_t buf[4096];
        size_t need, n = 12345;
        (void)state;

        entries3(e);
        need = snp_cert_table_size(e, 3);
        memset(buf, 0xee, sizeof(buf));
        assert_int_equal(snp_cert_table_build(e, 3, buf, need - 1, &n), -ENOBUFS);
        assert_int_equal(n, 12345);
        assert_int_equal(buf[0], 0xee); /* nothing written */
        assert_int_equal(snp_cert_table_build(NULL, 0, buf, 23, &n), -ENOBUFS);
}

static void test_build_oversized(void **state) {
        SnpCertTableEntry e[SNP_CERT_TABLE_MAX_ENTRIES + 1], big[3];
        uint8_t buf[64];
        size_t n;
        (void)state;

        memset(e, 0, sizeof(e));
        for (size_t i = 0; i < ELEMENTSOF(e); i++) {
                memset(e[i].guid, (int)i + 1, sizeof(e[i].guid));
                e[i].data = cert_a;
                e[i].size = sizeof(cert_a);
        }
        assert_int_equal(snp_cert_table_size(e, ELEMENTSOF(e)), 0);
        assert_int_equal(snp_cert_table_build(e, ELEMENTSOF(e), buf, sizeof(buf), &n), -EINVAL);

        /* Offsets are u32: certificates that end past 4 GiB cannot be
         * described, whatever the buffer. */
        entries3(big);
        big[0].size = UINT32_MAX - 10;
        big[1].size = 100;
        assert_int_equal(snp_cert_table_size(big, 2), 0);
        assert_int_equal(snp_cert_table_build(big, 2, buf, sizeof(buf), &n), -EINVAL);

        /* An empty certificate or one without a GUID is refused. */
        entries3(big);
        big[1].size = 0;
        assert_int_equal(snp_cert_table_build(big, 2, buf, sizeof(buf), &n), -EINVAL);
        entries3(big);
        memset(big[0].guid, 0, sizeof(big[0].guid));
        assert_int_equal(snp_cert_table_build(big, 1, buf, sizeof(buf), &n), -EINVAL);
}

static void test_parse_empty(void **state) {
        SnpCertTable t;
        ParseError err;
        (void)state;

        assert_int_equal(snp_cert_table_parse(NULL, 0, &t, &err), -EBADMSG);
        assert_true(err.set);
        assert_int_equal(err.offset, 0);
        assert_int_equal(snp_cert_table_parse((const uint8_t *)"", 0, &t, &err), -EBADMSG);
}

static void test_parse_short(void **state) {
        SnpCertTableEntry e[3];
        uint8_t buf[4096];
        SnpCertTable t;
        ParseError err;
        size_t n;
        (void)state;

        /* A terminator one byte short. */
        memset(buf, 0, sizeof(buf));
        assert_int_equal(snp_cert_table_parse(buf, 23, &t, &err), -EBADMSG);
        assert_int_equal(err.offset, 20);
        assert_string_equal(err.field, "entry.length");

        /* The last certificate one byte short. */
        entries3(e);
        assert_int_equal(snp_cert_table_build(e, 3, buf, sizeof(buf), &n), 0);
        assert_int_equal(snp_cert_table_parse(buf, n - 1, &t, &err), -EBADMSG);
        assert_string_equal(err.field, "entry.offset");
        assert_int_equal(err.offset, 2 * 24 + 16);

        /* Entries without a terminator. */
        assert_int_equal(snp_cert_table_parse(buf, 3 * 24, &t, &err), -EBADMSG);
        assert_int_equal(err.offset, 3 * 24);
}

static void test_parse_oversized(void **state) {
        uint8_t buf[(SNP_CERT_TABLE_MAX_ENTRIES + 2) * 24 + 16];
        SnpCertTable t;
        ParseError err;
        (void)state;

        /* A length that runs far past the buffer. */
        memset(buf, 0, sizeof(buf));
        put_entry(buf, SNP_CERT_KIND_VCEK, 48, UINT32_MAX);
        assert_int_equal(snp_cert_table_parse(buf, 64, &t, &err), -EBADMSG);
        assert_string_equal(err.field, "entry.offset");
        /* An offset that wraps with its length. */
        put_entry(buf, SNP_CERT_KIND_VCEK, UINT32_MAX, 2);
        assert_int_equal(snp_cert_table_parse(buf, 64, &t, &err), -EBADMSG);
        /* An offset into the table itself. */
        put_entry(buf, SNP_CERT_KIND_VCEK, 8, 4);
        assert_int_equal(snp_cert_table_parse(buf, 64, &t, &err), -EBADMSG);
        assert_non_null(strstr(err.what, "into the table"));

        /* More entries than we keep. */
        memset(buf, 0, sizeof(buf));
        for (size_t i = 0; i <= SNP_CERT_TABLE_MAX_ENTRIES; i++) {
                put_entry(buf + i * 24, SNP_CERT_KIND_OTHER, (uint32_t)sizeof(buf) - 16, 16);
                buf[i * 24] = (uint8_t)i; /* distinct GUIDs */
        }
        assert_int_equal(snp_cert_table_parse(buf, sizeof(buf), &t, &err), -EBADMSG);
        assert_int_equal(err.offset, SNP_CERT_TABLE_MAX_ENTRIES * 24);
}

static void test_parse_bad_entries(void **state) {
        uint8_t buf[128];
        SnpCertTable t;
        ParseError err;
        (void)state;

        /* Empty entry. */
        memset(buf, 0, sizeof(buf));
        put_entry(buf, SNP_CERT_KIND_ARK, 48, 0);
        assert_int_equal(snp_cert_table_parse(buf, sizeof(buf), &t, &err), -EBADMSG);
        assert_string_equal(err.field, "entry.length");
        /* The same GUID twice. */
        put_entry(buf, SNP_CERT_KIND_ARK, 72, 8);
        put_entry(buf + 24, SNP_CERT_KIND_ARK, 80, 8);
        assert_int_equal(snp_cert_table_parse(buf, sizeof(buf), &t, &err), -EBADMSG);
        assert_int_equal(err.offset, 24);
        /* A zero GUID that is no terminator. */
        memset(buf, 0, sizeof(buf));
        put_entry(buf, SNP_CERT_KIND_ARK, 72, 8);
        buf[24 + 16] = 1;
        assert_int_equal(snp_cert_table_parse(buf, sizeof(buf), &t, &err), -EBADMSG);
        assert_int_equal(err.offset, 24);
        /* An unknown GUID is kept as OTHER. */
        memset(buf, 0, sizeof(buf));
        put_entry(buf, SNP_CERT_KIND_OTHER, 48, 8);
        assert_int_equal(snp_cert_table_parse(buf, sizeof(buf), &t, &err), 0);
        assert_int_equal(t.n_entries, 1);
        assert_int_equal(t.entries[0].kind, SNP_CERT_KIND_OTHER);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_guid_bytes),        cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_build_empty),       cmocka_unit_test(test_build_short),
                cmocka_unit_test(test_build_oversized),   cmocka_unit_test(test_parse_empty),
                cmocka_unit_test(test_parse_short),       cmocka_unit_test(test_parse_oversized),
                cmocka_unit_test(test_parse_bad_entries),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
