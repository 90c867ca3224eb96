#include "http-server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "confnode/basic/log.h"
#include "confnode/basic/reader.h"

#define IN_FIRST (16u * 1024)       /* a connection's first input buffer */
#define IN_KEEP (256u * 1024)       /* shrunk back to IN_FIRST above this, between requests */
#define TLS_READ_BUFFER (64u * 1024) /* OpenSSL's read-ahead buffer */
#define ACCEPT_BURST 32
#define MAX_EVENTS 64

typedef enum ConnState {
        CONN_HANDSHAKE,
        CONN_HEAD,
        CONN_BODY,
        CONN_WRITE,
        CONN_HELD, /* answered, waiting for handlers.ready() */
        CONN_CLOSED,
} ConnState;

typedef struct Worker Worker;

struct HttpExchange {
        HttpHead head;
        uint64_t start;
        size_t limit;
        const void *user;
        bool answered;
        bool close_after;
        bool held;
        uint64_t ticket;
        /* The body. */
        bool discard;        /* over the limit (or answered): read and dropped */
        uint64_t discarded;  /* bytes dropped so far */
        uint64_t declared;   /* Content-Length, for the 413 */
        HttpChunked chunked;
        uint8_t *body;       /* chunked: decoded here */
        size_t body_size, body_cap;
        const uint8_t *cl_body; /* Content-Length: in the connection's buffer */
};

typedef struct Conn {
        Worker *w;
        int fd;
        SSL *ssl;
        ConnState state;
        ConnState after_write;
        uint8_t *in;
        size_t in_len, in_cap;
        size_t scanned;  /* how far the head's end was searched for */
        size_t consumed; /* of in, by the request being answered */
        char *out;
        size_t out_len, out_off;
        bool out_sensitive;
        uint64_t last_active;
        struct Conn *prev, *next;
        HttpExchange x;
} Conn;

struct Worker {
        HttpServer *s;
        int listen_fd; /* its own, on the shared port (SO_REUSEPORT) */
        int epfd;
        int wake_fd; /* eventfd: http_server_recheck() */
        pthread_t thread;
        bool started;
        Conn *first, *last; /* least recently active first */
        Conn *held_first, *held_last; /* answers waiting for handlers.ready() */
};

struct HttpServer {
        HttpServerConfig cfg;
        SSL_CTX *ctx;
        int *listen_fds; /* one per worker: the kernel spreads connections */
        int stop_fd;
        uint16_t port;
        Worker *workers;
        atomic_uint connections;
};

/* The clock of session_now(), so a handler's durations and the start
 * stamp agree. */
