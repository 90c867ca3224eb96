/* The verifier's HTTP/1.1 request head parser and chunked body decoder.
 * The input is split where the transport would split it: the head ends at
 * the first blank line, the rest is fed to the chunked decoder in pieces
 * whose sizes come from the head's length, so a size line or trailer split
 * across feeds is exercised too. Every parsed head is checked for the
 * invariants the server relies on. */

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http-request.h"
#include "confnode/basic/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_sink(void *userdata, const uint8_t *data, size_t n) {
        uint64_t *total = userdata;

        (void)data;
        *total += n;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HttpHead h;
        HttpHeadError err = {};
        HttpChunked ch = {};
        Reader rd;
        const uint8_t *body;
        size_t pos, head_len, body_len, step;
        uint64_t total = 0;
        char why[120];

        reader_init(&rd, data, size, NULL);
        if (reader_find(&rd, "\r\n\r\n", 4, &pos) < 0)
                head_len = size;
        else
                head_len = pos + 4;
        if (http_head_parse(data, head_len, &h, &err) == 0) {
                assert(h.method && h.path && h.path[0] == '/');
                assert(!(h.has_length && h.chunked));
                assert(h.minor <= 1);
                (void)http_head_field(&h, "Host");
                (void)http_head_cookie(&h, "kbs-session-id");
                http_head_done(&h);
        } else
                assert(err.status >= 400 && err.status <= 505);

        (void)reader_skip(&rd, head_len);
        reader_rest(&rd, &body, &body_len);
        step = head_len % 7 + 1;
        for (size_t off = 0; off < body_len;) {
                size_t n = body_len - off < step ? body_len - off : step, used = 0;
                Reader br;
                const uint8_t *piece;
                int r;

                reader_init(&br, body, body_len, NULL);
                (void)reader_skip(&br, off);
                (void)reader_bytes(&br, n, &piece);
                r = http_chunked_feed(&ch, piece, n, count_sink, &total, &used, why, sizeof(why));
                assert(used <= n);
                assert(total == ch.total);
                if (r != 0)
                        break;
                /* What was not used is fed again with more behind it. */
                off += used;
                if (used < n)
                        step++;
                if (off + step > body_len && used == 0 && n == body_len - off)
                        break;
        }
        return 0;
}
