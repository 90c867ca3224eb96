/* PCR selection strings as tpm2-tools writes them. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_hash_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
