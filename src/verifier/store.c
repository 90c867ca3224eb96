#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "confnode/basic/log.h"

/* Under load the writer commits once STORE_BATCH_MIN records are queued,
 * or STORE_BATCH_WAIT_NSEC after the first of them, whichever comes first.
 * A record that comes after STORE_IDLE_NSEC without a commit (a quiet
 * verifier, one node booting) is committed at once. */
#define STORE_BATCH_MIN 1024u
#define STORE_BATCH_WAIT_NSEC 20000000L
#define STORE_IDLE_NSEC 100000000L

typedef enum ItemKind {
        ITEM_DECISION,
        ITEM_TOKEN,
        ITEM_RELEASE,
} ItemKind;

typedef struct Item {
        struct Item *next;
        ItemKind kind;
        int64_t at;
        int64_t at2; /* decision: session_created; token: expires */
        int64_t num; /* decision: duration_us; release: size */
        bool accepted;
        uint8_t hash[STORE_TOKEN_HASH_SIZE];
        /* NULL-able strings, owned. */
        char *session, *node, *node_kind, *tee, *reason, *detail, *vtpm, *steps, *path, *kind_name;
} Item;

enum {
        STMT_DECISION,
        STMT_NODE,
        STMT_TOKEN,
        STMT_RELEASE,
        _STMT_MAX,
};

struct Store {
        sqlite3 *db;
        char *path;
        sqlite3_stmt *stmt[_STMT_MAX];
        pthread_mutex_t db_lock; /* the connection: writer batches and readers */

        pthread_mutex_t lock;          /* the queue and the counters below */
        pthread_cond_t queued_cond;    /* something queued, or stopping */
        pthread_cond_t room_cond;      /* room in the queue */
        pthread_cond_t committed_cond; /* a batch was committed */
        Item *head, *tail;
        size_t n_queued, max_queue;
        uint64_t seq_queued;    /* records ever queued */
        uint64_t seq_committed; /* records ever taken off the queue and written (or failed) */
        uint64_t batches, errors;
        uint64_t last_commit_nsec; /* CLOCK_MONOTONIC, the writer's */
        void (*commit_hook)(void *userdata);
        void *commit_hook_data;
        int first_error;
        bool stopping;
        pthread_t writer;
        bool writer_started;
};