static uint64_t now_usec(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
                (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *http_status_text(unsigned status) {
        switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 417: return "Expectation Failed";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
        }
}

/* ---- the exchange, as handlers see it ---- */

const HttpHead *http_exchange_head(const HttpExchange *x) {
        return &x->head;
}

uint64_t http_exchange_start(const HttpExchange *x) {
        return x->start;
}

void http_exchange_set_limit(HttpExchange *x, size_t limit) {
        x->limit = limit;
}

void http_exchange_set_user(HttpExchange *x, const void *user) {
        x->user = user;
}

const void *http_exchange_user(const HttpExchange *x) {
        return x->user;
}

void http_exchange_hold(HttpExchange *x, uint64_t ticket) {
        if (!x->answered)
                return;
        x->held = true;
        x->ticket = ticket;
}

void http_exchange_body(const HttpExchange *x, const uint8_t **ret, size_t *ret_size) {
        if (x->head.chunked) {
                *ret = x->body;
                *ret_size = x->body_size;
        } else {
                *ret = x->cl_body;
                *ret_size = x->cl_body ? (size_t)x->head.content_length : 0;
        }
}

static void free_body(void *p, size_t n, bool sensitive) {
        if (p && sensitive)
                explicit_bzero(p, n);
        free(p);
}

int http_exchange_reply(HttpExchange *x, HttpReply *rp) {
        Conn *c = (Conn *)((char *)x - offsetof(Conn, x));
        char head[1024];
        int n;
        bool close_after = x->close_after || !x->head.keep_alive;
        char *out;

        if (x->answered) {
                free_body(rp->body, rp->size, rp->sensitive);
                rp->body = NULL;
                return -EALREADY;
        }
        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %u %s\r\n"
                     "%s%s%s"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "%s%s%s"
                     "%s%s%s"
                     "%s",
                     rp->status, http_status_text(rp->status),
                     rp->content_type ? "Content-Type: " : "", rp->content_type ?: "",
                     rp->content_type ? "\r\n" : "", rp->body ? rp->size : 0,
                     rp->set_cookie ? "Set-Cookie: " : "", rp->set_cookie ?: "",
                     rp->set_cookie ? "\r\n" : "", rp->allow ? "Allow: " : "", rp->allow ?: "",
                     rp->allow ? "\r\n" : "", close_after ? "Connection: close\r\n" : "");
        if (n < 0 || (size_t)n >= sizeof(head) - 32) {
                free_body(rp->body, rp->size, rp->sensitive);
                rp->body = NULL;
                return -ENOMEM;
        }
        if (rp->retry_after)
                n += snprintf(head + n, sizeof(head) - (size_t)n, "Retry-After: %u\r\n",
                              rp->retry_after);
        n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
        out = malloc((size_t)n + (rp->body ? rp->size : 0));
        if (!out) {
                free_body(rp->body, rp->size, rp->sensitive);
                rp->body = NULL;
                explicit_bzero(head, sizeof(head));
                return -ENOMEM;
        }
        memcpy(out, head, (size_t)n);
        if (rp->body && rp->size)
                memcpy(out + n, rp->body, rp->size);
        /* The cookie is a session credential. */
        explicit_bzero(head, sizeof(head));
        free(c->out);
        c->out = out;
        c->out_len = (size_t)n + (rp->body ? rp->size : 0);
        c->out_off = 0;
        c->out_sensitive = rp->sensitive || rp->set_cookie;
        free_body(rp->body, rp->size, rp->sensitive);
        rp->body = NULL;
        x->answered = true;
        x->close_after = close_after;
        return 0;
}

/* ---- connections ---- */

static void list_unlink(Worker *w, Conn *c) {
        if (c->prev)
                c->prev->next = c->next;
        else if (w->first == c)
                w->first = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else if (w->last == c)
                w->last = c->prev;
        c->prev = c->next = NULL;
}

static void list_append(Worker *w, Conn *c) {
        c->prev = w->last;
        c->next = NULL;
        if (w->last)
                w->last->next = c;
        else
                w->first = c;
        w->last = c;
}

/* Held connections wait in their own list, in the order they were
 * answered, and out of reach of the idle sweep. */
static void held_unlink(Worker *w, Conn *c) {
        if (c->prev)
                c->prev->next = c->next;
        else if (w->held_first == c)
                w->held_first = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else if (w->held_last == c)
                w->held_last = c->prev;
        c->prev = c->next = NULL;
}

static void held_append(Worker *w, Conn *c) {
        c->prev = w->held_last;
        c->next = NULL;
        if (w->held_last)
                w->held_last->next = c;
        else
                w->held_first = c;
        w->held_last = c;
}

static void touch(Conn *c) {
        c->last_active = now_usec();
        if (c->w->last != c) {
                list_unlink(c->w, c);
                list_append(c->w, c);
        }
}

static void exchange_reset(HttpExchange *x) {
        http_head_done(&x->head);
        free(x->body);
        *x = (HttpExchange){};
}

static void held_unlink(Worker *w, Conn *c);

