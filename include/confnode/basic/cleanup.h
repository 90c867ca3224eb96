#pragma once

/* Cleanup helpers: every owned resource type gets a `…p` function usable with
 * _cleanup_(), so early returns never leak. Ownership moves out with
 * TAKE_PTR()/TAKE_FD(). */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                typeof(p) _tp = (p);                                                               \
                (p) = NULL;                                                                        \
                _tp;                                                                               \
        })

#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _tf = (fd);                                                                    \
                (fd) = -1;                                                                         \
                _tf;                                                                               \
        })

#define DEFINE_CLEANUP(type, fn)                                                                   \
        static inline void fn##p(type **p) {                                                       \
                if (*p)                                                                            \
                        fn(*p);                                                                    \
                *p = NULL;                                                                         \
        }

static inline void freep(void *p) {
        free(*(void **) p);
        *(void **) p = NULL;
}

static inline void fd_closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
        *fd = -1;
}

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
        *f = NULL;
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(fd_closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