/* The schema, one step per version: step i takes user_version i to i + 1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
        "CREATE TABLE nodes ("
        "  id TEXT PRIMARY KEY,"
        "  id_kind TEXT NOT NULL,"
        "  tee TEXT NOT NULL,"
        "  first_seen INTEGER NOT NULL,"
        "  last_seen INTEGER NOT NULL,"
        "  attestations INTEGER NOT NULL,"
        "  accepted INTEGER NOT NULL,"
        "  last_reason TEXT NOT NULL);"
        "CREATE TABLE decisions ("
        "  id INTEGER PRIMARY KEY,"
        "  at INTEGER NOT NULL,"
        "  session TEXT NOT NULL,"
        "  session_created INTEGER NOT NULL,"
        "  node TEXT,"
        "  tee TEXT NOT NULL,"
        "  accepted INTEGER NOT NULL,"
        "  reason TEXT NOT NULL,"
        "  detail TEXT NOT NULL,"
        "  vtpm TEXT,"
        "  steps TEXT NOT NULL,"
        "  duration_us INTEGER NOT NULL);"
        "CREATE INDEX decisions_node ON decisions(node, at);"
        "CREATE INDEX decisions_session ON decisions(session);"
        "CREATE TABLE tokens ("
        "  hash BLOB PRIMARY KEY,"
        "  node TEXT,"
        "  minted INTEGER NOT NULL,"
        "  expires INTEGER NOT NULL);"
        "CREATE TABLE releases ("
        "  id INTEGER PRIMARY KEY,"
        "  at INTEGER NOT NULL,"
        "  session TEXT NOT NULL,"
        "  node TEXT,"
        "  path TEXT NOT NULL,"
        "  kind TEXT NOT NULL,"
        "  size INTEGER NOT NULL);",
};

static const char *const stmt_sql[_STMT_MAX] = {
        [STMT_DECISION] =
                "INSERT INTO decisions (at, session, session_created, node, tee, accepted,"
                " reason, detail, vtpm, steps, duration_us)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        [STMT_NODE] = "INSERT INTO nodes (id, id_kind, tee, first_seen, last_seen, attestations,"
                      " accepted, last_reason) VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?6)"
                      " ON CONFLICT(id) DO UPDATE SET tee = excluded.tee,"
                      " last_seen = max(last_seen, excluded.last_seen),"
                      " attestations = attestations + 1, accepted = accepted + excluded.accepted,"
                      " last_reason = excluded.last_reason",
        [STMT_TOKEN] = "INSERT OR REPLACE INTO tokens (hash, node, minted, expires) VALUES (?1, "
                       "?2, ?3, ?4)",
        [STMT_RELEASE] = ("INSERT INTO releases (at, session, node, path, kind, size)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
};

static const char *const table_names[_STORE_TABLE_MAX] = {
        [STORE_NODES] = "nodes",
        [STORE_DECISIONS] = "decisions",
        [STORE_TOKENS] = "tokens",
        [STORE_RELEASES] = "releases",
};

static int fail(char *err, size_t err_size, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(char *err, size_t err_size, int r, const char *fmt, ...) {
        va_list ap;

        if (err && err_size > 0) {
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return r;
}

static int sqlite_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
                return -EPROTO;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        default:
                return -EIO;
        }
}

static void item_free(Item *it) {
        if (!it)
                return;
        free(it->session);
        free(it->node);
        free(it->node_kind);
        free(it->tee);
        free(it->reason);
        free(it->detail);
        free(it->vtpm);
        free(it->steps);
        free(it->path);
        free(it->kind_name);
        free(it);
}

/* strdup() that keeps NULL; *ok turns false on ENOMEM. */
static char *dup_or_null(const char *s, bool *ok) {
        char *d;

        if (!s)
                return NULL;
        d = strdup(s);
        if (!d)
                *ok = false;
        return d;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s) {
        return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int run(sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        (void)sqlite3_reset(st);
        (void)sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Writes one record with the prepared statements. Called with db_lock. */
static int write_item(Store *s, const Item *it) {
        sqlite3_stmt *st;
        int rc;

        switch (it->kind) {
        case ITEM_DECISION:
                st = s->stmt[STMT_DECISION];
                sqlite3_bind_int64(st, 1, it->at);
                bind_text(st, 2, it->session);
                sqlite3_bind_int64(st, 3, it->at2);
                bind_text(st, 4, it->node);
                bind_text(st, 5, it->tee);
                sqlite3_bind_int(st, 6, it->accepted);
                bind_text(st, 7, it->reason);
                bind_text(st, 8, it->detail);
                bind_text(st, 9, it->vtpm);
                bind_text(st, 10, it->steps);
                sqlite3_bind_int64(st, 11, it->num);
                rc = run(st);
                if (rc != SQLITE_OK || !it->node)
                        return rc;
                st = s->stmt[STMT_NODE];
                bind_text(st, 1, it->node);
                bind_text(st, 2, it->node_kind);
                bind_text(st, 3, it->tee);
                sqlite3_bind_int64(st, 4, it->at);
                sqlite3_bind_int(st, 5, it->accepted);
                bind_text(st, 6, it->reason);
                return run(st);
        case ITEM_TOKEN:
                st = s->stmt[STMT_TOKEN];
                sqlite3_bind_blob(st, 1, it->hash, STORE_TOKEN_HASH_SIZE, SQLITE_STATIC);
                bind_text(st, 2, it->node);
                sqlite3_bind_int64(st, 3, it->at);
                sqlite3_bind_int64(st, 4, it->at2);
                return run(st);
        case ITEM_RELEASE:
                st = s->stmt[STMT_RELEASE];
                sqlite3_bind_int64(st, 1, it->at);
                bind_text(st, 2, it->session);
                bind_text(st, 3, it->node);
                bind_text(st, 4, it->path);
                bind_text(st, 5, it->kind_name);
                sqlite3_bind_int64(st, 6, it->num);
                return run(st);
        }
        return SQLITE_MISUSE;
}

/* One transaction for a whole batch. A record that fails (a constraint,
 * say) is counted and skipped; the others still commit. If the
 * transaction itself fails, every record of the batch counts as failed. */
static void write_batch(Store *s, Item *batch, size_t n, uint64_t *ret_failed, int *ret_error) {
        uint64_t failed = 0;
        int rc, error = 0;

        pthread_mutex_lock(&s->db_lock);
        rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                failed = n;
                error = sqlite_errno(rc);
                log_error("state '%s': cannot begin a transaction for %zu records: %s", s->path, n,
                          sqlite3_errmsg(s->db));
                goto out;
        }
        for (Item *it = batch; it; it = it->next) {
                rc = write_item(s, it);
                if (rc != SQLITE_OK) {
                        failed++;
                        if (!error)
                                error = sqlite_errno(rc);
                        log_error("state '%s': cannot record a %s: %s", s->path,
                                  it->kind == ITEM_DECISION ? "decision"
                                  : it->kind == ITEM_TOKEN  ? "token"
                                                            : "release",
                                  sqlite3_errmsg(s->db));
                }
        }
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                failed = n;
                error = sqlite_errno(rc);
                log_error("state '%s': cannot commit %zu records: %s", s->path, n,
                          sqlite3_errmsg(s->db));
                (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
out:
        pthread_mutex_unlock(&s->db_lock);
        *ret_failed = failed;
        *ret_error = error;
}

static uint64_t monotonic_nsec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *writer_main(void *userdata) {
        Store *s = userdata;

        for (;;) {
                Item *batch;
                size_t n;
                uint64_t failed;
                int error;

                pthread_mutex_lock(&s->lock);
                while (!s->head && !s->stopping)
                        pthread_cond_wait(&s->queued_cond, &s->lock);
                if (!s->head) {
                        pthread_mutex_unlock(&s->lock);
                        break;
                }
                /* A commit costs far more than a row: under load, give a
                 * small batch a moment to grow. Nobody blocks on it (the
                 * server holds answers, not threads), it only adds up to
                 * STORE_BATCH_WAIT to an answer's latency. */
                if (s->n_queued < STORE_BATCH_MIN && !s->stopping &&
                    monotonic_nsec() - s->last_commit_nsec < (uint64_t)STORE_IDLE_NSEC) {
                        struct timespec until;

                        clock_gettime(CLOCK_MONOTONIC, &until);
                        until.tv_nsec += STORE_BATCH_WAIT_NSEC;
                        if (until.tv_nsec >= 1000000000L) {
                                until.tv_sec++;
                                until.tv_nsec -= 1000000000L;
                        }
                        while (s->n_queued < STORE_BATCH_MIN && !s->stopping &&
                               pthread_cond_timedwait(&s->queued_cond, &s->lock, &until) == 0)
                                ;
                }
                batch = s->head;
                n = s->n_queued;
                s->head = s->tail = NULL;
                s->n_queued = 0;
                pthread_cond_broadcast(&s->room_cond);
                pthread_mutex_unlock(&s->lock);

                write_batch(s, batch, n, &failed, &error);
                s->last_commit_nsec = monotonic_nsec();
                while (batch) {
                        Item *next = batch->next;
                        item_free(batch);
                        batch = next;
                }

                pthread_mutex_lock(&s->lock);
                s->seq_committed += n;
                s->batches++;
                s->errors += failed;
                if (error && !s->first_error)
                        s->first_error = error;
                pthread_cond_broadcast(&s->committed_cond);
                if (s->commit_hook)
                        s->commit_hook(s->commit_hook_data);
                pthread_mutex_unlock(&s->lock);
        }
        return NULL;
}

static int enqueue(Store *s, Item *it, uint64_t *ret_seq) {
        pthread_mutex_lock(&s->lock);
        while (s->n_queued >= s->max_queue && !s->stopping)
                pthread_cond_wait(&s->room_cond, &s->lock);
        if (s->stopping) {
                pthread_mutex_unlock(&s->lock);
                item_free(it);
                return -ESHUTDOWN;
        }
        if (s->tail)
                s->tail->next = it;
        else
                s->head = it;
        s->tail = it;
        s->n_queued++;
        s->seq_queued++;
        if (ret_seq)
                *ret_seq = s->seq_queued;
        /* The writer sleeps on an empty queue, or waits for a batch to
         * fill: only those two moments need it woken. */
        if (s->n_queued == 1 || s->n_queued == STORE_BATCH_MIN)
                pthread_cond_signal(&s->queued_cond);
        pthread_mutex_unlock(&s->lock);
        return 0;
}

void store_set_commit_hook(Store *s, void (*fn)(void *userdata), void *userdata) {
        pthread_mutex_lock(&s->lock);
        s->commit_hook = fn;
        s->commit_hook_data = userdata;
        pthread_mutex_unlock(&s->lock);
}

bool store_is_committed(Store *s, uint64_t seq) {
        bool done;

        pthread_mutex_lock(&s->lock);
        done = s->seq_committed >= seq || !s->writer_started;
        pthread_mutex_unlock(&s->lock);
        return done;
}

int store_add_decision(Store *s, const StoreDecision *d, uint64_t *ret_seq) {
        Item *it = calloc(1, sizeof(*it));
        bool ok = true;

        if (!it)
                return -ENOMEM;
        it->kind = ITEM_DECISION;
        it->at = d->at;
        it->at2 = d->session_created;
        it->num = d->duration_us;
        it->accepted = d->accepted;
        it->session = dup_or_null(d->session ? d->session : "", &ok);
        it->node = dup_or_null(d->node, &ok);
        it->node_kind =
                dup_or_null(d->node ? (d->node_kind ? d->node_kind : "unknown") : NULL, &ok);
        it->tee = dup_or_null(d->tee ? d->tee : "", &ok);
        it->reason = dup_or_null(d->reason ? d->reason : (d->accepted ? "ok" : "unknown"), &ok);
        it->detail = dup_or_null(d->detail ? d->detail : "", &ok);
        it->vtpm = dup_or_null(d->vtpm, &ok);
        it->steps = dup_or_null(d->steps ? d->steps : "[]", &ok);
        if (!ok) {
                item_free(it);
                return -ENOMEM;
        }
        return enqueue(s, it, ret_seq);
}

int store_add_token(Store *s, const uint8_t hash[static STORE_TOKEN_HASH_SIZE], const char *node,
                    int64_t minted, int64_t expires, uint64_t *ret_seq) {
        Item *it = calloc(1, sizeof(*it));
        bool ok = true;

        if (!it)
                return -ENOMEM;
        it->kind = ITEM_TOKEN;
        memcpy(it->hash, hash, STORE_TOKEN_HASH_SIZE);
        it->node = dup_or_null(node, &ok);
        it->at = minted;
        it->at2 = expires;
        if (!ok) {
                item_free(it);
                return -ENOMEM;
        }
        return enqueue(s, it, ret_seq);
}

int store_add_release(Store *s, int64_t at, const char *session, const char *node, const char *path,
                      const char *kind, uint64_t size, uint64_t *ret_seq) {
        Item *it = calloc(1, sizeof(*it));
        bool ok = true;

        if (!it)
                return -ENOMEM;
        it->kind = ITEM_RELEASE;
        it->at = at;
        it->num = size > INT64_MAX ? INT64_MAX : (int64_t)size;
        it->session = dup_or_null(session ? session : "", &ok);
        it->node = dup_or_null(node, &ok);
        it->path = dup_or_null(path ? path : "", &ok);
        it->kind_name = dup_or_null(kind ? kind : "", &ok);
        if (!ok) {
                item_free(it);
                return -ENOMEM;
        }
        return enqueue(s, it, ret_seq);
}

int store_flush(Store *s) {
        uint64_t target;
        int r;

        pthread_mutex_lock(&s->lock);
        target = s->seq_queued;
        while (s->seq_committed < target && s->writer_started)
                pthread_cond_wait(&s->committed_cond, &s->lock);
        r = s->first_error;
        s->first_error = 0;
        pthread_mutex_unlock(&s->lock);
        return r;
}

void store_stats(Store *s, StoreStats *ret) {
        pthread_mutex_lock(&s->lock);
        *ret = (StoreStats){
                .committed = s->seq_committed - s->errors,
                .batches = s->batches,
                .errors = s->errors,
                .queued = s->n_queued,
        };
        pthread_mutex_unlock(&s->lock);
}

static int user_version(sqlite3 *db, int *ret) {
        sqlite3_stmt *st = NULL;
        int rc;

        rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        *ret = sqlite3_column_int(st, 0);
                        rc = SQLITE_OK;
                }
        }
        sqlite3_finalize(st);
        return rc;
}