static void conn_free(Conn *c) {
        Worker *w = c->w;

        if (c->state == CONN_HELD)
                held_unlink(w, c);
        else
                list_unlink(w, c);
        if (c->ssl) {
                /* A polite close_notify if it goes out at once; no waiting. */
                if (c->state != CONN_HANDSHAKE)
                        (void)SSL_shutdown(c->ssl);
                SSL_free(c->ssl);
        }
        if (c->fd >= 0)
                close(c->fd);
        if (c->in) {
                explicit_bzero(c->in, c->in_len);
                free(c->in);
        }
        if (c->out)
                free_body(c->out, c->out_len, c->out_sensitive);
        exchange_reset(&c->x);
        atomic_fetch_sub(&w->s->connections, 1);
        free(c);
}

/* Drops the first n bytes of the input buffer. */
static void in_drop(Conn *c, size_t n) {
        if (n >= c->in_len) {
                c->in_len = 0;
        } else {
                memmove(c->in, c->in + n, c->in_len - n);
                c->in_len -= n;
        }
        c->scanned = 0;
}

/* Grows the input buffer to hold want bytes: to the size asked for
 * (a body's Content-Length) rounded up to 4 KiB, at least doubling. */
static int in_reserve(Conn *c, size_t want) {
        uint8_t *p;
        size_t cap = c->in_cap ? 2 * c->in_cap : IN_FIRST;

        if (want <= c->in_cap)
                return 0;
        if (cap < want)
                cap = (want + 4095) & ~(size_t)4095;
        p = realloc(c->in, cap);
        if (!p)
                return -ENOMEM;
        c->in = p;
        c->in_cap = cap;
        return 0;
}

/* Between requests: an empty input buffer is given back, so the next
 * request's (often another connection's) comes from memory the worker used
 * last, still in its cache, rather than from buffers spread over every
 * connection; a big one is shrunk. */
static void conn_in_idle(Conn *c) {
        if (c->in_len == 0 && c->in_cap > IN_FIRST) {
                free(c->in);
                c->in = NULL;
                c->in_cap = 0;
        } else if (c->in_cap > IN_KEEP && c->in_len <= IN_FIRST) {
                uint8_t *p = realloc(c->in, IN_FIRST);

                if (p) {
                        c->in = p;
                        c->in_cap = IN_FIRST;
                }
        }
}

/* Reads what TLS has into the input buffer: 1 bytes came, 0 wait for the
 * socket's next edge, < 0 the connection is over. */
