/* The GHCB certificate table parser on arbitrary bytes (what a host hands
 * an SEV-SNP guest next to its report). Whatever parses must build back
 * into a table that parses to the same entries: the builder and the parser
 * agree on the format, and nothing the parser accepts points outside its
 * input. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/evidence/snp-cert-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SnpCertTable t, again;
        ParseError err;
        uint8_t *buf;
        size_t n, built;

        if (snp_cert_table_parse(data, size, &t, &err) < 0)
                return 0;
        if (t.used_size > size || t.table_size > t.used_size)
                abort();
        n = snp_cert_table_size(t.entries, t.n_entries);
        if (n == 0)
                abort();
        buf = malloc(n);
        if (!buf)
                return 0;
        if (snp_cert_table_build(t.entries, t.n_entries, buf, n, &built) < 0 || built != n)
                abort();
        if (snp_cert_table_parse(buf, built, &again, &err) < 0 || again.n_entries != t.n_entries)
                abort();
        for (size_t i = 0; i < t.n_entries; i++)
                if (again.entries[i].kind != t.entries[i].kind ||
                    again.entries[i].size != t.entries[i].size ||
                    memcmp(again.entries[i].data, t.entries[i].data, t.entries[i].size) != 0)
                        abort();
        free(buf);
        return 0;
}