static int count_objects(sqlite3 *db, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        int rc;

        rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, NULL);
        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        *ret = sqlite3_column_int64(st, 0);
                        rc = SQLITE_OK;
                }
        }
        sqlite3_finalize(st);
        return rc;
}

static int migrate(Store *s, char *err, size_t err_size) {
        int64_t objects = 0;
        int v = 0, rc;

        rc = user_version(s->db, &v);
        if (rc != SQLITE_OK)
                return fail(err, err_size, sqlite_errno(rc),
                            "state '%s': cannot read its schema version: %s", s->path,
                            sqlite3_errmsg(s->db));
        if (v > STORE_SCHEMA_VERSION)
                return fail(err, err_size, -EPROTO,
                            "state '%s': schema version %d is newer than this verifier's (%d)",
                            s->path, v, STORE_SCHEMA_VERSION);
        if (v < 0)
                return fail(err, err_size, -EPROTO, "state '%s': schema version %d is not ours",
                            s->path, v);
        if (v == 0) {
                rc = count_objects(s->db, &objects);
                if (rc != SQLITE_OK)
                        return fail(err, err_size, sqlite_errno(rc), "state '%s': %s", s->path,
                                    sqlite3_errmsg(s->db));
                /* Version 0 with tables in it is somebody else's database. */
                if (objects > 0)
                        return fail(err, err_size, -EPROTO,
                                    "state '%s': holds tables but no schema version; not a "
                                    "confnode-verifier "
                                    "state file",
                                    s->path);
        }
        for (; v < STORE_SCHEMA_VERSION; v++) {
                char *msg = NULL;
                char sql[64];

                snprintf(sql, sizeof(sql), ";PRAGMA user_version = %d;", v + 1);
                rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
                if (rc == SQLITE_OK)
                        rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg);
                if (rc == SQLITE_OK)
                        rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
                if (rc == SQLITE_OK)
                        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg);
                if (rc != SQLITE_OK) {
                        int r = fail(err, err_size, sqlite_errno(rc),
                                     "state '%s': cannot migrate schema %d to %d: %s", s->path, v,
                                     v + 1, msg ? msg : sqlite3_errmsg(s->db));
                        sqlite3_free(msg);
                        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                        return r;
                }
        }
        return 0;
}

