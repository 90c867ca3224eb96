/* The GHCB certificate table of an SEV-SNP extended report: parsing what a
 * host (or a hostile one) hands the guest, and building one the way a host
 * does. */

#include "confnode/evidence/snp-cert-table.h"

#include <string.h>

#include "confnode/basic/cleanup.h"

static const uint8_t snp_cert_guids[][SNP_CERT_TABLE_GUID_SIZE] = {
        [SNP_CERT_KIND_ARK] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f,
                               0xb6, 0x01, 0x4c, 0xd0, 0xae},
        [SNP_CERT_KIND_ASK] = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05,
                               0xae, 0xf3, 0x27, 0xc7, 0x82},
        [SNP_CERT_KIND_VCEK] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4,
                                0xb9, 0x3b, 0xe8, 0xac, 0xcd},
        [SNP_CERT_KIND_VLEK] = {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39,
                                0xc0, 0x45, 0xa0, 0xb8, 0xa1},
        [SNP_CERT_KIND_CRL] = {0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d, 0x97, 0xff, 0xd1,
                               0x9f, 0x88, 0xdc, 0x67, 0xea},
};

static const char *const snp_cert_kind_names[_SNP_CERT_KIND_MAX] = {
        [SNP_CERT_KIND_ARK] = "ark",   [SNP_CERT_KIND_ASK] = "ask", [SNP_CERT_KIND_VCEK] = "vcek",
        [SNP_CERT_KIND_VLEK] = "vlek", [SNP_CERT_KIND_CRL] = "crl", [SNP_CERT_KIND_OTHER] = "other",
};

const char *snp_cert_kind_to_string(SnpCertKind kind) {
        if (kind < 0 || kind >= _SNP_CERT_KIND_MAX)
                return NULL;
        return snp_cert_kind_names[kind];
}

int snp_cert_kind_guid(SnpCertKind kind, uint8_t ret[static SNP_CERT_TABLE_GUID_SIZE]) {
        if (kind < 0 || (size_t)kind >= ELEMENTSOF(snp_cert_guids))
                return -EINVAL;
        memcpy(ret, snp_cert_guids[kind], SNP_CERT_TABLE_GUID_SIZE);
        return 0;
}

SnpCertKind snp_cert_kind_from_guid(const uint8_t guid[static SNP_CERT_TABLE_GUID_SIZE]) {
        for (size_t i = 0; i < ELEMENTSOF(snp_cert_guids); i++)
                if (memcmp(guid, snp_cert_guids[i], SNP_CERT_TABLE_GUID_SIZE) == 0)
                        return (SnpCertKind)i;
        return SNP_CERT_KIND_OTHER;
}

static bool snp_cert_table_all_zero(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i] != 0)
                        return false;
        return true;
}

/* The entries up to and including the terminator. */
static int snp_cert_table_entries(Reader *rd, SnpCertTable *t) {
        for (;;) {
                SnpCertTableEntry e = {};
                Reader at = *rd;
                int r;

                r = reader_field(rd, reader_copy(rd, e.guid, sizeof(e.guid)), "entry.guid");
                if (r >= 0)
                        r = reader_field(rd, reader_u32le(rd, &e.offset), "entry.offset");
                if (r >= 0)
                        r = reader_field(rd, reader_u32le(rd, &e.size), "entry.length");
                if (r < 0)
                        return r;
                if (snp_cert_table_all_zero(e.guid, sizeof(e.guid))) {
                        if (e.offset == 0 && e.size == 0)
                                return 0;
                        return reader_fail(&at, "entry.guid",
                                           "all-zero GUID in an entry that is not the terminator");
                }
                if (t->n_entries >= SNP_CERT_TABLE_MAX_ENTRIES)
                        return reader_fail(&at, NULL, "more than %d entries",
                                           SNP_CERT_TABLE_MAX_ENTRIES);
                if (e.size == 0)
                        return reader_fail(&at, "entry.length", "an entry of no bytes");
                for (size_t i = 0; i < t->n_entries; i++)
                        if (memcmp(t->entries[i].guid, e.guid, sizeof(e.guid)) == 0)
                                return reader_fail(&at, "entry.guid", "the GUID of entry %zu again",
                                                   i);
                e.kind = snp_cert_kind_from_guid(e.guid);
                t->entries[t->n_entries++] = e;
        }
}

