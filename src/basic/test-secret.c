#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "confnode/basic/secret.h"

/* The kernel reports locked pages per mapping in /proc/self/smaps; a secret's
 * mapping must be fully locked and flagged "dd" (do not dump). */
static void smaps_flags(const void *addr, size_t *ret_locked_kb, bool *ret_dd) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool in = false;

        *ret_locked_kb = 0;
        *ret_dd = false;
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                unsigned long lo, hi;

                if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ') > strchr(line, '-')) {
                        in = (uintptr_t) addr >= lo && (uintptr_t) addr < hi;
                        continue;
                }
                if (!in)
                        continue;
                if (strncmp(line, "Locked:", 7) == 0)
                        sscanf(line + 7, "%zu", ret_locked_kb);
                if (strncmp(line, "VmFlags:", 8) == 0)
                        *ret_dd = strstr(line, " dd") != NULL;
        }
}

static void test_lifecycle(void **state) {
        _cleanup_(secret_freep) Secret *s = NULL;
        size_t locked;
        bool dd;
        char fp[9];
        (void) state;

        assert_int_equal(secret_new(0, &s), -EINVAL);
        assert_int_equal(secret_new_copy("0123456789abcdef0123456789abcdef", 32, &s), 0);
        assert_int_equal(s->size, 32);
        assert_true(s->mapped >= 32 && s->mapped % (size_t) sysconf(_SC_PAGESIZE) == 0);
        assert_memory_equal(s->data, "0123456789abcdef", 16);

        smaps_flags(s->data, &locked, &dd);
#ifndef __SANITIZE_ADDRESS__
        /* AddressSanitizer turns mlock() into a no-op, so only a plain
         * build can see the pages locked. */
        assert_true(locked * 1024 >= s->mapped);
#endif
        assert_true(dd);

        secret_fingerprint(s, fp);
        assert_int_equal(strlen(fp), 8);
        /* SHA-256("0123456789abcdef0123456789abcdef") starts with 3eb1bd43. */
        assert_string_equal(fp, "3eb1bd43");
}

static void test_wipe(void **state) {
        uint8_t buf[16];
        (void) state;

        memset(buf, 0xaa, sizeof(buf));
        memory_wipe(buf, sizeof(buf));
        for (size_t i = 0; i < sizeof(buf); i++)
                assert_int_equal(buf[i], 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lifecycle),
                cmocka_unit_test(test_wipe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
