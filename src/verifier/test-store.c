#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

/* As the server does: poll until the record is written. */
static void wait_committed(Store *s, uint64_t seq) {
        while (!store_is_committed(s, seq))
                usleep(100);
        assert_true(store_is_committed(s, seq));
}

typedef struct Fixture {
        char dir[64];
        char path[128];
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/test-store-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                char p[160];
                snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
                (void)unlink(p);
        }
        (void)rmdir(f->dir);
        free(f);
        return 0;
}

/* A side connection, as an operator's sqlite3 would open it. */
static void sql(const char *path, const char *stmt, char *ret, size_t size) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;

        assert_int_equal(
                sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, stmt, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW && ret)
                snprintf(ret, size, "%s", (const char *)sqlite3_column_text(st, 0));
        else if (ret)
                ret[0] = '\0';
        sqlite3_finalize(st);
        sqlite3_close(db);
}

static StoreDecision decision(const char *node, bool accepted, const char *reason, int64_t at) {
        return (StoreDecision){
                .at = at,
                .session = "0a1b2c3d",
                .session_created = at - 1,
                .node = node,
                .node_kind = "chip_id",
                .tee = "snp",
                .accepted = accepted,
                .reason = reason,
                .detail = accepted ? "evidence accepted" : "measurement 'ab…' is not allowed",
                .vtpm = "tee",
                .steps = "[{\"name\":\"snp.chain\",\"status\":\"pass\"}]",
                .duration_us = 1234,
        };
}

