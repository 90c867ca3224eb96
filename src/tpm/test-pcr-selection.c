/* PCR selection strings as tpm2-tools writes them. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/cleanup.h"
#include "confnode/tpm/pcr-selection.h"

static void test_parse(void **state) {
        PcrSelection s;
        char buf[256];
        (void)state;

        assert_int_equal(pcr_selection_parse("sha256:0-7,9", &s, NULL, 0), 0);
        assert_int_equal(s.n_banks, 1);
        assert_int_equal(s.banks[0].alg, 0x000b);
        assert_int_equal(s.banks[0].mask, 0x2ff);
        pcr_selection_format(&s, buf, sizeof(buf));
        assert_string_equal(buf, "sha256:0,1,2,3,4,5,6,7,9");

        assert_int_equal(pcr_selection_parse("sha1:0,1+sha256:23", &s, NULL, 0), 0);
        assert_int_equal(s.n_banks, 2);
        assert_int_equal(s.banks[0].alg, 0x0004);
        assert_int_equal(s.banks[0].mask, 0x3);
        assert_int_equal(s.banks[1].mask, 1u << 23);
        pcr_selection_format(&s, buf, sizeof(buf));
        assert_string_equal(buf, "sha1:0,1+sha256:23");
}

/* The format as it was written with snprintf(), to hold the new one to. */
static void format_reference(const PcrSelection *sel, char *buf, size_t size) {
        size_t o = 0;

        buf[0] = 0;
        for (size_t b = 0; b < sel->n_banks; b++) {
                bool first = true;

                o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s:", b ? "+" : "",
                                      tpm_alg_hash_name(sel->banks[b].alg) ?: "?");
                for (unsigned i = 0; i < PCR_MAX; i++) {
                        if (!(sel->banks[b].mask & (1u << i)))
                                continue;
                        o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%u",
                                              first ? "" : ",", i);
                        first = false;
                }
        }
}

static void test_format_every_size(void **state) {
        static const uint16_t algs[] = {0x0004, 0x000b, 0x000c, 0x000d, 0x0012, 0x7777};
        uint32_t seed = 1;
        (void)state;

        for (int round = 0; round < 200; round++) {
                PcrSelection s = {};
                char want[600], got[600];

                s.n_banks = round % 5;
                for (size_t b = 0; b < s.n_banks; b++) {
                        seed = seed * 1103515245u + 12345u;
                        s.banks[b].alg = algs[(seed >> 16) % 6];
                        seed = seed * 1103515245u + 12345u;
                        s.banks[b].mask = (seed ^ (seed << 7)) & 0xffffff;
                        if (round % 7 == 0)
                                s.banks[b].mask = 0xffffff;
                }
                for (size_t size = 1; size <= sizeof(want); size++) {
                        memset(want, 'x', sizeof(want));
                        memset(got, 'x', sizeof(got));
                        format_reference(&s, want, size);
                        pcr_selection_format(&s, got, size);
                        assert_memory_equal(got, want, sizeof(want));
                }
        }
}

static void test_bad(void **state) {
        static const char *const bad[] = {
                "",
                "sha256",
                "sha256:",
                "sha256:24",
                "sha256:7-3",
                "md5:0",
                "sha256:0+sha256:1",
                "sha256:0,",
                "sha256:0;1",
                "sha1:0+sha256:0+sha384:0+sha512:0+sm3_256:0",
                ":0",
        };
        (void)state;

        assert_int_equal(pcr_selection_parse(NULL, &(PcrSelection){}, NULL, 0), -EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                PcrSelection s;
                char err[128] = "";

                if (pcr_selection_parse(bad[i], &s, err, sizeof(err)) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
                assert_true(strlen(err) > 0);
        }
}

static void test_hash_names(void **state) {
        (void)state;

        assert_string_equal(tpm_alg_hash_name(0x000c), "sha384");
        assert_null(tpm_alg_hash_name(0x0001));
        assert_int_equal(tpm_alg_hash_from_name("SHA512"), 0x000d);
        assert_int_equal(tpm_alg_hash_from_name("md5"), -EINVAL);
        assert_int_equal(tpm_alg_hash_size(0x0004), 20);
        assert_int_equal(tpm_alg_hash_size(0x0010), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_every_size),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_hash_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
