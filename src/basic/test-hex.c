#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/hex.h"

static void test_roundtrip(void **state) {
        static const uint8_t data[] = { 0x00, 0x9f, 0xab, 0xff };
        _cleanup_free_ char *s = hex_encode(data, sizeof(data));
        _cleanup_free_ uint8_t *back = NULL;
        size_t n;
        (void) state;

        assert_string_equal(s, "009fabff");
        assert_int_equal(hex_decode("0x009FabFF", &back, &n), 0);
        assert_int_equal(n, 4);
        assert_memory_equal(back, data, 4);
}

static void test_bad(void **state) {
        uint8_t *b = NULL;
        size_t n;
        (void) state;

        assert_int_equal(hex_decode("abc", &b, &n), -EINVAL);
        assert_int_equal(hex_decode("zz", &b, &n), -EINVAL);
        assert_int_equal(hex_decode(NULL, &b, &n), -EINVAL);
        assert_null(b);
        assert_int_equal(hex_decode("", &b, &n), 0);
        assert_int_equal(n, 0);
        free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_bad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