static void store_free(Store *s) {
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(s->stmt[i]);
        if (s->db)
                sqlite3_close(s->db);
        while (s->head) {
                Item *next = s->head->next;
                item_free(s->head);
                s->head = next;
        }
        pthread_mutex_destroy(&s->db_lock);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->queued_cond);
        pthread_cond_destroy(&s->room_cond);
        pthread_cond_destroy(&s->committed_cond);
        free(s->path);
        free(s);
}

int store_open(const char *path, size_t max_queue, Store **ret, char *err, size_t err_size) {
        Store *s;
        int fd, rc, r;

        if (!path || max_queue == 0)
                return -EINVAL;
        /* Create it 0600 ourselves: SQLite would honour only the umask, and
         * its -wal and -shm files take the mode of the database file. */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return fail(err, err_size, -errno, "state '%s': cannot open: %s", path,
                            strerror(errno));
        (void)close(fd);

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->db_lock, NULL);
        pthread_mutex_init(&s->lock, NULL);
        {
                pthread_condattr_t ca;

                pthread_condattr_init(&ca);
                pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
                pthread_cond_init(&s->queued_cond, &ca);
                pthread_condattr_destroy(&ca);
        }
        pthread_cond_init(&s->room_cond, NULL);
        pthread_cond_init(&s->committed_cond, NULL);
        s->max_queue = max_queue;
        s->path = strdup(path);
        if (!s->path) {
                store_free(s);
                return -ENOMEM;
        }
        /* Our own mutex serializes every use of the connection. */
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                r = fail(err, err_size, sqlite_errno(rc), "state '%s': cannot open: %s", path,
                         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                store_free(s);
                return r;
        }
        (void)sqlite3_extended_result_codes(s->db, 1);
        (void)sqlite3_busy_timeout(s->db, 5000);
        rc = sqlite3_exec(s->db,
                          "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                          " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                r = fail(err, err_size, sqlite_errno(rc), "state '%s': %s", path,
                         sqlite3_errmsg(s->db));
                store_free(s);
                return r;
        }
        r = migrate(s, err, err_size);
        if (r < 0) {
                store_free(s);
                return r;
        }
        for (size_t i = 0; i < _STMT_MAX; i++) {
                rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                        &s->stmt[i], NULL);
                if (rc != SQLITE_OK) {
                        r = fail(err, err_size, sqlite_errno(rc), "state '%s': %s", path,
                                 sqlite3_errmsg(s->db));
                        store_free(s);
                        return r;
                }
        }
        r = -pthread_create(&s->writer, NULL, writer_main, s);
        if (r < 0) {
                store_free(s);
                return fail(err, err_size, r, "state '%s': cannot start the writer thread", path);
        }
        s->writer_started = true;
        *ret = s;
        return 0;
}

