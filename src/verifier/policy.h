#pragma once

/* The verifier's policy: trust anchors, what evidence is acceptable per
 * TEE, how far a vTPM is trusted, and which resources which evidence may
 * fetch. A JSON file, validated at load: every error names the file and
 * the member ("policy.json: snp.min_tcb.snp: 300 is not 0-255"). The format
 * is documented in docs/policy.md. Immutable once loaded: the server swaps
 * in a new one on SIGHUP. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/basic/cleanup.h"
#include "confnode/kbs/kbs-proto.h"

typedef struct Policy Policy;

/* How far TPM evidence is trusted when no TEE vouches for its AK. */
typedef enum PolicyVtpm {
        POLICY_VTPM_BOUND,  /* the AK must be vouched for by the TEE; otherwise reject */
        POLICY_VTPM_CLOUD,  /* an AK no TEE vouches for is taken on the cloud's word */
        POLICY_VTPM_IGNORE, /* TPM evidence is not appraised at all */
        _POLICY_VTPM_MAX,
        _POLICY_VTPM_INVALID = -EINVAL,
} PolicyVtpm;

const char *policy_vtpm_to_string(PolicyVtpm v); /* "bound", "cloud", "ignore" */
PolicyVtpm policy_vtpm_from_string(const char *s);

typedef enum ResourceKind {
        RESOURCE_DISK_KEY,    /* HKDF-SHA256(master secret, disk UUID): tag is the UUID */
        RESOURCE_JOIN_BUNDLE, /* API server, cluster CA, fresh bootstrap token */
        _RESOURCE_KIND_MAX,
        _RESOURCE_KIND_INVALID = -EINVAL,
} ResourceKind;

const char *resource_kind_to_string(ResourceKind k); /* "disk-key", "join-bundle" */
ResourceKind resource_kind_from_string(const char *s);

/* One releasable resource: "repo/type/tag" as in the KBS path
 * /kbs/v0/resource/<repo>/<type>/<tag>; a tag of "*" matches any tag. */
typedef struct PolicyResource {
        char repo[64];
        char type[64];
        char tag[64];
        ResourceKind kind;
        uint32_t tees; /* bit (1u << KbsTee) set for each TEE allowed to fetch it */
} PolicyResource;

/* err gets "file: member: what". -EINVAL for a policy that does not
 * validate, -errno when the file cannot be read. */
int policy_load(const char *path, Policy **ret, char *err, size_t err_size);
/* origin names the source in errors (a file name, "<built-in>"). */
int policy_from_json(json_object *j, const char *origin, Policy **ret, char *err,
                     size_t err_size);
void policy_free(Policy *p);
DEFINE_CLEANUP(Policy, policy_free)

const char *policy_origin(const Policy *p);
/* The resource rule that matches repo/type/tag, or NULL. */
const PolicyResource *policy_find_resource(const Policy *p, const char *repo, const char *type,
                                           const char *tag);