static int conn_read(Conn *c, size_t room_at_least) {
        size_t got = 0;
        int r, e;

        r = in_reserve(c, c->in_len + (room_at_least ? room_at_least : 1));
        if (r < 0)
                return r;
        ERR_clear_error();
        if (SSL_read_ex(c->ssl, c->in + c->in_len, c->in_cap - c->in_len, &got) == 1) {
                c->in_len += got;
                return 1;
        }
        e = SSL_get_error(c->ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
        return -ECONNRESET;
}

static void answer_problem(Conn *c, unsigned status, const char *what, uint64_t declared) {
        HttpServer *s = c->w->s;

        s->cfg.handlers.on_problem(s->cfg.handlers.userdata, &c->x, status, what, declared);
}

static void begin_write(Conn *c) {
        c->state = CONN_WRITE;
        c->after_write = c->x.close_after ? CONN_CLOSED : CONN_HEAD;
        if (c->x.held) {
                /* Nothing is read meanwhile; a hang-up is seen on writing. */
                c->x.held = false;
                list_unlink(c->w, c);
                held_append(c->w, c);
                c->state = CONN_HELD;
        }
}

/* The request is complete (or refused): get its answer and write it. */
static void dispatch(Conn *c) {
        HttpServer *s = c->w->s;

        if (!c->x.answered) {
                if (c->x.discard)
                        answer_problem(c, 413, "the body is over the limit", c->x.declared);
                else
                        s->cfg.handlers.on_request(s->cfg.handlers.userdata, &c->x);
        }
        if (!c->x.answered) {
                c->state = CONN_CLOSED;
                return;
        }
        begin_write(c);
}

/* An interim "100 Continue" before the body. */
static int send_continue(Conn *c) {
        static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";

        free(c->out);
        c->out = strdup(msg);
        if (!c->out)
                return -ENOMEM;
        c->out_len = sizeof(msg) - 1;
        c->out_off = 0;
        c->out_sensitive = false;
        c->state = CONN_WRITE;
        c->after_write = CONN_BODY;
        return 0;
}

/* The head is in c->in[0..head_len). */
static void on_head_complete(Conn *c, size_t head_len) {
        HttpServer *s = c->w->s;
        HttpExchange *x = &c->x;
        HttpHeadError herr = {};
        bool has_body;
        int r;

        *x = (HttpExchange){};
        x->start = now_usec();
        r = http_head_parse(c->in, head_len, &x->head, &herr);
        /* The head is parsed into its own copy; the body follows at 0. */
        explicit_bzero(c->in, head_len);
        in_drop(c, head_len);
        if (r == -ENOMEM) {
                c->state = CONN_CLOSED;
                return;
        }
        if (r < 0) {
                /* Nothing after a broken head can be trusted to be framed. */
                x->close_after = true;
                answer_problem(c, herr.status, herr.what, 0);
                if (!x->answered)
                        c->state = CONN_CLOSED;
                else
                        begin_write(c);
                return;
        }
        has_body = x->head.chunked || (x->head.has_length && x->head.content_length > 0);
        x->limit = SIZE_MAX;
        s->cfg.handlers.on_head(s->cfg.handlers.userdata, x);
        if (x->answered) {
                /* Answered on the head alone: drop a body the client may
                 * still send, so it reads the answer instead of a reset;
                 * one waiting for "100 Continue" never sends it. */
                if (has_body) {
                        if (x->head.expect_continue ||
                            (x->head.has_length && x->head.content_length > s->cfg.discard_max))
                                x->close_after = true;
                        else {
                                x->discard = true;
                                c->state = CONN_BODY;
                                return;
                        }
                }
                begin_write(c);
                return;
        }
        if (!has_body) {
                dispatch(c);
                return;
        }
        if (x->head.has_length) {
                x->declared = x->head.content_length;
                if (x->head.content_length > x->limit) {
                        if (x->head.expect_continue || x->head.content_length > s->cfg.discard_max) {
                                x->close_after = true;
                                answer_problem(c, 413, "the body is over the limit",
                                               x->head.content_length);
                                if (!x->answered)
                                        c->state = CONN_CLOSED;
                                else
                                        begin_write(c);
                                return;
                        }
                        x->discard = true;
                }
        }
        c->state = CONN_BODY;
        if (x->head.expect_continue && !x->discard &&
            !(x->head.has_length && c->in_len >= x->head.content_length) && send_continue(c) < 0)
                c->state = CONN_CLOSED;
}

static int chunk_sink(void *userdata, const uint8_t *data, size_t n) {
        HttpExchange *x = userdata;

        if (x->body_size + n > x->limit)
                return -EFBIG;
        if (x->body_size + n > x->body_cap) {
                size_t cap = x->body_cap ? x->body_cap : 16 * 1024;
                uint8_t *p;

                while (cap < x->body_size + n)
                        cap *= 2;
                if (cap > x->limit)
                        cap = x->limit;
                p = realloc(x->body, cap);
                if (!p)
                        return -ENOMEM;
                x->body = p;
                x->body_cap = cap;
        }
        memcpy(x->body + x->body_size, data, n);
        x->body_size += n;
        return 0;
}

/* Takes what the input holds of the body. 1: the body is complete. */
static int body_progress(Conn *c) {
        HttpServer *s = c->w->s;
        HttpExchange *x = &c->x;

        if (!x->head.chunked) {
                uint64_t need = x->head.content_length;

                if (x->discard) {
                        uint64_t left = need - x->discarded;
                        size_t take = c->in_len < left ? c->in_len : (size_t)left;

                        x->discarded += take;
                        in_drop(c, take);
                        return x->discarded == need;
                }
                if (c->in_len < need)
                        return 0;
                x->cl_body = c->in;
                c->consumed = (size_t)need;
                return 1;
        }
        for (;;) {
                char err[120] = "";
                size_t used = 0;
                int r = http_chunked_feed(&x->chunked, c->in, c->in_len,
                                          x->discard ? NULL : chunk_sink, x, &used, err,
                                          sizeof(err));

                in_drop(c, used);
                if (x->discard) {
                        x->discarded = x->chunked.total;
                        if (r == 0 && x->discarded > s->cfg.discard_max) {
                                x->close_after = true;
                                return 1;
                        }
                }
                if (r == -EFBIG) {
                        /* Over the limit: keep decoding, dropping the data. */
                        x->discard = true;
                        free(x->body);
                        x->body = NULL;
                        x->body_size = x->body_cap = 0;
                        continue;
                }
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        x->close_after = true;
                        if (!x->answered)
                                answer_problem(c, 400, err, 0);
                        return 1;
                }
                return r;
        }
}

