/* DER encoding of the few universal types the vendor extensions use. */

#include "sim-der.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#define SIM_DER_INTEGER 0x02
#define SIM_DER_OCTET_STRING 0x04
#define SIM_DER_ENUMERATED 0x0a
#define SIM_DER_IA5STRING 0x16
#define SIM_DER_SEQUENCE 0x30

void sim_der_done(SimDer *d) {
        free(d->data);
        *d = (SimDer){};
}

static void sim_der_put(SimDer *d, const void *p, size_t n) {
        if (d->failed)
                return;
        if (n > SIZE_MAX / 2 - d->size) {
                d->failed = true;
                return;
        }
        if (d->size + n > d->alloc) {
                size_t na = d->alloc ? d->alloc : 256;
                uint8_t *nd;

                while (na < d->size + n)
                        na *= 2;
                nd = realloc(d->data, na);
                if (!nd) {
                        d->failed = true;
                        return;
                }
                d->data = nd;
                d->alloc = na;
        }
        if (n > 0)
                memcpy(d->data + d->size, p, n);
        d->size += n;
}

void sim_der_tlv(SimDer *d, uint8_t tag, const void *content, size_t n) {
        uint8_t len[9];
        size_t k = 0;

        /* Short form below 128, else the long form with the fewest
         * bytes, as DER requires. */
        if (n < 0x80)
                len[k++] = (uint8_t)n;
        else {
                size_t bytes = 0;

                for (size_t v = n; v > 0; v >>= 8)
                        bytes++;
                len[k++] = (uint8_t)(0x80 | bytes);
                for (size_t i = bytes; i > 0; i--)
                        len[k++] = (uint8_t)(n >> (8 * (i - 1)));
        }
        sim_der_put(d, &tag, 1);
        sim_der_put(d, len, k);
        sim_der_put(d, content, n);
}

static void sim_der_unsigned(SimDer *d, uint8_t tag, uint64_t v) {
        uint8_t b[9];
        size_t n = 0, start;

        for (int i = 7; i >= 0; i--)
                b[1 + (7 - i)] = (uint8_t)(v >> (8 * i));
        b[0] = 0;
        /* The shortest two's complement form: drop leading zero bytes
         * while the next byte's top bit keeps the value positive. */
        start = 0;
        while (start < 8 && b[start] == 0 && !(b[start + 1] & 0x80))
                start++;
        n = 9 - start;
        sim_der_tlv(d, tag, b + start, n);
}

void sim_der_integer(SimDer *d, uint64_t v) {
        sim_der_unsigned(d, SIM_DER_INTEGER, v);
}

void sim_der_enumerated(SimDer *d, uint64_t v) {
        sim_der_unsigned(d, SIM_DER_ENUMERATED, v);
}

void sim_der_octets(SimDer *d, const void *data, size_t n) {
        sim_der_tlv(d, SIM_DER_OCTET_STRING, data, n);
}

void sim_der_ia5(SimDer *d, const char *s) {
        sim_der_tlv(d, SIM_DER_IA5STRING, s, strlen(s));
}

void sim_der_oid(SimDer *d, const char *dotted) {
        ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
        unsigned char *der = NULL;
        int n;

        if (!o) {
                d->failed = true;
                return;
        }
        n = i2d_ASN1_OBJECT(o, &der);
        ASN1_OBJECT_free(o);
        if (n <= 0) {
                d->failed = true;
                return;
        }
        sim_der_put(d, der, (size_t)n);
        OPENSSL_free(der);
}

void sim_der_append(SimDer *d, const SimDer *other) {
        if (other->failed) {
                d->failed = true;
                return;
        }
        sim_der_put(d, other->data, other->size);
}

void sim_der_sequence(SimDer *d, const SimDer *inner) {
        if (inner->failed) {
                d->failed = true;
                return;
        }
        sim_der_tlv(d, SIM_DER_SEQUENCE, inner->data, inner->size);
}
