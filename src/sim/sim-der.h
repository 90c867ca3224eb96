#pragma once

/* A small DER writer for the vendor extensions of the simulated
 * certificates (AMD's SPL and hwID values, Intel's SGX extension), which
 * OpenSSL has no templates for. Errors (out of memory, an OID that does
 * not parse) stick: check sim_der_failed() once at the end. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SimDer {
        uint8_t *data;
        size_t size, alloc;
        bool failed;
} SimDer;

void sim_der_done(SimDer *d);
static inline bool sim_der_failed(const SimDer *d) {
        return d->failed;
}

/* One TLV with a definite length. */
void sim_der_tlv(SimDer *d, uint8_t tag, const void *content, size_t n);
void sim_der_integer(SimDer *d, uint64_t v);
void sim_der_enumerated(SimDer *d, uint64_t v);
void sim_der_octets(SimDer *d, const void *data, size_t n);
void sim_der_ia5(SimDer *d, const char *s);
/* A dotted OID ("1.2.840.113741.1.13.1"). */
void sim_der_oid(SimDer *d, const char *dotted);
/* The encoded TLVs of other, as they are. */
void sim_der_append(SimDer *d, const SimDer *other);
/* A SEQUENCE around what inner holds. */
void sim_der_sequence(SimDer *d, const SimDer *inner);
