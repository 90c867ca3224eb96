#pragma once

/* X.509 certificates from wherever an operator or a platform keeps them: a
 * PEM file with one or more certificates, DER (one certificate, or several
 * back to back), a directory of such files under any names, or the same as
 * bytes in memory. What a certificate is for is decided by its contents,
 * never by a file name. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/openssl-cleanup.h"

/* More certificates than any vendor chain plus a cache directory holds;
 * a bound, so a hostile directory cannot make us allocate without end. */
#define CERT_LOAD_MAX_CERTS 512u
/* A certificate file larger than this is not one. */
#define CERT_LOAD_MAX_FILE (1024u * 1024)


/* Frees the stack and every certificate on it. */
void cert_load_stack_free(STACK_OF(X509) *certs);
DEFINE_CLEANUP(STACK_OF(X509), cert_load_stack_free)

/* Appends every certificate of data to certs: PEM (blocks of other types
 * and text around them are skipped) or DER. -EBADMSG if data holds no
 * certificate or a damaged one, -E2BIG past CERT_LOAD_MAX_CERTS. On
 * failure certs is left as it was. */
int cert_load_buffer(const uint8_t *data, size_t size, STACK_OF(X509) *certs);

/* One file, as cert_load_buffer(). -errno when it cannot be read. */
int cert_load_file(const char *path, STACK_OF(X509) *certs);

/* Every regular file of a directory (not recursing, dot files included:
 * names carry no meaning). A file that holds no certificate is skipped and
 * counted in *ret_skipped (if given), so a README next to the chain does no
 * harm; one that cannot be read is an error. */
int cert_load_dir(const char *path, STACK_OF(X509) *certs, unsigned *ret_skipped);

/* A file or a directory, whichever path is. */
int cert_load_path(const char *path, STACK_OF(X509) *certs, unsigned *ret_skipped);