/* Drives a connection until it must wait for the socket or is over. */
static void conn_run(Conn *c) {
        int r, e;

        /* A hang-up while held is seen when the answer is written. */
        if (c->state == CONN_HELD)
                return;
        touch(c);
        for (;;) {
                switch (c->state) {
                case CONN_HANDSHAKE:
                        ERR_clear_error();
                        r = SSL_do_handshake(c->ssl);
                        if (r == 1) {
                                c->state = CONN_HEAD;
                                break;
                        }
                        e = SSL_get_error(c->ssl, r);
                        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                                return;
                        log_debug("TLS handshake failed: %s",
                                  ERR_reason_error_string(ERR_peek_last_error()) ?: "closed");
                        goto close;

                case CONN_HEAD: {
                        Reader rd;
                        size_t from = c->scanned > 3 ? c->scanned - 3 : 0, pos;

                        reader_init(&rd, c->in, c->in_len, NULL);
                        if (reader_skip(&rd, from) >= 0 && reader_find(&rd, "\r\n\r\n", 4, &pos) >= 0) {
                                on_head_complete(c, from + pos + 4);
                                break;
                        }
                        c->scanned = c->in_len;
                        if (c->in_len >= HTTP_HEAD_MAX) {
                                c->x = (HttpExchange){.close_after = true, .start = now_usec()};
                                c->in_len = 0;
                                answer_problem(c, 431, "the request head is over 16384 bytes", 0);
                                if (!c->x.answered)
                                        goto close;
                                begin_write(c);
                                break;
                        }
                        r = conn_read(c, 0);
                        if (r < 0)
                                goto close;
                        if (r == 0)
                                return;
                        break;
                }

                case CONN_BODY: {
                        size_t room = 0;

                        r = body_progress(c);
                        if (r < 0)
                                goto close;
                        if (r > 0) {
                                dispatch(c);
                                break;
                        }
                        if (!c->x.head.chunked && !c->x.discard)
                                room = (size_t)c->x.head.content_length - c->in_len;
                        r = conn_read(c, room);
                        if (r < 0)
                                goto close;
                        if (r == 0)
                                return;
                        break;
                }

                case CONN_WRITE: {
                        size_t done = 0;

                        ERR_clear_error();
                        if (SSL_write_ex(c->ssl, c->out + c->out_off, c->out_len - c->out_off,
                                         &done) == 1) {
                                c->out_off += done;
                                if (c->out_off < c->out_len)
                                        break;
                                free_body(c->out, c->out_len, c->out_sensitive);
                                c->out = NULL;
                                c->out_len = c->out_off = 0;
                                c->state = c->after_write;
                                if (c->state == CONN_HEAD) {
                                        /* The next request: what is left in
                                         * the buffer is its start. */
                                        in_drop(c, c->consumed);
                                        c->consumed = 0;
                                        exchange_reset(&c->x);
                                        conn_in_idle(c);
                                }
                                break;
                        }
                        e = SSL_get_error(c->ssl, 0);
                        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                                return;
                        goto close;
                }

                case CONN_HELD:
                        return;

                case CONN_CLOSED:
                        goto close;
                }
        }
close:
        conn_free(c);
}

