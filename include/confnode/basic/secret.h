#pragma once

/* A buffer for key material: page-aligned, mlock()ed, excluded from core
 * dumps (MADV_DONTDUMP), wiped with explicit_bzero() on free, then unlocked
 * and unmapped, or (a single page) kept wiped and locked for the next
 * secret of this process. Logs may show a secret's size or its short fingerprint, never its bytes. */

#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"

typedef struct Secret {
        uint8_t *data;
        size_t size;
        size_t mapped; /* bytes mapped, a whole number of pages */
} Secret;

int secret_new(size_t size, Secret **ret);
int secret_new_copy(const void *data, size_t size, Secret **ret);
void secret_free(Secret *s);
DEFINE_CLEANUP(Secret, secret_free)

/* Lower-case hex of the first 4 bytes of SHA-256(secret): safe to log. */
void secret_fingerprint(const Secret *s, char ret[static 9]);

/* Wipes a stack or heap copy the compiler must not optimise away. */
void memory_wipe(void *p, size_t n);