static void test_schema(void **state) {
        Fixture *f = *state;
        _cleanup_(store_closep) Store *s = NULL;
        char err[256], out[64];
        struct stat st;
        uint64_t n = 99;
        (void)state;

        assert_int_equal(store_open(f->path, 16, &s, err, sizeof(err)), 0);
        assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
        assert_int_equal(stat(f->path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        for (StoreTable t = 0; t < _STORE_TABLE_MAX; t++) {
                assert_int_equal(store_count(s, t, &n), 0);
                assert_int_equal(n, 0);
        }
        assert_int_equal(store_count(s, _STORE_TABLE_MAX, &n), -EINVAL);
        sql(f->path, "PRAGMA journal_mode", out, sizeof(out));
        assert_string_equal(out, "wal");
        sql(f->path, "PRAGMA user_version", out, sizeof(out));
        assert_string_equal(out, "1");
        /* Opening it again migrates nothing and keeps what is there. */
        store_close(TAKE_PTR(s));
        assert_int_equal(store_open(f->path, 16, &s, err, sizeof(err)), 0);
        assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
}

static void test_decisions_and_nodes(void **state) {
        Fixture *f = *state;
        _cleanup_(store_closep) Store *s = NULL;
        StoreDecision d;
        StoreNode node;
        char err[256];
        uint64_t n, seq1 = 0, seq2 = 0;
        _cleanup_free_ char *reason = NULL, *steps = NULL;

        assert_int_equal(store_open(f->path, 16, &s, err, sizeof(err)), 0);
        d = decision("chip_id:00ff", true, "ok", 1000);
        assert_int_equal(store_add_decision(s, &d, &seq1), 0);
        d = decision("chip_id:00ff", false, "snp.measurement", 2000);
        assert_int_equal(store_add_decision(s, &d, &seq2), 0);
        assert_true(seq2 > seq1 && seq1 > 0);
        wait_committed(s, seq2);
        /* A decision whose node could not be named has no node row. */
        d = decision(NULL, false, "request.malformed", 3000);
        d.vtpm = NULL;
        d.steps = NULL;
        assert_int_equal(store_add_decision(s, &d, NULL), 0);
        assert_int_equal(store_flush(s), 0);

        assert_int_equal(store_count(s, STORE_DECISIONS, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(store_count(s, STORE_NODES, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(store_count_reason(s, "ok", &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(store_count_reason(s, "snp.measurement", &n), 0);
        assert_int_equal(n, 1);

        assert_int_equal(store_get_node(s, "chip_id:00ff", &node), 0);
        assert_string_equal(node.kind, "chip_id");
        assert_string_equal(node.tee, "snp");
        assert_int_equal(node.first_seen, 1000);
        assert_int_equal(node.last_seen, 2000);
        assert_int_equal(node.attestations, 2);
        assert_int_equal(node.accepted, 1);
        assert_string_equal(node.last_reason, "snp.measurement");
        assert_int_equal(store_get_node(s, "chip_id:0000", &node), -ENOENT);

        assert_int_equal(store_last_decision(s, "0a1b2c3d", &reason, &steps), 0);
        assert_string_equal(reason, "request.malformed");
        assert_string_equal(steps, "[]");
        assert_int_equal(store_last_decision(s, "ffffffff", &reason, &steps), -ENOENT);
}

static void test_tokens_and_releases(void **state) {
        Fixture *f = *state;
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_free_ char *node = NULL;
        uint8_t h[STORE_TOKEN_HASH_SIZE], other[STORE_TOKEN_HASH_SIZE];
        int64_t expires = 0;
        char err[256];
        uint64_t n, seq = 0;

        memset(h, 0xab, sizeof(h));
        memset(other, 0xcd, sizeof(other));
        assert_int_equal(store_open(f->path, 16, &s, err, sizeof(err)), 0);
        assert_int_equal(store_add_token(s, h, "chip_id:00ff", 100, 3700, NULL), 0);
        assert_int_equal(store_add_release(s, 100, "0a1b2c3d", "chip_id:00ff",
                                           "confnode/kubelet/join", "join-bundle", 1234, NULL),
                         0);
        assert_int_equal(store_add_release(s, 100, "0a1b2c3d", NULL, "confnode/disk-key/x",
                                           "disk-key", 32, &seq),
                         0);
        wait_committed(s, seq);
        assert_int_equal(store_find_token(s, h, &expires, &node), 0);
        assert_int_equal(expires, 3700);
        assert_string_equal(node, "chip_id:00ff");
        assert_int_equal(store_find_token(s, other, &expires, NULL), -ENOENT);
        assert_int_equal(store_count(s, STORE_TOKENS, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(store_count(s, STORE_RELEASES, &n), 0);
        assert_int_equal(n, 2);
}

static void test_close_drains_queue(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[256];
        uint64_t n;

        assert_int_equal(store_open(f->path, 4, &s, err, sizeof(err)), 0);
        for (int i = 0; i < 100; i++) {
                StoreDecision d =
                        decision("n", i % 2 == 0, i % 2 == 0 ? "ok" : "tpm.pcr_policy", i);
                assert_int_equal(store_add_decision(s, &d, NULL), 0);
        }
        store_close(s);
        assert_int_equal(store_open(f->path, 4, &s, err, sizeof(err)), 0);
        assert_int_equal(store_count(s, STORE_DECISIONS, &n), 0);
        assert_int_equal(n, 100);
        assert_int_equal(store_count_reason(s, "ok", &n), 0);
        assert_int_equal(n, 50);
        store_close(s);
}

static void test_refuses_foreign_files(void **state) {
        Fixture *f = *state;
        Store *s = NULL;
        char err[256];
        int fd;

        /* A newer schema than ours. */
        sql(f->path, "PRAGMA user_version = 99", NULL, 0);
        assert_int_equal(store_open(f->path, 4, &s, err, sizeof(err)), -EPROTO);
        assert_non_null(strstr(err, "newer"));
        unlink(f->path);
        /* Somebody else's database. */
        sql(f->path, "CREATE TABLE accounts (id INTEGER)", NULL, 0);
        assert_int_equal(store_open(f->path, 4, &s, err, sizeof(err)), -EPROTO);
        assert_non_null(strstr(err, "not a confnode-verifier state file"));
        unlink(f->path);
        /* Not a database at all. */
        fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        {
                static const char junk[] =
                        "this is not an SQLite database, not even close, and longer than "
                        "a header of one";
                assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
        }
        close(fd);
        assert_int_equal(store_open(f->path, 4, &s, err, sizeof(err)), -EPROTO);
        assert_non_null(strstr(err, f->path));
        /* A directory that does not exist. */
        assert_int_equal(store_open("/nonexistent-dir/state.db", 4, &s, err, sizeof(err)), -ENOENT);
        assert_null(s);
}

typedef struct Writer {
        Store *s;
        unsigned id;
        unsigned n;
} Writer;

static void *writer_main(void *p) {
        Writer *w = p;

        for (unsigned i = 0; i < w->n; i++) {
                char node[32];
                uint64_t seq = 0;
                StoreDecision d;

                snprintf(node, sizeof(node), "tee-pubkey:%u-%u", w->id, i % 50);
                d = decision(node, i % 4 != 0, i % 4 != 0 ? "ok" : "snp.tcb_min", (int64_t)i);
                if (store_add_decision(w->s, &d, &seq) < 0)
                        abort();
                /* As the server does: answer only once it is on record. */
                wait_committed(w->s, seq);
        }
        return NULL;
}

/* 10,000 decisions from 8 threads, each waiting for its own record as the
 * server does, through a small queue: nothing is lost, the node rows add
 * up. The throughput and batch count are printed (a measurement, not a
 * pass condition). */
static void test_many_writers(void **state) {
        Fixture *f = *state;
        _cleanup_(store_closep) Store *s = NULL;
        enum { THREADS = 8, PER = 1250 };
        Writer w[THREADS];
        pthread_t th[THREADS];
        struct timespec t0, t1;
        StoreStats stats;
        StoreNode node;
        char err[256];
        uint64_t n;
        double secs;

        assert_int_equal(store_open(f->path, 256, &s, err, sizeof(err)), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned i = 0; i < THREADS; i++) {
                w[i] = (Writer){.s = s, .id = i, .n = PER};
                assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
        }
        for (unsigned i = 0; i < THREADS; i++)
                assert_int_equal(pthread_join(th[i], NULL), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_int_equal(store_flush(s), 0);
        store_stats(s, &stats);
        secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("store: %d decisions from %d threads in %.3f s (%.0f/s), %" PRIu64 " transactions\n",
               THREADS * PER, THREADS, secs, THREADS * PER / secs, stats.batches);
        assert_int_equal(stats.committed, THREADS * PER);
        assert_int_equal(stats.errors, 0);
        assert_int_equal(stats.queued, 0);
        assert_true(stats.batches >= 1 && stats.batches <= THREADS * PER);
        assert_int_equal(store_count(s, STORE_DECISIONS, &n), 0);
        assert_int_equal(n, THREADS * PER);
        assert_int_equal(store_count(s, STORE_NODES, &n), 0);
        assert_int_equal(n, THREADS * 50);
        assert_int_equal(store_get_node(s, "tee-pubkey:3-7", &node), 0);
        assert_int_equal(node.attestations, PER / 50);
        {
                uint64_t want = 0;
                for (unsigned i = 7; i < PER; i += 50)
                        want += i % 4 != 0;
                assert_int_equal(node.accepted, want);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
                cmocka_unit_test_setup_teardown(test_decisions_and_nodes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tokens_and_releases, setup, teardown),
                cmocka_unit_test_setup_teardown(test_close_drains_queue, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refuses_foreign_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_many_writers, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
