#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http-request.h"

static int parse(const char *text, HttpHead *h, HttpHeadError *err) {
        return http_head_parse((const uint8_t *)text, strlen(text), h, err);
}

static void expect_status(const char *text, unsigned status) {
        HttpHead h;
        HttpHeadError err = {};

        assert_int_equal(parse(text, &h, &err), -EBADMSG);
        if (err.status != status)
                fail_msg("%s: status %u (%s), expected %u", text, err.status, err.what, status);
        assert_true(err.what[0] != '\0');
        assert_null(h.buf);
}

static void test_head(void **state) {
        HttpHead h;
        HttpHeadError err = {};
        (void)state;

        assert_int_equal(parse("POST /kbs/v0/attest?x=1 HTTP/1.1\r\n"
                               "Host: 127.0.0.1\r\n"
                               "content-length:   12  \r\n"
                               "Cookie: a=b; kbs-session-id=\"s3cr3t\"; c\r\n"
                               "Cookie: d=e\r\n"
                               "Expect: 100-Continue\r\n"
                               "X-Empty:\r\n"
                               "\r\n",
                               &h, &err),
                         0);
        assert_string_equal(h.method, "POST");
        assert_string_equal(h.target, "/kbs/v0/attest?x=1");
        assert_string_equal(h.path, "/kbs/v0/attest");
        assert_int_equal(h.minor, 1);
        assert_true(h.has_length);
        assert_int_equal(h.content_length, 12);
        assert_false(h.chunked);
        assert_true(h.expect_continue);
        assert_true(h.keep_alive);
        assert_string_equal(http_head_field(&h, "CONTENT-LENGTH"), "12");
        assert_string_equal(http_head_field(&h, "x-empty"), "");
        assert_null(http_head_field(&h, "Authorization"));
        assert_string_equal(http_head_cookie(&h, "kbs-session-id"), "s3cr3t");
        assert_string_equal(http_head_cookie(&h, "a"), "b");
        assert_string_equal(http_head_cookie(&h, "d"), "e");
        assert_null(http_head_cookie(&h, "c"));
        assert_null(http_head_cookie(&h, "KBS-SESSION-ID"));
        http_head_done(&h);
        assert_null(h.buf);

        /* HTTP/1.0: no Host needed, closes unless asked to keep alive. */
        assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &h, &err), 0);
        assert_false(h.keep_alive);
        http_head_done(&h);
        assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h, &err), 0);
        assert_true(h.keep_alive);
        http_head_done(&h);
        assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", &h,
                               &err),
                         0);
        assert_false(h.keep_alive);
        http_head_done(&h);
        assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n",
                               &h, &err),
                         0);
        assert_true(h.chunked);
        http_head_done(&h);
        /* The same length twice is one length. */
        assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                               "Content-Length: 3\r\n\r\n",
                               &h, &err),
                         0);
        http_head_done(&h);
}

static void test_head_refused(void **state) {
        char big[HTTP_HEAD_MAX + 64];
        (void)state;

        expect_status("GET / HTTP/1.1\r\n\r\n", 400); /* no Host */
        expect_status("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
        expect_status("GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505);
        expect_status("GET / FTP/1.1\r\nHost: x\r\n\r\n", 400);
        expect_status("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expect_status("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expect_status("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expect_status("GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expect_status("GET / HTTP/1.1\nHost: x\r\n\r\n", 400);
        expect_status("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400);
        expect_status("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400);
        expect_status("GET / HTTP/1.1\r\nHo st: x\r\n\r\n", 400);
        expect_status("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400);
        expect_status("GET / HTTP/1.1\r\nHost: x\r\n\r\nextra", 400);
        expect_status("GET / HTTP/1.1\r\nHost: x\r\n", 400);
        expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400);
        expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400);
        expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
                      400);
        expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                      400);
        expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n",
                      400);
        expect_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                      501);
        expect_status("POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417);

        /* Over the size limit, and too many fields. */
        memset(big, 'a', sizeof(big));
        memcpy(big, "GET / HTTP/1.1\r\nHost: x\r\nX: ", 28);
        memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
        expect_status(big, 431);
        {
                char many[4096] = "GET / HTTP/1.1\r\nHost: x\r\n";
                for (unsigned i = 0; i < HTTP_MAX_FIELDS; i++)
                        strcat(many, "A: b\r\n");
                strcat(many, "\r\n");
                expect_status(many, 431);
        }
}

typedef struct Collect {
        char data[256];
        size_t n;
} Collect;

static int collect(void *userdata, const uint8_t *data, size_t n) {
        Collect *c = userdata;

        if (c->n + n >= sizeof(c->data))
                return -EFBIG;
        memcpy(c->data + c->n, data, n);
        c->n += n;
        return 0;
}

/* Feeds text in pieces of step bytes, carrying what was not used over. */
static int feed_in_steps(const char *text, size_t step, Collect *out, char *err, size_t err_size) {
        HttpChunked ch = {};
        char pending[512];
        size_t have = 0, len = strlen(text), off = 0;

        for (;;) {
                size_t n = len - off < step ? len - off : step, used = 0;
                int r;

                memcpy(pending + have, text + off, n);
                have += n;
                off += n;
                r = http_chunked_feed(&ch, (const uint8_t *)pending, have, collect, out, &used,
                                      err, err_size);
                assert_true(used <= have);
                memmove(pending, pending + used, have - used);
                have -= used;
                if (r != 0)
                        return r;
                if (off == len)
                        return 0;
        }
}

static void test_chunked(void **state) {
        static const char body[] = "4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
                                   "0\r\nExpires: never\r\n\r\n";
        char err[120];
        (void)state;

        for (size_t step = 1; step <= sizeof(body); step++) {
                Collect c = {};

                assert_int_equal(feed_in_steps(body, step, &c, err, sizeof(err)), 1);
                assert_int_equal(c.n, 23);
                assert_memory_equal(c.data, "Wikipedia in\r\n\r\nchunks.", 23);
        }
        {
                Collect c = {};
                /* Not finished: needs more. */
                assert_int_equal(feed_in_steps("4\r\nWi", 64, &c, err, sizeof(err)), 0);
        }
        {
                Collect c = {};
                assert_int_equal(feed_in_steps("x\r\n", 64, &c, err, sizeof(err)), -EBADMSG);
                assert_non_null(strstr(err, "hex size"));
                assert_int_equal(feed_in_steps("4\r\nWikiXX0\r\n\r\n", 64, &c, err, sizeof(err)),
                                 -EBADMSG);
                assert_non_null(strstr(err, "CRLF"));
                assert_int_equal(feed_in_steps("4\nWiki\r\n", 64, &c, err, sizeof(err)), -EBADMSG);
                assert_int_equal(feed_in_steps("1000000000000000\r\n", 64, &c, err, sizeof(err)),
                                 -EBADMSG);
        }
        {
                /* The sink's refusal (over a limit) comes back. */
                Collect c = {.n = sizeof(c.data) - 2};
                assert_int_equal(feed_in_steps("4\r\nWiki\r\n0\r\n\r\n", 64, &c, err, sizeof(err)),
                                 -EFBIG);
        }
        {
                /* A size line that never ends is refused, not buffered. */
                char line[2000];
                Collect c = {};
                HttpChunked ch = {};
                size_t used;

                memset(line, '0', sizeof(line));
                assert_int_equal(http_chunked_feed(&ch, (const uint8_t *)line, sizeof(line),
                                                   collect, &c, &used, err, sizeof(err)),
                                 -EBADMSG);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_head),
                cmocka_unit_test(test_head_refused),
                cmocka_unit_test(test_chunked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
