#pragma once

/* TEE evidence as the collectors return it: a report (an SEV-SNP report, a
 * TDX quote or TD report, an Azure HCL report) made for the caller's
 * report data, the certificates the platform handed out with it, and
 * where it came from. The collectors only do I/O and log at debug level;
 * a failure comes back as -errno with a sentence in a TeeError naming the
 * path or index, for the caller's one log line. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"

#define TEE_REPORT_DATA_SIZE 64

typedef enum TeeSource {
        TEE_SOURCE_AUTO,
        TEE_SOURCE_NONE,
        TEE_SOURCE_TSM,
        TEE_SOURCE_SEV_GUEST,
        TEE_SOURCE_TDX_GUEST,
        TEE_SOURCE_AZURE,
        _TEE_SOURCE_MAX,
        _TEE_SOURCE_INVALID = -EINVAL,
} TeeSource;

/* What the evidence is, by the names Trustee's KBS uses for them. */
typedef enum TeeType {
        TEE_TYPE_SNP,
        TEE_TYPE_TDX,
        TEE_TYPE_AZ_SNP_VTPM,
        TEE_TYPE_AZ_TDX_VTPM,
        _TEE_TYPE_MAX,
        _TEE_TYPE_INVALID = -EINVAL,
} TeeType;

/* How the report is encoded, by the names of `confnode inspect --type`. */
typedef enum TeeFormat {
        TEE_FORMAT_SNP_REPORT,
        TEE_FORMAT_TDX_QUOTE,
        TEE_FORMAT_TDX_REPORT,
        TEE_FORMAT_HCL_REPORT,
        _TEE_FORMAT_MAX,
        _TEE_FORMAT_INVALID = -EINVAL,
} TeeFormat;

const char *tee_source_to_string(TeeSource s); /* "auto", "none", "tsm", "sev-guest", … */
TeeSource tee_source_from_string(const char *s);
const char *tee_type_to_string(TeeType t);     /* "snp", "tdx", "az-snp-vtpm", "az-tdx-vtpm" */
const char *tee_format_to_string(TeeFormat f); /* "snp-report", "tdx-quote", … */

typedef struct TeeError {
        char what[512];
} TeeError;

/* Records fmt and, when r is an error, ": strerror(-r)"; returns r. */
int tee_evidence_error(TeeError *e, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

typedef struct TeeEvidence {
        TeeSource source;
        TeeType type;
        TeeFormat format;
        char provider[32];
        char where[256];
        uint8_t report_data[TEE_REPORT_DATA_SIZE];
        uint8_t *report;
        size_t report_size;
        /* The GHCB certificate table the host handed out with an SEV-SNP
         * report, trimmed to what it uses; NULL when there was none. */
        uint8_t *certs;
        size_t certs_size;
        unsigned attempts; /* configfs-tsm: entries it took (another writer) */
} TeeEvidence;

void tee_evidence_free(TeeEvidence *e);
DEFINE_CLEANUP(TeeEvidence, tee_evidence_free)
/* An empty evidence of that source and where, for the collectors. */
int tee_evidence_new(TeeSource source, const char *where, TeeEvidence **ret);

/* The report must be one of its format that parses and carries the
 * report_data it was asked for (anything else means the interface is not
 * what it claims, or someone else's report came back: -EBADMSG, -ESTALE);
 * a certificate table must parse, and is trimmed to what it uses (dropped
 * if it holds none). HCL reports are checked by their collector. */
int tee_evidence_check(TeeEvidence *e, TeeError *err);
