/* pcrs.json: round trip and every way it can be wrong. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/json-util.h"
#include "confnode/tpm/tpm-pcr-values.h"

static int from_string(const char *s, TpmPcrValues *ret, char *err, size_t err_size) {
        _cleanup_(json_object_putp) json_object *j = json_tokener_parse(s);

        assert_non_null(j);
        return tpm_pcr_values_from_json(j, ret, err, err_size);
}

static void test_round_trip(void **state) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        uint8_t v1[20], v256[32];
        TpmPcrValues v = {}, back;
        PcrSelection sel = {.banks = {{0x000b, 0x81}, {0x0004, 0x1}}, .n_banks = 2};
        char err[256];
        (void)state;

        memset(v1, 0x11, sizeof(v1));
        memset(v256, 0x22, sizeof(v256));
        assert_int_equal(tpm_pcr_values_set(&v, 0x000b, 0, v256, 32), 0);
        assert_false(tpm_pcr_values_cover(&v, &sel));
        assert_int_equal(tpm_pcr_values_set(&v, 0x000b, 7, v256, 32), 0);
        assert_int_equal(tpm_pcr_values_set(&v, 0x0004, 0, v1, 20), 0);
        assert_true(tpm_pcr_values_cover(&v, &sel));

        assert_int_equal(tpm_pcr_values_to_json(&v, &j), 0);
        assert_string_equal(
                json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
                "{\"sha256\":{\"0\":"
                "\"2222222222222222222222222222222222222222222222222222222222222222\","
                "\"7\":\"2222222222222222222222222222222222222222222222222222222222222222\"},"
                "\"sha1\":{\"0\":\"1111111111111111111111111111111111111111\"}}");
        assert_int_equal(tpm_pcr_values_from_json(j, &back, err, sizeof(err)), 0);
        assert_int_equal(back.n_banks, 2);
        assert_non_null(tpm_pcr_values_bank(&back, 0x0004));
        assert_int_equal(tpm_pcr_values_bank(&back, 0x000b)->present, 0x81);
        assert_memory_equal(tpm_pcr_values_bank(&back, 0x000b)->value[7], v256, 32);
        assert_null(tpm_pcr_values_bank(&back, 0x000c));
}

static void test_set_errors(void **state) {
        uint8_t d[64] = {};
        TpmPcrValues v = {};
        (void)state;

        assert_int_equal(tpm_pcr_values_set(&v, 0x000b, 24, d, 32), -EINVAL);
        assert_int_equal(tpm_pcr_values_set(&v, 0x000b, 0, d, 20), -EINVAL);
        assert_int_equal(tpm_pcr_values_set(&v, 0x1234, 0, d, 32), -EINVAL);
        assert_int_equal(tpm_pcr_values_set(&v, 0x0004, 0, d, 20), 0);
        assert_int_equal(tpm_pcr_values_set(&v, 0x000b, 0, d, 32), 0);
        assert_int_equal(tpm_pcr_values_set(&v, 0x000c, 0, d, 48), 0);
        assert_int_equal(tpm_pcr_values_set(&v, 0x000d, 0, d, 64), 0);
        assert_int_equal(tpm_pcr_values_set(&v, 0x0012, 0, d, 32), 0);
        assert_int_equal(v.n_banks, TPM_PCR_VALUES_MAX_BANKS);
}

static void test_bad_json(void **state) {
        static const char *const bad[] = {
                "[]",
                "{\"sha256\": []}",
                "{\"sha999\": {\"0\": \"00\"}}",
                "{\"sha1\": {}}",
                "{\"sha1\": {\"24\": \"0000000000000000000000000000000000000000\"}}",
                "{\"sha1\": {\"01\": \"0000000000000000000000000000000000000000\"}}",
                "{\"sha1\": {\"-1\": \"0000000000000000000000000000000000000000\"}}",
                "{\"sha1\": {\"x\": \"0000000000000000000000000000000000000000\"}}",
                "{\"sha1\": {\"0\": \"00\"}}",
                "{\"sha1\": {\"0\": \"zz00000000000000000000000000000000000000\"}}",
                "{\"sha1\": {\"0\": 5}}",
                "{\"sha256\": {\"0\": \"0000000000000000000000000000000000000000\"}}",
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                TpmPcrValues v;
                char err[256] = "";

                if (from_string(bad[i], &v, err, sizeof(err)) != -EINVAL)
                        fail_msg("accepted: %s", bad[i]);
                assert_true(strlen(err) > 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_set_errors),
                cmocka_unit_test(test_bad_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
