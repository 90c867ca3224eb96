#pragma once

/* Helpers shared by the event log tests: peer fixtures from $PEER_DATA and a
 * builder for small synthetic logs, so each malformation is made on purpose
 * and at a known offset. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/fileio.h"

#define TEST_SHA1 0x0004
#define TEST_SHA256 0x000b
#define TEST_SHA384 0x000c

/* Reads a fixture; skips the test when PEER_DATA is not set (ctest sets it). */
static inline void test_read_peer(const char *rel, uint8_t **ret, size_t *ret_size) {
        const char *dir = getenv("PEER_DATA");
        char path[4096];
        int r;

        if (!dir) {
                skip();
                return;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        r = read_full_file(path, 16u * 1024 * 1024, ret, ret_size);
        if (r < 0)
                fail_msg("cannot read %s: %d", path, r);
}

typedef struct TestLog {
        uint8_t data[8192];
        size_t size;
} TestLog;

static inline void test_put(TestLog *l, const void *p, size_t n) {
        assert_true(l->size + n <= sizeof(l->data));
        memcpy(l->data + l->size, p, n);
        l->size += n;
}

static inline void test_put_fill(TestLog *l, uint8_t byte, size_t n) {
        assert_true(l->size + n <= sizeof(l->data));
        memset(l->data + l->size, byte, n);
        l->size += n;
}

static inline void test_put_u8(TestLog *l, uint8_t v) {
        test_put(l, &v, 1);
}

static inline void test_put_u16(TestLog *l, uint16_t v) {
        uint8_t b[2] = { (uint8_t) v, (uint8_t) (v >> 8) };
        test_put(l, b, 2);
}

static inline void test_put_u32(TestLog *l, uint32_t v) {
        uint8_t b[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16),
                         (uint8_t) (v >> 24) };
        test_put(l, b, 4);
}

/* The SHA-1 format header event with a Spec ID Event03 announcing n banks. */
static inline void test_put_spec_id(TestLog *l, uint32_t index, const uint16_t *algs,
                                    const uint16_t *sizes, size_t n) {
        static const char sig[16] = "Spec ID Event03";

        test_put_u32(l, index);
        test_put_u32(l, 3); /* EV_NO_ACTION */
        test_put_fill(l, 0, 20);
        test_put_u32(l, (uint32_t) (16 + 4 + 4 + 4 + 4 * n + 1));
        test_put(l, sig, 16);
        test_put_u32(l, 0); /* platform class */
        test_put_u8(l, 0);  /* spec version minor */
        test_put_u8(l, 2);  /* spec version major */
        test_put_u8(l, 0);  /* errata */
        test_put_u8(l, 2);  /* uintn size */
        test_put_u32(l, (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                test_put_u16(l, algs[i]);
                test_put_u16(l, sizes[i]);
        }
        test_put_u8(l, 0); /* no vendor info */
}

/* A TCG_PCR_EVENT2 whose digests are all `fill`. */
static inline void test_put_event2(TestLog *l, uint32_t index, uint32_t type, const uint16_t *algs,
                                   const uint16_t *sizes, size_t n, uint8_t fill, const void *data,
                                   uint32_t size) {
        test_put_u32(l, index);
        test_put_u32(l, type);
        test_put_u32(l, (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                test_put_u16(l, algs[i]);
                test_put_fill(l, fill, sizes[i]);
        }
        test_put_u32(l, size);
        if (size > 0)
                test_put(l, data, size);
}

/* A legacy TCG_PCClientPCREvent. */
static inline void test_put_event1(TestLog *l, uint32_t index, uint32_t type, uint8_t fill,
                                   const void *data, uint32_t size) {
        test_put_u32(l, index);
        test_put_u32(l, type);
        test_put_fill(l, fill, 20);
        test_put_u32(l, size);
        if (size > 0)
                test_put(l, data, size);
}

/* A heap copy of exactly n bytes, so ASan catches a read one past the end. */
static inline uint8_t *test_exact_copy(const uint8_t *p, size_t n) {
        uint8_t *c = malloc(n > 0 ? n : 1);

        assert_non_null(c);
        if (n > 0)
                memcpy(c, p, n);
        return c;
}