int snp_cert_table_parse(const uint8_t *data, size_t size, SnpCertTable *ret, ParseError *err) {
        SnpCertTable t = {};
        Reader rd;
        int r;

        reader_init(&rd, data, size, err);
        r = snp_cert_table_entries(&rd, &t);
        if (r < 0)
                return r;
        t.table_size = reader_offset(&rd);

        /* Each certificate must lie after the table and within the
         * buffer; its bytes are taken through a reader of the whole
         * input, so no offset is added to a pointer here. */
        for (size_t i = 0; i < t.n_entries; i++) {
                SnpCertTableEntry *e = &t.entries[i];
                Reader whole, at;

                reader_init(&whole, data, size, NULL);
                at = whole;
                (void)reader_skip(&at, i * SNP_CERT_TABLE_ENTRY_SIZE + SNP_CERT_TABLE_GUID_SIZE);
                at.err = err;
                if (e->offset < t.table_size)
                        return reader_fail(&at, "entry.offset",
                                           "0x%x points into the table, which ends at 0x%zx",
                                           e->offset, t.table_size);
                if ((uint64_t)e->offset + e->size > size)
                        return reader_fail(&at, "entry.offset",
                                           "0x%x + %u bytes ends past the %zu bytes given",
                                           e->offset, e->size, size);
                r = reader_skip(&whole, e->offset);
                if (r >= 0)
                        r = reader_bytes(&whole, e->size, &e->data);
                if (r < 0)
                        return r;
                if ((size_t)e->offset + e->size > t.used_size)
                        t.used_size = (size_t)e->offset + e->size;
        }
        if (t.used_size < t.table_size)
                t.used_size = t.table_size;
        *ret = t;
        return 0;
}

const SnpCertTableEntry *snp_cert_table_find(const SnpCertTable *t, SnpCertKind kind) {
        for (size_t i = 0; i < t->n_entries; i++)
                if (t->entries[i].kind == kind)
                        return &t->entries[i];
        return NULL;
}

size_t snp_cert_table_size(const SnpCertTableEntry *entries, size_t n) {
        uint64_t size;

        if (n > SNP_CERT_TABLE_MAX_ENTRIES)
                return 0;
        size = (uint64_t)(n + 1) * SNP_CERT_TABLE_ENTRY_SIZE;
        for (size_t i = 0; i < n; i++) {
                size += entries[i].size;
                /* Every offset, and every end, must fit a u32. */
                if (size > UINT32_MAX)
                        return 0;
        }
        return (size_t)size;
}

static void snp_cert_table_put_u32(uint8_t *p, uint32_t v) {
        for (size_t i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

int snp_cert_table_build(const SnpCertTableEntry *entries, size_t n, uint8_t *buf, size_t buf_size,
                         size_t *ret_size) {
        size_t size = snp_cert_table_size(entries, n);
        size_t offset = (n + 1) * SNP_CERT_TABLE_ENTRY_SIZE;

        if (size == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (entries[i].size == 0 || !entries[i].data ||
                    snp_cert_table_all_zero(entries[i].guid, SNP_CERT_TABLE_GUID_SIZE))
                        return -EINVAL;
        if (buf_size < size)
                return -ENOBUFS;

        for (size_t i = 0; i < n; i++) {
                uint8_t *e = buf + i * SNP_CERT_TABLE_ENTRY_SIZE;

                memcpy(e, entries[i].guid, SNP_CERT_TABLE_GUID_SIZE);
                snp_cert_table_put_u32(e + 16, (uint32_t)offset);
                snp_cert_table_put_u32(e + 20, entries[i].size);
                memcpy(buf + offset, entries[i].data, entries[i].size);
                offset += entries[i].size;
        }
        memset(buf + n * SNP_CERT_TABLE_ENTRY_SIZE, 0, SNP_CERT_TABLE_ENTRY_SIZE);
        *ret_size = size;
        return 0;
}