/* ---- workers ---- */

static void accept_some(Worker *w) {
        HttpServer *s = w->s;

        for (int i = 0; i < ACCEPT_BURST; i++) {
                /* Edge-triggered, for both directions, set once: every step
                 * of conn_run() goes on until TLS would block (and so the
                 * socket did), so a new edge follows whatever comes next,
                 * and waiting for the other direction or holding an answer
                 * costs no epoll_ctl(). */
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
                int one = 1, fd;
                Conn *c;

                fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                            errno != ECONNABORTED)
                                log_debug("accept: %m");
                        return;
                }
                if (atomic_fetch_add(&s->connections, 1) >= s->cfg.max_connections) {
                        atomic_fetch_sub(&s->connections, 1);
                        close(fd);
                        if (s->cfg.handlers.on_refused)
                                s->cfg.handlers.on_refused(s->cfg.handlers.userdata);
                        continue;
                }
                c = calloc(1, sizeof(*c));
                if (c)
                        c->ssl = SSL_new(s->ctx);
                if (!c || !c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
                        if (c)
                                SSL_free(c->ssl);
                        free(c);
                        close(fd);
                        atomic_fetch_sub(&s->connections, 1);
                        continue;
                }
                (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                SSL_set_accept_state(c->ssl);
                c->w = w;
                c->fd = fd;
                c->state = CONN_HANDSHAKE;
                c->last_active = now_usec();
                list_append(w, c);
                ev.data.ptr = c;
                if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        conn_free(c);
                }
        }
}

static void sweep_idle(Worker *w, uint64_t now) {
        uint64_t idle = (uint64_t)w->s->cfg.idle_timeout_s * 1000000u;

        while (w->first && now - w->first->last_active > idle) {
                log_debug("Closing a connection idle for %u s", w->s->cfg.idle_timeout_s);
                conn_free(w->first);
        }
}

/* Sends the held answers that may go, oldest first. */
static void release_held(Worker *w) {
        HttpServer *s = w->s;

        while (w->held_first &&
               s->cfg.handlers.ready(s->cfg.handlers.userdata, w->held_first->x.ticket)) {
                Conn *c = w->held_first;

                held_unlink(w, c);
                list_append(w, c);
                c->state = CONN_WRITE;
                conn_run(c);
        }
}

static void *worker_main(void *userdata) {
        Worker *w = userdata;
        HttpServer *s = w->s;
        struct epoll_event events[MAX_EVENTS];
        uint64_t last_sweep = now_usec();

        for (;;) {
                int n = epoll_wait(w->epfd, events, MAX_EVENTS,
                                   w->held_first ? HTTP_HELD_RECHECK_MS : 1000);
                uint64_t now;

                if (n < 0 && errno != EINTR) {
                        log_error("epoll_wait: %m");
                        break;
                }
                for (int i = 0; i < n; i++) {
                        void *p = events[i].data.ptr;

                        if (p == &s->stop_fd)
                                goto out;
                        if (p == &w->listen_fd) {
                                accept_some(w);
                                continue;
                        }
                        if (p == &w->wake_fd) {
                                uint64_t count;

                                /* Held answers are looked at below. */
                                (void)!read(w->wake_fd, &count, sizeof(count));
                                continue;
                        }
                        conn_run(p);
                }
                release_held(w);
                now = now_usec();
                if (now - last_sweep >= 1000000u) {
                        sweep_idle(w, now);
                        last_sweep = now;
                }
        }
out:
        while (w->first)
                conn_free(w->first);
        while (w->held_first)
                conn_free(w->held_first);
        return NULL;
}

/* ---- set-up ---- */