void store_close(Store *s) {
        if (!s)
                return;
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_broadcast(&s->queued_cond);
        pthread_cond_broadcast(&s->room_cond);
        pthread_mutex_unlock(&s->lock);
        if (s->writer_started)
                (void)pthread_join(s->writer, NULL);
        s->writer_started = false;
        store_free(s);
}

int store_schema_version(Store *s) {
        int v = 0, rc;

        pthread_mutex_lock(&s->db_lock);
        rc = user_version(s->db, &v);
        pthread_mutex_unlock(&s->db_lock);
        return rc == SQLITE_OK ? v : sqlite_errno(rc);
}

static void copy_column(sqlite3_stmt *st, int i, char *buf, size_t size) {
        const unsigned char *t = sqlite3_column_text(st, i);
        snprintf(buf, size, "%s", t ? (const char *)t : "");
}

int store_get_node(Store *s, const char *id, StoreNode *ret) {
        sqlite3_stmt *st = NULL;
        int rc, r;

        pthread_mutex_lock(&s->db_lock);
        rc = sqlite3_prepare_v2(
                s->db,
                "SELECT id, id_kind, tee, first_seen, last_seen, attestations, accepted,"
                " last_reason FROM nodes WHERE id = ?1",
                -1, &st, NULL);
        if (rc == SQLITE_OK)
                rc = bind_text(st, 1, id);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = (StoreNode){};
                copy_column(st, 0, ret->id, sizeof(ret->id));
                copy_column(st, 1, ret->kind, sizeof(ret->kind));
                copy_column(st, 2, ret->tee, sizeof(ret->tee));
                ret->first_seen = sqlite3_column_int64(st, 3);
                ret->last_seen = sqlite3_column_int64(st, 4);
                ret->attestations = (uint64_t)sqlite3_column_int64(st, 5);
                ret->accepted = (uint64_t)sqlite3_column_int64(st, 6);
                copy_column(st, 7, ret->last_reason, sizeof(ret->last_reason));
                r = 0;
        } else
                r = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->db_lock);
        return r;
}

