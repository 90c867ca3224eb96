#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/reader.h"

static void test_empty(void **state) {
        Reader rd;
        ParseError e;
        uint8_t b;
        (void) state;

        reader_init(&rd, NULL, 0, &e);
        assert_true(reader_eof(&rd));
        assert_int_equal(reader_u8(&rd, &b), -EBADMSG);
        assert_true(e.set);
        assert_int_equal(e.offset, 0);
}

static void test_ints(void **state) {
        static const uint8_t buf[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                       0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
        Reader rd;
        uint16_t a;
        uint32_t b;
        uint64_t c;
        (void) state;

        reader_init(&rd, buf, sizeof(buf), NULL);
        assert_int_equal(reader_u16le(&rd, &a), 0);
        assert_int_equal(a, 0x0201);
        assert_int_equal(reader_u16be(&rd, &a), 0);
        assert_int_equal(a, 0x0304);
        assert_int_equal(reader_u32le(&rd, &b), 0);
        assert_int_equal(b, 0x08070605);
        assert_int_equal(reader_u64be(&rd, &c), 0);
        assert_true(c == 0x1122334455667788ULL);
        assert_true(reader_eof(&rd));
        assert_int_equal(reader_offset(&rd), 16);

        reader_init(&rd, buf, sizeof(buf), NULL);
        assert_int_equal(reader_u64le(&rd, &c), 0);
        assert_true(c == 0x0807060504030201ULL);
        assert_int_equal(reader_u32be(&rd, &b), 0);
        assert_int_equal(b, 0x11223344);
}

static void test_one_byte_short(void **state) {
        static const uint8_t buf[3] = { 1, 2, 3 };
        ParseError e;
        Reader rd;
        uint32_t v;
        char msg[256];
        (void) state;

        reader_init(&rd, buf, sizeof(buf), &e);
        assert_int_equal(reader_u32le(&rd, &v), -EBADMSG);
        /* A failed read leaves the cursor where it was. */
        assert_int_equal(reader_left(&rd), 3);
        assert_int_equal(reader_field(&rd, -EBADMSG, "event_size"), -EBADMSG);
        parse_error_string(&e, msg, sizeof(msg));
        assert_string_equal(msg, "offset 0x0: event_size: truncated (needs 4 bytes, 3 left)");
}

static void test_sub_and_tpm2b(void **state) {
        static const uint8_t buf[] = { 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x05, 0x01 };
        ParseError e;
        Reader rd, sub;
        const uint8_t *p;
        char msg[256];
        (void) state;

        reader_init(&rd, buf, sizeof(buf), &e);
        assert_int_equal(reader_tpm2b(&rd, &sub), 0);
        assert_int_equal(reader_left(&sub), 3);
        assert_int_equal(reader_offset(&sub), 2);
        assert_int_equal(reader_bytes(&sub, 3, &p), 0);
        assert_int_equal(p[2], 0xcc);
        assert_int_equal(reader_bytes(&sub, 1, &p), -EBADMSG);
        /* The nested reader reports absolute offsets. */
        assert_int_equal(e.offset, 5);

        reader_init(&rd, buf + 6, 3, &e);
        /* A size larger than what is left fails, and the cursor stays put. */
        assert_int_equal(reader_tpm2b(&rd, &sub), -EBADMSG);
        assert_int_equal(reader_left(&rd), 3);

        reader_init(&rd, buf, sizeof(buf), &e);
        assert_int_equal(reader_skip(&rd, 4), 0);
        assert_int_equal(reader_fail(&rd, "digest_count", "%u exceeds %u banks", 9u, 2u), -EBADMSG);
        parse_error_string(&e, msg, sizeof(msg));
        assert_string_equal(msg, "offset 0x4: digest_count: 9 exceeds 2 banks");
}

static void test_oversized_count(void **state) {
        static const uint8_t buf[8] = { 0xff, 0xff, 0xff, 0xff };
        Reader rd, sub;
        uint32_t n;
        (void) state;

        reader_init(&rd, buf, sizeof(buf), NULL);
        assert_int_equal(reader_u32le(&rd, &n), 0);
        assert_int_equal(reader_sub(&rd, n, &sub), -EBADMSG);
        assert_int_equal(reader_skip(&rd, SIZE_MAX), -EBADMSG);
        assert_int_equal(reader_left(&rd), 4);
}

static void test_find_and_until(void **state) {
        static const uint8_t buf[] = "GET / HTTP/1.1\r\nA: b\r\n\r\nrest";
        const uint8_t *line;
        size_t pos, n;
        Reader rd;
        (void) state;

        reader_init(&rd, buf, sizeof(buf) - 1, NULL);
        assert_int_equal(reader_find(&rd, "\r\n\r\n", 4, &pos), 0);
        assert_int_equal(pos, 20);
        assert_int_equal(reader_left(&rd), sizeof(buf) - 1); /* not consumed */
        assert_int_equal(reader_find(&rd, "zz", 2, &pos), -ENOENT);
        assert_int_equal(reader_find(&rd, "", 0, &pos), -ENOENT);
        assert_int_equal(reader_until(&rd, '\n', &line, &n), 0);
        assert_int_equal(n, 15);
        assert_memory_equal(line, "GET / HTTP/1.1\r", 15);
        assert_int_equal(reader_offset(&rd), 16);
        assert_int_equal(reader_until(&rd, '\n', &line, &n), 0);
        assert_int_equal(reader_until(&rd, '\n', &line, &n), 0);
        assert_int_equal(n, 1);
        /* No delimiter left: nothing moves. */
        assert_int_equal(reader_until(&rd, '\n', &line, &n), -ENOENT);
        assert_int_equal(reader_left(&rd), 4);
        /* A needle longer than what is left is not found. */
        assert_int_equal(reader_find(&rd, "rest!", 5, &pos), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_ints),
                cmocka_unit_test(test_one_byte_short),
                cmocka_unit_test(test_sub_and_tpm2b),
                cmocka_unit_test(test_oversized_count),
                cmocka_unit_test(test_find_and_until),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
