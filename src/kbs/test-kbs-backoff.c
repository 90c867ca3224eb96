/* The retry schedule: first delay, growth, cap, jitter bounds and the
 * Retry-After floor, all without a clock. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "confnode/kbs/kbs-backoff.h"

static void test_first_delay(void **state) {
        KbsBackoff b = {.initial_ms = 1000, .max_ms = 60000};
        (void)state;

        assert_int_equal(kbs_backoff_delay(&b, 0, 0, 0), 500);
        assert_in_range(kbs_backoff_delay(&b, 0, UINT32_MAX, 0), 999, 999);
        assert_in_range(kbs_backoff_delay(&b, 0, 1u << 31, 0), 750, 750);
}

/* Whatever the jitter, attempt k+1 waits longer than attempt k until the
 * cap is reached: the ranges [b/2, b) and [b, 2b) do not overlap. */
static void test_growth(void **state) {
        KbsBackoff b = {.initial_ms = 200, .max_ms = 60000};
        uint64_t prev_max = 0;
        (void)state;

        for (unsigned k = 0; k < 8; k++) {
                uint64_t lo = kbs_backoff_delay(&b, k, 0, 0);
                uint64_t hi = kbs_backoff_delay(&b, k, UINT32_MAX, 0);

                assert_true(lo <= hi);
                assert_true(lo > prev_max);
                assert_int_equal(lo, (200ull << k) / 2);
                prev_max = hi;
        }
}

static void test_cap(void **state) {
        KbsBackoff b = {.initial_ms = 1000, .max_ms = 60000};
        (void)state;

        for (unsigned k = 6; k < 200; k += 7) {
                assert_in_range(kbs_backoff_delay(&b, k, 0, 0), 30000, 30000);
                assert_in_range(kbs_backoff_delay(&b, k, UINT32_MAX, 0), 30000, 59999);
        }
        /* A huge attempt number does not overflow the doubling. */
        assert_in_range(kbs_backoff_delay(&b, UINT32_MAX, 12345, 0), 30000, 60000);
        /* An initial delay above the cap is capped too. */
        b = (KbsBackoff){.initial_ms = 90000, .max_ms = 60000};
        assert_in_range(kbs_backoff_delay(&b, 0, UINT32_MAX, 0), 30000, 60000);
        /* A cap near the top of the range still gives sane numbers. */
        b = (KbsBackoff){.initial_ms = 1, .max_ms = UINT64_MAX / 2};
        assert_true(kbs_backoff_delay(&b, 70, UINT32_MAX, 0) <= UINT64_MAX / 2);
        assert_true(kbs_backoff_delay(&b, 70, UINT32_MAX, 0) >= UINT64_MAX / 4);
}

static void test_retry_after(void **state) {
        KbsBackoff b = {.initial_ms = 200, .max_ms = 60000};
        (void)state;

        /* A floor: the server's wish wins when it is longer... */
        assert_int_equal(kbs_backoff_delay(&b, 0, 0, 2000), 2000);
        assert_int_equal(kbs_backoff_delay(&b, 0, UINT32_MAX, 2000), 2000);
        /* ...and the backoff when it is. */
        assert_int_equal(kbs_backoff_delay(&b, 6, 0, 2000), 6400);
        /* Never more than the Retry-After cap. */
        assert_int_equal(kbs_backoff_delay(&b, 0, 0, 86400000), KBS_BACKOFF_RETRY_AFTER_MAX_MS);
}

static void test_zero(void **state) {
        KbsBackoff b = {.initial_ms = 0, .max_ms = 0};
        (void)state;

        assert_int_equal(kbs_backoff_delay(&b, 0, UINT32_MAX, 0), 0);
        assert_int_equal(kbs_backoff_delay(&b, 5, UINT32_MAX, 1000), 1000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_delay), cmocka_unit_test(test_growth),
                cmocka_unit_test(test_cap),         cmocka_unit_test(test_retry_after),
                cmocka_unit_test(test_zero),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