static int load_tls(HttpServer *s, char *err, size_t err_size) {
        BIO *bio = NULL;
        X509 *cert = NULL;
        EVP_PKEY *key = NULL;
        int r = -EINVAL;

        s->ctx = SSL_CTX_new(TLS_server_method());
        if (!s->ctx) {
                snprintf(err, err_size, "cannot make a TLS context");
                return -ENOMEM;
        }
        (void)SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(s->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                            SSL_OP_NO_COMPRESSION);
        /* RELEASE_BUFFERS: an idle connection gives its TLS buffers back
         * (the read buffer is TLS_READ_BUFFER), so the next record lands in
         * memory the worker just used rather than in a cold one of its own. */
        SSL_CTX_set_mode(s->ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                         SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_CTX_set_read_ahead(s->ctx, 1);
        /* No TLS 1.3 session tickets (OpenSSL sends two after every
         * handshake by default, each an encryption and a key derivation):
         * an agent opens one connection per boot and carries its KBS session
         * in the cookie, so a ticket would never be used. */
        (void)SSL_CTX_set_num_tickets(s->ctx, 0);
        SSL_CTX_set_default_read_buffer_len(s->ctx, TLS_READ_BUFFER);

        bio = BIO_new_mem_buf(s->cfg.cert_pem, -1);
        cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        if (!cert || SSL_CTX_use_certificate(s->ctx, cert) != 1) {
                snprintf(err, err_size, "the TLS certificate is not a PEM certificate");
                goto out;
        }
        for (;;) {
                X509 *extra = PEM_read_bio_X509(bio, NULL, NULL, NULL);

                if (!extra)
                        break;
                if (SSL_CTX_add0_chain_cert(s->ctx, extra) != 1) {
                        X509_free(extra);
                        snprintf(err, err_size, "cannot add a chain certificate");
                        goto out;
                }
        }
        ERR_clear_error();
        BIO_free(bio);
        bio = BIO_new_mem_buf(s->cfg.key_pem->data, (int)s->cfg.key_pem->size);
        key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        if (!key || SSL_CTX_use_PrivateKey(s->ctx, key) != 1) {
                snprintf(err, err_size, "the TLS key is not a PEM private key");
                goto out;
        }
        if (SSL_CTX_check_private_key(s->ctx) != 1) {
                snprintf(err, err_size, "the TLS key does not match the certificate");
                goto out;
        }
        r = 0;
out:
        ERR_clear_error();
        X509_free(cert);
        EVP_PKEY_free(key);
        BIO_free(bio);
        return r;
}

/* One listening socket per worker on the same port, with SO_REUSEPORT: the
 * kernel spreads new connections over them, so each worker gets its share
 * (one shared socket let whichever worker woke first take a whole burst). */
static int bind_listen(HttpServer *s, char *err, size_t err_size) {
        struct sockaddr_storage a = s->cfg.addr;
        socklen_t len = a.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);

        s->listen_fds = malloc(s->cfg.threads * sizeof(int));
        if (!s->listen_fds)
                return -ENOMEM;
        for (unsigned i = 0; i < s->cfg.threads; i++)
                s->listen_fds[i] = -1;
        for (unsigned i = 0; i < s->cfg.threads; i++) {
                struct sockaddr_storage bound = {};
                socklen_t blen = sizeof(bound);
                int one = 1, fd;

                fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                        int r = -errno;
                        snprintf(err, err_size, "cannot make a socket: %s", strerror(-r));
                        return r;
                }
                s->listen_fds[i] = fd;
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
                    bind(fd, (const struct sockaddr *)&a, len) < 0 || listen(fd, 512) < 0) {
                        int r = -errno;
                        snprintf(err, err_size, "cannot listen: %s", strerror(-r));
                        return r;
                }
                if (i > 0)
                        continue;
                /* Port 0: the others bind where the first landed. */
                if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
                        int r = -errno;
                        snprintf(err, err_size, "cannot read the bound port: %s", strerror(-r));
                        return r;
                }
                if (bound.ss_family == AF_INET6) {
                        s->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
                        ((struct sockaddr_in6 *)&a)->sin6_port = htons(s->port);
                } else {
                        s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
                        ((struct sockaddr_in *)&a)->sin_port = htons(s->port);
                }
        }
        return 0;
}

