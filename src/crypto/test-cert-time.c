#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/crypto/cert-time.h"

static void test_parse(void **state) {
        time_t t;
        char buf[21];
        (void) state;

        assert_int_equal(cert_time_parse_rfc3339("2022-09-24T01:00:00Z", &t), 0);
        assert_int_equal(t, 1663981200);
        assert_int_equal(cert_time_format_rfc3339(t, buf), 0);
        assert_string_equal(buf, "2022-09-24T01:00:00Z");

        /* The same instant written with an offset, a fraction, lower case
         * and a space. */
        assert_int_equal(cert_time_parse_rfc3339("2022-09-24T03:00:00+02:00", &t), 0);
        assert_int_equal(t, 1663981200);
        assert_int_equal(cert_time_parse_rfc3339("2022-09-23T20:30:00.123456-04:30", &t), 0);
        assert_int_equal(t, 1663981200);
        assert_int_equal(cert_time_parse_rfc3339("2022-09-24 01:00:00z", &t), 0);
        assert_int_equal(t, 1663981200);
        assert_int_equal(cert_time_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0);
        assert_int_equal(cert_time_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
        assert_int_equal(t, 0);
}

static void test_bad(void **state) {
        static const char *const bad[] = {
                "",
                "2022-09-24",
                "2022-09-24T01:00:00", /* no zone: ambiguous */
                "2022-09-24T01:00Z",   /* no seconds */
                "2022-9-24T01:00:00Z",
                "2022-09-24T01:00:00Zjunk",
                "2022-09-24T01:00:00.Z",
                "2022-13-01T00:00:00Z",
                "2023-02-29T00:00:00Z",
                "2022-09-31T00:00:00Z",
                "2022-09-24T24:00:00Z",
                "2022-09-24T01:00:00+2:00",
                "2022-09-24T01:00:00+24:00",
                "x022-09-24T01:00:00Z",
        };
        time_t t = 42;
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(cert_time_parse_rfc3339(bad[i], &t), -EINVAL);
        assert_int_equal(cert_time_parse_rfc3339(NULL, &t), -EINVAL);
        assert_int_equal(t, 42);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_bad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
