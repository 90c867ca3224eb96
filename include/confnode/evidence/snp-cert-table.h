#pragma once

/* The certificate table of an SEV-SNP extended report: what the host hands
 * the guest next to the report (GHCB specification v2, the data pages of
 * an extended guest request), what SNP_GET_EXT_REPORT copies to
 * certs_address and what configfs-tsm shows as auxblob for provider
 * sev_guest. It is a list of entries of a 16-byte GUID, a u32 offset and a
 * u32 length (little-endian), ended by an entry of all zeros, followed by
 * the DER certificates the entries point at. Offsets count from the start
 * of the table. A GUID is stored in the order its text is written
 * ("c0b406a4-…" is the bytes c0 b4 06 a4 …).
 *
 * The parser goes through the Reader and allocates nothing: entries point
 * into the caller's buffer. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/reader.h"

#define SNP_CERT_TABLE_ENTRY_SIZE 24
#define SNP_CERT_TABLE_GUID_SIZE 16
/* More than any host puts there (ARK, ASK, VCEK or VLEK, a CRL); a bound
 * so that a table cannot describe more than we keep. */
#define SNP_CERT_TABLE_MAX_ENTRIES 16

typedef enum SnpCertKind {
        SNP_CERT_KIND_ARK,   /* c0b406a4-a803-4952-9743-3fb6014cd0ae */
        SNP_CERT_KIND_ASK,   /* 4ab7b379-bbac-4fe4-a02f-05aef327c782 */
        SNP_CERT_KIND_VCEK,  /* 63da758d-e664-4564-adc5-f4b93be8accd */
        SNP_CERT_KIND_VLEK,  /* a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
        SNP_CERT_KIND_CRL,   /* 92f81bc3-5811-4d3d-97ff-d19f88dc67ea */
        SNP_CERT_KIND_OTHER, /* a GUID of no meaning to us, kept as it is */
        _SNP_CERT_KIND_MAX,
        _SNP_CERT_KIND_INVALID = -EINVAL,
} SnpCertKind;

typedef struct SnpCertTableEntry {
        uint8_t guid[SNP_CERT_TABLE_GUID_SIZE];
        SnpCertKind kind;
        uint32_t offset;
        uint32_t size;
        const uint8_t *data; /* size bytes, inside the parsed (or given) buffer */
} SnpCertTableEntry;

typedef struct SnpCertTable {
        SnpCertTableEntry entries[SNP_CERT_TABLE_MAX_ENTRIES];
        size_t n_entries;
        size_t table_size; /* the entries and the terminator */
        size_t used_size;  /* up to the end of the last certificate */
} SnpCertTable;

/* Parses a table. -EBADMSG (err filled in) when the terminator is
 * missing, there are more than SNP_CERT_TABLE_MAX_ENTRIES entries, an entry
 * is empty, repeats a GUID or points outside the buffer or into the table
 * itself. Bytes after the last certificate (page padding) are allowed. */
int snp_cert_table_parse(const uint8_t *data, size_t size, SnpCertTable *ret, ParseError *err);

/* The first entry of that kind, or NULL. */
const SnpCertTableEntry *snp_cert_table_find(const SnpCertTable *t, SnpCertKind kind);

/* The bytes a table of these entries takes (entries, terminator, the
 * certificates back to back), or 0 if that would not fit the u32 offsets
 * or there are more than SNP_CERT_TABLE_MAX_ENTRIES. Only guid, data and
 * size of each entry are used. */
size_t snp_cert_table_size(const SnpCertTableEntry *entries, size_t n);

/* Writes the table into buf. -EINVAL for an empty certificate or when
 * snp_cert_table_size() is 0, -ENOBUFS when buf_size is smaller than
 * that (nothing written then). Bytes of buf after the table are left as
 * they are. */
int snp_cert_table_build(const SnpCertTableEntry *entries, size_t n, uint8_t *buf, size_t buf_size,
                         size_t *ret_size);

/* The GUID of a known kind (not OTHER): -EINVAL otherwise. */
int snp_cert_kind_guid(SnpCertKind kind, uint8_t ret[static SNP_CERT_TABLE_GUID_SIZE]);
SnpCertKind snp_cert_kind_from_guid(const uint8_t guid[static SNP_CERT_TABLE_GUID_SIZE]);
/* "ark", "ask", "vcek", "vlek", "crl", "other"; NULL if out of range. */
const char *snp_cert_kind_to_string(SnpCertKind kind);