static int count_query(Store *s, const char *sql, const char *arg, uint64_t *ret) {
        sqlite3_stmt *st = NULL;
        int rc, r;

        pthread_mutex_lock(&s->db_lock);
        rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK && arg)
                rc = bind_text(st, 1, arg);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = (uint64_t)sqlite3_column_int64(st, 0);
                r = 0;
        } else
                r = sqlite_errno(rc ? rc : SQLITE_ERROR);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->db_lock);
        return r;
}

int store_count(Store *s, StoreTable table, uint64_t *ret) {
        char sql[64];

        if (table < 0 || table >= _STORE_TABLE_MAX)
                return -EINVAL;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table_names[table]);
        return count_query(s, sql, NULL, ret);
}

int store_count_reason(Store *s, const char *reason, uint64_t *ret) {
        return count_query(s, "SELECT count(*) FROM decisions WHERE reason = ?1", reason, ret);
}

static int dup_column(sqlite3_stmt *st, int i, char **ret) {
        const unsigned char *t = sqlite3_column_text(st, i);
        char *d = strdup(t ? (const char *)t : "");

        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

int store_last_decision(Store *s, const char *session, char **ret_reason, char **ret_steps) {
        sqlite3_stmt *st = NULL;
        char *reason = NULL, *steps = NULL;
        int rc, r;

        pthread_mutex_lock(&s->db_lock);
        rc = sqlite3_prepare_v2(s->db,
                                "SELECT reason, steps FROM decisions WHERE session = ?1"
                                " ORDER BY id DESC LIMIT 1",
                                -1, &st, NULL);
        if (rc == SQLITE_OK)
                rc = bind_text(st, 1, session);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                r = dup_column(st, 0, &reason);
                if (r >= 0)
                        r = dup_column(st, 1, &steps);
        } else
                r = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->db_lock);
        if (r < 0) {
                free(reason);
                free(steps);
                return r;
        }
        *ret_reason = reason;
        *ret_steps = steps;
        return 0;
}

int store_find_token(Store *s, const uint8_t hash[static STORE_TOKEN_HASH_SIZE],
                     int64_t *ret_expires, char **ret_node) {
        sqlite3_stmt *st = NULL;
        char *node = NULL;
        int rc, r;

        pthread_mutex_lock(&s->db_lock);
        rc = sqlite3_prepare_v2(s->db, "SELECT expires, node FROM tokens WHERE hash = ?1", -1, &st,
                                NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_SIZE, SQLITE_STATIC);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret_expires = sqlite3_column_int64(st, 0);
                r = ret_node ? dup_column(st, 1, &node) : 0;
        } else
                r = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->db_lock);
        if (r < 0)
                return r;
        if (ret_node)
                *ret_node = node;
        return 0;
}