int http_server_new(const HttpServerConfig *c, HttpServer **ret, char *err, size_t err_size) {
        HttpServer *s;
        int r;

        if (!c || !c->cert_pem || !c->key_pem || c->threads == 0 || c->max_connections == 0 ||
            !c->handlers.on_head || !c->handlers.on_request || !c->handlers.on_problem ||
            !c->handlers.ready) {
                snprintf(err, err_size, "incomplete HTTPS server configuration");
                return -EINVAL;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->cfg = *c;
        s->stop_fd = -1;
        atomic_init(&s->connections, 0);
        r = load_tls(s, err, err_size);
        if (r >= 0)
                r = bind_listen(s, err, err_size);
        if (r >= 0) {
                s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (s->stop_fd < 0) {
                        r = -errno;
                        snprintf(err, err_size, "cannot make an eventfd: %s", strerror(-r));
                }
        }
        if (r < 0) {
                http_server_free(s);
                return r;
        }
        s->cfg.cert_pem = NULL; /* borrowed for loading only */
        s->cfg.key_pem = NULL;
        *ret = s;
        return 0;
}

int http_server_start(HttpServer *s, char *err, size_t err_size) {
        s->workers = calloc(s->cfg.threads, sizeof(*s->workers));
        if (!s->workers)
                return -ENOMEM;
        for (unsigned i = 0; i < s->cfg.threads; i++)
                s->workers[i].wake_fd = -1;
        for (unsigned i = 0; i < s->cfg.threads; i++) {
                Worker *w = &s->workers[i];
                struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &w->listen_fd};
                struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &s->stop_fd};
                struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &w->wake_fd};
                int r;

                w->s = s;
                w->listen_fd = s->listen_fds[i];
                w->epfd = epoll_create1(EPOLL_CLOEXEC);
                w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (w->epfd < 0 || w->wake_fd < 0 ||
                    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listen_fd, &lev) < 0 ||
                    epoll_ctl(w->epfd, EPOLL_CTL_ADD, s->stop_fd, &sev) < 0 ||
                    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &wev) < 0) {
                        r = -errno;
                        snprintf(err, err_size, "cannot set up epoll: %s", strerror(-r));
                        return r;
                }
                r = pthread_create(&w->thread, NULL, worker_main, w);
                if (r != 0) {
                        snprintf(err, err_size, "cannot start a worker thread: %s", strerror(r));
                        return -r;
                }
                w->started = true;
        }
        return 0;
}

uint16_t http_server_port(const HttpServer *s) {
        return s->port;
}

unsigned http_server_connections(const HttpServer *s) {
        return atomic_load(&((HttpServer *)s)->connections);
}

void http_server_recheck(HttpServer *s) {
        uint64_t one = 1;

        if (!s || !s->workers)
                return;
        for (unsigned i = 0; i < s->cfg.threads; i++)
                if (s->workers[i].wake_fd >= 0)
                        (void)!write(s->workers[i].wake_fd, &one, sizeof(one));
}

void http_server_free(HttpServer *s) {
        if (!s)
                return;
        if (s->workers) {
                uint64_t one = 1;

                if (s->stop_fd >= 0)
                        (void)!write(s->stop_fd, &one, sizeof(one));
                for (unsigned i = 0; i < s->cfg.threads; i++) {
                        Worker *w = &s->workers[i];

                        if (w->started)
                                pthread_join(w->thread, NULL);
                        if (w->epfd > 0)
                                close(w->epfd);
                        if (w->wake_fd >= 0)
                                close(w->wake_fd);
                }
                free(s->workers);
        }
        if (s->listen_fds) {
                for (unsigned i = 0; i < s->cfg.threads; i++)
                        if (s->listen_fds[i] >= 0)
                                close(s->listen_fds[i]);
                free(s->listen_fds);
        }
        if (s->stop_fd >= 0)
                close(s->stop_fd);
        SSL_CTX_free(s->ctx);
        free(s);
}
