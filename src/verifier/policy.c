/* The verifier's policy: a JSON file, validated member by member at load.
 * Anything a policy says about trust must be said on purpose, so an
 * unknown member is an error (a typo like "alow_debug" must not fall back
 * to a default silently), every value is checked for type, range and
 * length, and each error names the file and the member. The trust anchors
 * the policy names are loaded here too, so a policy that loads is one the
 * verifier can use; roots made by `confnode-sim init` are refused unless
 * the policy says "simulated": true. docs/policy.md describes the format. */

#include "policy.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appraise-internal.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/evidence/tdx-verify.h"

#define POLICY_MAX_DEPTH 8u
#define POLICY_MEMBER_MAX 128

typedef struct PolicyParser {
        const char *origin;
        char *dir; /* relative anchor paths start here */
        char *err;
        size_t err_size;
        Policy *p;
} PolicyParser;

static const char *const policy_vtpm_names[_POLICY_VTPM_MAX] = {
        [POLICY_VTPM_BOUND] = "bound",
        [POLICY_VTPM_CLOUD] = "cloud",
        [POLICY_VTPM_IGNORE] = "ignore",
};

const char *policy_vtpm_to_string(PolicyVtpm v) {
        if (v < 0 || v >= _POLICY_VTPM_MAX)
                return NULL;
        return policy_vtpm_names[v];
}

PolicyVtpm policy_vtpm_from_string(const char *s) {
        for (PolicyVtpm v = 0; s && v < _POLICY_VTPM_MAX; v++)
                if (strcmp(s, policy_vtpm_names[v]) == 0)
                        return v;
        return _POLICY_VTPM_INVALID;
}

static const char *const resource_kind_names[_RESOURCE_KIND_MAX] = {
        [RESOURCE_DISK_KEY] = "disk-key",
        [RESOURCE_JOIN_BUNDLE] = "join-bundle",
};

const char *resource_kind_to_string(ResourceKind k) {
        if (k < 0 || k >= _RESOURCE_KIND_MAX)
                return NULL;
        return resource_kind_names[k];
}

ResourceKind resource_kind_from_string(const char *s) {
        for (ResourceKind k = 0; s && k < _RESOURCE_KIND_MAX; k++)
                if (strcmp(s, resource_kind_names[k]) == 0)
                        return k;
        return _RESOURCE_KIND_INVALID;
}

static void policy_values_done(PolicyValues *v) {
        free(v->data);
        *v = (PolicyValues){};
}

static void policy_snp_done(PolicySnp *s) {
        policy_values_done(&s->measurements);
        policy_values_done(&s->host_data);
}

static void policy_tdx_done(PolicyTdx *t) {
        policy_values_done(&t->mrtd);
        policy_values_done(&t->mrseam);
        for (size_t i = 0; i < ELEMENTSOF(t->rtmr); i++)
                policy_values_done(&t->rtmr[i]);
}

void policy_free(Policy *p) {
        if (!p)
                return;
        free(p->origin);
        cert_load_stack_free(p->amd_arks);
        cert_load_stack_free(p->amd_certs);
        cert_load_stack_free(p->intel_roots);
        tdx_verify_crl_stack_free(p->intel_crls);
        policy_snp_done(&p->snp);
        policy_snp_done(&p->az_snp);
        policy_tdx_done(&p->tdx);
        policy_tdx_done(&p->az_tdx);
        for (size_t b = 0; b < p->tpm.n_banks; b++)
                for (size_t i = 0; i < PCR_MAX; i++)
                        policy_values_done(&p->tpm.banks[b].pcr[i]);
        free(p->resources);
        free(p);
}

const char *policy_origin(const Policy *p) {
        return p->origin;
}

bool policy_values_contain(const PolicyValues *v, const void *value) {
        for (size_t i = 0; i < v->n; i++)
                if (memcmp(v->data + i * v->size, value, v->size) == 0)
                        return true;
        return false;
}

static int policy_error(PolicyParser *pp, const char *member, const char *fmt, ...) _printf_(3, 4);
static int policy_error(PolicyParser *pp, const char *member, const char *fmt, ...) {
        va_list ap;
        int n;

        if (!pp->err || pp->err_size == 0)
                return -EINVAL;
        n = snprintf(pp->err, pp->err_size, "%s: %s%s", pp->origin, member ?: "",
                     member && member[0] ? ": " : "");
        if (n >= 0 && (size_t)n < pp->err_size) {
                va_start(ap, fmt);
                vsnprintf(pp->err + n, pp->err_size - (size_t)n, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* A value from the file, for an error: in single quotes, cut short and
 * with anything unprintable replaced. */
static const char *policy_quote(const char *s, char buf[static 48]) {
        size_t i = 0;

        for (; s[i] && i < 40; i++)
                buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
        if (s[i]) {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = 0;
        return buf;
}

static const char *policy_type_name(json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_null:
                return "null";
        case json_type_boolean:
                return "a boolean";
        case json_type_double:
                return "a number with a fraction";
        case json_type_int:
                return "an integer";
        case json_type_object:
                return "an object";
        case json_type_array:
                return "an array";
        case json_type_string:
                return "a string";
        }
        return "of an unknown type";
}

static int policy_want_type(PolicyParser *pp, json_object *v, json_type type, const char *member) {
        static const char *const names[] = {
                [json_type_null] = "null",        [json_type_boolean] = "a boolean",
                [json_type_double] = "a number",  [json_type_int] = "an integer",
                [json_type_object] = "an object", [json_type_array] = "an array",
                [json_type_string] = "a string",
        };

        if (json_object_is_type(v, type))
                return 0;
        return policy_error(pp, member, "is %s, not %s", policy_type_name(v), names[type]);
}

/* Member paths are cut to fit: they name, they are not parsed back. */
static void policy_member(char *buf, const char *prefix, const char *key) {
        if (snprintf(buf, POLICY_MEMBER_MAX, "%s%s%s", prefix ?: "", prefix && prefix[0] ? "." : "",
                     key) < 0)
                buf[0] = 0;
}

static void policy_index(char *buf, const char *prefix, size_t i) {
        if (snprintf(buf, POLICY_MEMBER_MAX, "%s[%zu]", prefix, i) < 0)
                buf[0] = 0;
}

/* Every member of o must be one of allowed; "comment" is allowed
 * everywhere (JSON has no comments), as a string or a list of strings. */
static int policy_check_members(PolicyParser *pp, json_object *o, const char *prefix,
                                const char *const *allowed) {
        char member[POLICY_MEMBER_MAX], q[48];

        json_object_object_foreach(o, key, v) {
                bool known = false;

                policy_member(member, prefix, key);
                if (strcmp(key, "comment") == 0) {
                        if (json_object_is_type(v, json_type_string))
                                continue;
                        if (json_object_is_type(v, json_type_array)) {
                                for (size_t i = 0; i < json_object_array_length(v); i++)
                                        if (!json_object_is_type(json_object_array_get_idx(v, i),
                                                                 json_type_string))
                                                return policy_error(
                                                        pp, member,
                                                        "must be a string or a list of strings");
                                continue;
                        }
                        return policy_error(pp, member, "must be a string or a list of strings");
                }
                for (size_t i = 0; allowed[i]; i++)
                        if (strcmp(key, allowed[i]) == 0)
                                known = true;
                if (!known)
                        return policy_error(pp, member,
                                            "unknown member '%s' (a typo? unknown members are "
                                            "errors)",
                                            policy_quote(key, q));
        }
        return 0;
}

static int policy_bool(PolicyParser *pp, json_object *o, const char *prefix, const char *key,
                       bool def, bool *ret) {
        char member[POLICY_MEMBER_MAX];
        json_object *v;
        int r;

        if (!json_object_object_get_ex(o, key, &v)) {
                *ret = def;
                return 0;
        }
        policy_member(member, prefix, key);
        r = policy_want_type(pp, v, json_type_boolean, member);
        if (r < 0)
                return r;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int policy_uint(PolicyParser *pp, json_object *v, const char *member, uint64_t max,
                       uint64_t *ret) {
        int64_t n;
        int r;

        r = policy_want_type(pp, v, json_type_int, member);
        if (r < 0)
                return r;
        n = json_object_get_int64(v);
        /* json-c clamps what does not fit an int64 to its limits. */
        if (n < 0 || (uint64_t)n > max)
                return policy_error(pp, member, "%s is not 0-%llu", json_object_get_string(v),
                                    (unsigned long long)max);
        *ret = (uint64_t)n;
        return 0;
}

static int policy_hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Exactly 2 * size hex digits, no prefix: a measurement of another length
 * is a mistake, not something to pad. */
static int policy_hex(PolicyParser *pp, json_object *v, const char *member, size_t size,
                      uint8_t *ret) {
        const char *s;
        char q[48];
        int r;

        r = policy_want_type(pp, v, json_type_string, member);
        if (r < 0)
                return r;
        s = json_object_get_string(v);
        if ((size_t)json_object_get_string_len(v) != 2 * size)
                return policy_error(pp, member, "'%s' is not %zu hex digits (%zu bytes)",
                                    policy_quote(s, q), 2 * size, size);
        for (size_t i = 0; i < size; i++) {
                int hi = policy_hex_digit(s[2 * i]), lo = policy_hex_digit(s[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return policy_error(pp, member, "'%s' is not hex", policy_quote(s, q));
                ret[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

static int policy_hex_list(PolicyParser *pp, json_object *v, const char *member, size_t size,
                           PolicyValues *ret) {
        char item[POLICY_MEMBER_MAX];
        size_t n;
        int r;

        r = policy_want_type(pp, v, json_type_array, member);
        if (r < 0)
                return r;
        n = json_object_array_length(v);
        if (n > POLICY_MAX_VALUES)
                return policy_error(pp, member, "lists %zu values, more than %u", n,
                                    POLICY_MAX_VALUES);
        *ret = (PolicyValues){.present = true, .size = size, .n = n};
        if (n > 0) {
                ret->data = calloc(n, size);
                if (!ret->data)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                policy_index(item, member, i);
                r = policy_hex(pp, json_object_array_get_idx(v, i), item, size,
                               ret->data + i * size);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Anchor paths are relative to the policy's own directory, so a policy
 * and its certificates can move together. Only regular files (and, for
 * certificate caches, directories) are read: a device or a FIFO named by
 * mistake must not block the verifier's start. */
static int policy_resolve(PolicyParser *pp, const char *path, char **ret) {
        if (path[0] == '/' || !pp->dir)
                *ret = strdup(path);
        else if (asprintf(ret, "%s/%s", pp->dir, path) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

static int policy_anchor_path(PolicyParser *pp, json_object *v, const char *member, bool dir_ok,
                              char **ret) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        char q[48];
        int r;

        r = policy_want_type(pp, v, json_type_string, member);
        if (r < 0)
                return r;
        if (json_object_get_string_len(v) == 0)
                return policy_error(pp, member, "is empty, not a file name");
        r = policy_resolve(pp, json_object_get_string(v), &path);
        if (r < 0)
                return r;
        if (stat(path, &st) < 0) {
                r = -errno;
                return policy_error(pp, member, "'%s' cannot be read: %s",
                                    policy_quote(json_object_get_string(v), q), strerror(-r));
        }
        if (!S_ISREG(st.st_mode) && !(dir_ok && S_ISDIR(st.st_mode)))
                return policy_error(pp, member, "'%s' is not a regular file%s",
                                    policy_quote(json_object_get_string(v), q),
                                    dir_ok ? " or a directory" : "");
        *ret = TAKE_PTR(path);
        return 0;
}

/* Roots made by `confnode-sim init` say so in their names; trusting one
 * would let anyone with the simulator's keys attest. */
static bool policy_cert_is_simulated(X509 *cert) {
        char subject[512];

        cert_info_subject(cert, subject, sizeof(subject));
        return strcasestr(subject, "SIMULATED") != NULL;
}

static int policy_check_root(PolicyParser *pp, X509 *cert, const char *member, const char *file) {
        char subject[256], q[48];

        cert_info_subject(cert, subject, sizeof(subject));
        if (policy_cert_is_simulated(cert) && !pp->p->simulated)
                return policy_error(pp, member,
                                    "'%s' is a simulated root ('%s'); only a policy with "
                                    "anchors.simulated true may trust it",
                                    policy_quote(file, q), subject);
        return 0;
}

static int policy_push(STACK_OF(X509) * to, X509 *cert) {
        if (X509_up_ref(cert) != 1)
                return -ENOMEM;
        if (sk_X509_push(to, cert) <= 0) {
                X509_free(cert);
                return -ENOMEM;
        }
        return 0;
}

static int policy_load_certs(PolicyParser *pp, const char *path, const char *member,
                             const char *file, bool dir_ok, STACK_OF(X509) * into) {
        char q[48];
        int r;

        r = dir_ok ? cert_load_path(path, into, NULL) : cert_load_file(path, into);
        if (r == -EBADMSG)
                return policy_error(pp, member, "'%s' holds no certificate (PEM or DER)",
                                    policy_quote(file, q));
        if (r == -E2BIG)
                return policy_error(pp, member, "'%s' holds more than %u certificates",
                                    policy_quote(file, q), CERT_LOAD_MAX_CERTS);
        if (r < 0)
                return policy_error(pp, member, "'%s' cannot be read: %s", policy_quote(file, q),
                                    strerror(-r));
        return 0;
}

static int policy_anchor_list(PolicyParser *pp, json_object *anchors, const char *key,
                              json_object **ret) {
        char member[POLICY_MEMBER_MAX];
        json_object *v;
        int r;

        *ret = NULL;
        if (!json_object_object_get_ex(anchors, key, &v))
                return 0;
        policy_member(member, "anchors", key);
        r = policy_want_type(pp, v, json_type_array, member);
        if (r < 0)
                return r;
        if (json_object_array_length(v) > POLICY_MAX_ANCHOR_FILES)
                return policy_error(pp, member, "names more than %u files",
                                    POLICY_MAX_ANCHOR_FILES);
        *ret = v;
        return 0;
}

/* amd_ark: the self-signed certificates of each file are trusted ARKs;
 * the others (AMD hands out ASK and ARK in one file) join the pile the
 * chains are built from. */
static int policy_anchors_amd(PolicyParser *pp, json_object *anchors) {
        char member[POLICY_MEMBER_MAX];
        json_object *list;
        int r;

        r = policy_anchor_list(pp, anchors, "amd_ark", &list);
        if (r < 0)
                return r;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
                _cleanup_free_ char *path = NULL;
                json_object *v = json_object_array_get_idx(list, i);
                size_t roots = 0;
                char q[48];

                if (!certs)
                        return -ENOMEM;
                policy_index(member, "anchors.amd_ark", i);
                r = policy_anchor_path(pp, v, member, false, &path);
                if (r < 0)
                        return r;
                r = policy_load_certs(pp, path, member, json_object_get_string(v), false, certs);
                if (r < 0)
                        return r;
                for (int c = 0; c < sk_X509_num(certs); c++) {
                        X509 *cert = sk_X509_value(certs, c);

                        if (!cert_info_is_self_signed(cert)) {
                                r = policy_push(pp->p->amd_certs, cert);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        r = policy_check_root(pp, cert, member, json_object_get_string(v));
                        if (r < 0)
                                return r;
                        r = policy_push(pp->p->amd_arks, cert);
                        if (r < 0)
                                return r;
                        roots++;
                }
                if (roots == 0)
                        return policy_error(pp, member,
                                            "'%s' holds no self-signed certificate (an ARK)",
                                            policy_quote(json_object_get_string(v), q));
        }

        r = policy_anchor_list(pp, anchors, "amd_certs", &list);
        if (r < 0)
                return r;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                _cleanup_free_ char *path = NULL;
                json_object *v = json_object_array_get_idx(list, i);

                policy_index(member, "anchors.amd_certs", i);
                r = policy_anchor_path(pp, v, member, true, &path);
                if (r < 0)
                        return r;
                r = policy_load_certs(pp, path, member, json_object_get_string(v), true,
                                      pp->p->amd_certs);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int policy_anchors_intel(PolicyParser *pp, json_object *anchors) {
        char member[POLICY_MEMBER_MAX];
        json_object *list;
        int r;

        if (pp->p->builtin) {
                X509 *intel = NULL;

                r = tdx_verify_intel_root(&intel);
                if (r < 0)
                        return r;
                if (sk_X509_push(pp->p->intel_roots, intel) <= 0) {
                        X509_free(intel);
                        return -ENOMEM;
                }
        }

        r = policy_anchor_list(pp, anchors, "intel_root_ca", &list);
        if (r < 0)
                return r;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
                _cleanup_free_ char *path = NULL;
                json_object *v = json_object_array_get_idx(list, i);
                char q[48], subject[256];

                if (!certs)
                        return -ENOMEM;
                policy_index(member, "anchors.intel_root_ca", i);
                r = policy_anchor_path(pp, v, member, false, &path);
                if (r < 0)
                        return r;
                r = policy_load_certs(pp, path, member, json_object_get_string(v), false, certs);
                if (r < 0)
                        return r;
                for (int c = 0; c < sk_X509_num(certs); c++) {
                        X509 *cert = sk_X509_value(certs, c);

                        if (!cert_info_is_self_signed(cert)) {
                                cert_info_subject(cert, subject, sizeof(subject));
                                return policy_error(pp, member,
                                                    "'%s' holds '%s', which is not a "
                                                    "self-signed root CA",
                                                    policy_quote(json_object_get_string(v), q),
                                                    subject);
                        }
                        r = policy_check_root(pp, cert, member, json_object_get_string(v));
                        if (r < 0)
                                return r;
                        r = policy_push(pp->p->intel_roots, cert);
                        if (r < 0)
                                return r;
                }
        }

        r = policy_anchor_list(pp, anchors, "intel_crls", &list);
        if (r < 0)
                return r;
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                _cleanup_free_ char *path = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                json_object *v = json_object_array_get_idx(list, i);
                size_t size;
                char q[48];

                policy_index(member, "anchors.intel_crls", i);
                r = policy_anchor_path(pp, v, member, false, &path);
                if (r < 0)
                        return r;
                r = read_full_file(path, CERT_LOAD_MAX_FILE, &data, &size);
                if (r < 0)
                        return policy_error(pp, member, "'%s' cannot be read: %s",
                                            policy_quote(json_object_get_string(v), q),
                                            strerror(-r));
                r = tdx_verify_load_crls(data, size, pp->p->intel_crls);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return policy_error(pp, member, "'%s' holds no CRL (PEM or DER)",
                                            policy_quote(json_object_get_string(v), q));
        }
        return 0;
}

static int policy_anchors(PolicyParser *pp, json_object *root) {
        static const char *const members[] = {"amd_ark",    "amd_certs", "intel_root_ca",
                                              "intel_crls", "builtin",   "simulated",
                                              NULL};
        json_object *anchors = NULL;
        int r;

        pp->p->builtin = true;
        if (json_object_object_get_ex(root, "anchors", &anchors)) {
                r = policy_want_type(pp, anchors, json_type_object, "anchors");
                if (r < 0)
                        return r;
                r = policy_check_members(pp, anchors, "anchors", members);
                if (r < 0)
                        return r;
                /* Both decide how the files are read: first. */
                r = policy_bool(pp, anchors, "anchors", "builtin", true, &pp->p->builtin);
                if (r < 0)
                        return r;
                r = policy_bool(pp, anchors, "anchors", "simulated", false, &pp->p->simulated);
                if (r < 0)
                        return r;
        }
        r = policy_anchors_amd(pp, anchors);
        if (r < 0)
                return r;
        return policy_anchors_intel(pp, anchors);
}

static int policy_get(PolicyParser *pp, json_object *o, const char *prefix, const char *key,
                      bool required, json_object **ret) {
        char member[POLICY_MEMBER_MAX];

        *ret = NULL;
        if (json_object_object_get_ex(o, key, ret))
                return 0;
        if (!required)
                return 0;
        policy_member(member, prefix, key);
        return policy_error(pp, member, "is required");
}

static int policy_u8_member(PolicyParser *pp, json_object *o, const char *prefix, const char *key,
                            bool required, uint8_t *ret, bool *ret_present) {
        char member[POLICY_MEMBER_MAX];
        json_object *v;
        uint64_t n;
        int r;

        r = policy_get(pp, o, prefix, key, required, &v);
        if (r < 0 || !v)
                return r;
        policy_member(member, prefix, key);
        r = policy_uint(pp, v, member, 255, &n);
        if (r < 0)
                return r;
        *ret = (uint8_t)n;
        if (ret_present)
                *ret_present = true;
        return 0;
}

static int policy_snp(PolicyParser *pp, json_object *o, const char *name, PolicySnp *s) {
        static const char *const members[] = {"min_tcb",
                                              "allow_debug",
                                              "allow_migration_agent",
                                              "vmpl",
                                              "measurements",
                                              "min_guest_svn",
                                              "host_data",
                                              NULL};
        static const char *const tcb_members[] = {"bootloader", "tee", "snp",
                                                  "microcode",  "fmc", NULL};
        char member[POLICY_MEMBER_MAX], tcb_name[POLICY_MEMBER_MAX];
        json_object *v;
        uint64_t n;
        int r;

        r = policy_want_type(pp, o, json_type_object, name);
        if (r < 0)
                return r;
        r = policy_check_members(pp, o, name, members);
        if (r < 0)
                return r;
        s->present = true;

        /* A minimum TCB must be stated: without one, any firmware with
         * known flaws would pass. */
        r = policy_get(pp, o, name, "min_tcb", true, &v);
        if (r < 0)
                return r;
        policy_member(tcb_name, name, "min_tcb");
        r = policy_want_type(pp, v, json_type_object, tcb_name);
        if (r < 0)
                return r;
        r = policy_check_members(pp, v, tcb_name, tcb_members);
        if (r < 0)
                return r;
        if ((r = policy_u8_member(pp, v, tcb_name, "bootloader", true, &s->min_bootloader, NULL)) <
                    0 ||
            (r = policy_u8_member(pp, v, tcb_name, "tee", true, &s->min_tee, NULL)) < 0 ||
            (r = policy_u8_member(pp, v, tcb_name, "snp", true, &s->min_snp, NULL)) < 0 ||
            (r = policy_u8_member(pp, v, tcb_name, "microcode", true, &s->min_microcode, NULL)) <
                    0 ||
            (r = policy_u8_member(pp, v, tcb_name, "fmc", false, &s->min_fmc, &s->has_fmc)) < 0)
                return r;

        r = policy_bool(pp, o, name, "allow_debug", false, &s->allow_debug);
        if (r < 0)
                return r;
        r = policy_bool(pp, o, name, "allow_migration_agent", false, &s->allow_migration_agent);
        if (r < 0)
                return r;

        s->vmpl_mask = 1u << 0;
        r = policy_get(pp, o, name, "vmpl", false, &v);
        if (r < 0)
                return r;
        if (v) {
                policy_member(member, name, "vmpl");
                r = policy_want_type(pp, v, json_type_array, member);
                if (r < 0)
                        return r;
                s->vmpl_mask = 0;
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        char item[POLICY_MEMBER_MAX];

                        policy_index(item, member, i);
                        r = policy_uint(pp, json_object_array_get_idx(v, i), item, 3, &n);
                        if (r < 0)
                                return r;
                        s->vmpl_mask |= 1u << n;
                }
        }

        /* The allowed launch measurements must be listed; an empty list
         * is allowed and rejects every report. */
        r = policy_get(pp, o, name, "measurements", true, &v);
        if (r < 0)
                return r;
        policy_member(member, name, "measurements");
        r = policy_hex_list(pp, v, member, POLICY_SNP_MEASUREMENT_SIZE, &s->measurements);
        if (r < 0)
                return r;

        r = policy_get(pp, o, name, "min_guest_svn", false, &v);
        if (r < 0)
                return r;
        if (v) {
                policy_member(member, name, "min_guest_svn");
                r = policy_uint(pp, v, member, UINT32_MAX, &n);
                if (r < 0)
                        return r;
                s->min_guest_svn = (uint32_t)n;
        }

        r = policy_get(pp, o, name, "host_data", false, &v);
        if (r < 0 || !v)
                return r;
        policy_member(member, name, "host_data");
        return policy_hex_list(pp, v, member, POLICY_SNP_HOST_DATA_SIZE, &s->host_data);
}

static int policy_tdx(PolicyParser *pp, json_object *o, const char *name, PolicyTdx *t) {
        static const char *const members[] = {
                "min_tee_tcb_svn", "allow_debug", "require_ccel", "mrtd", "mrseam", "rtmr", NULL};
        static const char *const rtmr_members[] = {"0", "1", "2", "3", NULL};
        char member[POLICY_MEMBER_MAX];
        json_object *v;
        int r;

        r = policy_want_type(pp, o, json_type_object, name);
        if (r < 0)
                return r;
        r = policy_check_members(pp, o, name, members);
        if (r < 0)
                return r;
        t->present = true;

        r = policy_get(pp, o, name, "min_tee_tcb_svn", true, &v);
        if (r < 0)
                return r;
        policy_member(member, name, "min_tee_tcb_svn");
        r = policy_hex(pp, v, member, POLICY_TDX_SVN_SIZE, t->min_tee_tcb_svn);
        if (r < 0)
                return r;
        r = policy_bool(pp, o, name, "allow_debug", false, &t->allow_debug);
        if (r < 0)
                return r;
        r = policy_bool(pp, o, name, "require_ccel", false, &t->require_ccel);
        if (r < 0)
                return r;

        r = policy_get(pp, o, name, "mrtd", true, &v);
        if (r < 0)
                return r;
        policy_member(member, name, "mrtd");
        r = policy_hex_list(pp, v, member, POLICY_TDX_MR_SIZE, &t->mrtd);
        if (r < 0)
                return r;

        r = policy_get(pp, o, name, "mrseam", false, &v);
        if (r < 0)
                return r;
        if (v) {
                policy_member(member, name, "mrseam");
                r = policy_hex_list(pp, v, member, POLICY_TDX_MR_SIZE, &t->mrseam);
                if (r < 0)
                        return r;
        }

        r = policy_get(pp, o, name, "rtmr", false, &v);
        if (r < 0 || !v)
                return r;
        policy_member(member, name, "rtmr");
        r = policy_want_type(pp, v, json_type_object, member);
        if (r < 0)
                return r;
        r = policy_check_members(pp, v, member, rtmr_members);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(t->rtmr); i++) {
                char index[2] = {(char)('0' + i), 0}, item[POLICY_MEMBER_MAX];
                json_object *list;

                if (!json_object_object_get_ex(v, index, &list))
                        continue;
                policy_member(item, member, index);
                r = policy_hex_list(pp, list, item, POLICY_TDX_MR_SIZE, &t->rtmr[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int policy_pcr_index(const char *s) {
        char *end;
        long n;

        /* "7", not "07" or "+7": the same PCR must not appear twice under
         * two spellings. */
        if (!s[0] || (s[0] == '0' && s[1]) || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        n = strtol(s, &end, 10);
        if (*end || n < 0 || n >= PCR_MAX)
                return -EINVAL;
        return (int)n;
}

static int policy_tpm_pcrs(PolicyParser *pp, json_object *pcrs, PolicyTpm *t) {
        char member[POLICY_MEMBER_MAX], q[48];
        int r;

        r = policy_want_type(pp, pcrs, json_type_object, "tpm.pcrs");
        if (r < 0)
                return r;
        json_object_object_foreach(pcrs, bank, values) {
                int alg = strcmp(bank, "comment") == 0 ? 0 : tpm_alg_hash_from_name(bank);
                PolicyPcrBank *b;

                if (strcmp(bank, "comment") == 0)
                        continue;
                policy_member(member, "tpm.pcrs", bank);
                if (alg < 0)
                        return policy_error(pp, member,
                                            "unknown member '%s': not a PCR bank (sha1, "
                                            "sha256, sha384, sha512)",
                                            policy_quote(bank, q));
                if (t->n_banks >= ELEMENTSOF(t->banks))
                        return policy_error(pp, "tpm.pcrs", "names more than %zu banks",
                                            ELEMENTSOF(t->banks));
                for (size_t i = 0; i < t->n_banks; i++)
                        if (t->banks[i].alg == alg)
                                return policy_error(pp, member, "names the bank twice");
                b = &t->banks[t->n_banks++];
                b->alg = (uint16_t)alg;
                r = policy_want_type(pp, values, json_type_object, member);
                if (r < 0)
                        return r;
                json_object_object_foreach(values, index, list) {
                        char item[POLICY_MEMBER_MAX];
                        int pcr;

                        if (strcmp(index, "comment") == 0)
                                continue;
                        pcr = policy_pcr_index(index);
                        policy_member(item, member, index);
                        if (pcr < 0)
                                return policy_error(pp, item,
                                                    "unknown member '%s': not a PCR index "
                                                    "(0-23)",
                                                    policy_quote(index, q));
                        r = policy_hex_list(pp, list, item, tpm_alg_hash_size(b->alg),
                                            &b->pcr[pcr]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int policy_tpm(PolicyParser *pp, json_object *o, PolicyTpm *t) {
        static const char *const members[] = {
                "vtpm", "require_eventlog", "required", "unlogged_pcrs", "pcrs", NULL};
        json_object *v;
        char q[48];
        int r;

        r = policy_want_type(pp, o, json_type_object, "tpm");
        if (r < 0)
                return r;
        r = policy_check_members(pp, o, "tpm", members);
        if (r < 0)
                return r;
        t->present = true;
        t->vtpm = POLICY_VTPM_BOUND;
        r = policy_get(pp, o, "tpm", "vtpm", false, &v);
        if (r < 0)
                return r;
        if (v) {
                r = policy_want_type(pp, v, json_type_string, "tpm.vtpm");
                if (r < 0)
                        return r;
                t->vtpm = policy_vtpm_from_string(json_object_get_string(v));
                if (t->vtpm < 0)
                        return policy_error(pp, "tpm.vtpm",
                                            "'%s' is not \"bound\", \"cloud\" or \"ignore\"",
                                            policy_quote(json_object_get_string(v), q));
        }
        r = policy_bool(pp, o, "tpm", "require_eventlog", true, &t->require_eventlog);
        if (r < 0)
                return r;
        r = policy_bool(pp, o, "tpm", "required", true, &t->required);
        if (r < 0)
                return r;
        r = policy_get(pp, o, "tpm", "unlogged_pcrs", false, &v);
        if (r < 0)
                return r;
        if (v) {
                r = policy_want_type(pp, v, json_type_array, "tpm.unlogged_pcrs");
                if (r < 0)
                        return r;
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        char item[POLICY_MEMBER_MAX];
                        uint64_t n;

                        policy_index(item, "tpm.unlogged_pcrs", i);
                        r = policy_uint(pp, json_object_array_get_idx(v, i), item, PCR_MAX - 1, &n);
                        if (r < 0)
                                return r;
                        t->unlogged_mask |= 1u << n;
                }
        }
        r = policy_get(pp, o, "tpm", "pcrs", false, &v);
        if (r < 0 || !v)
                return r;
        return policy_tpm_pcrs(pp, v, t);
}

/* What a resource path segment may be: what the server accepts in a
 * request path, so that a rule can match at all. */
static bool policy_segment_ok(const char *s, size_t n) {
        if (n == 0 || n >= 64)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        /* "." and ".." mean something else in a path. */
        return !(s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.')));
}

static bool policy_uuid_ok(const char *s) {
        if (strlen(s) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;

                if (dash ? s[i] != '-'
                         : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return true;
}

static bool policy_tee_appraised(KbsTee t) {
        return t == KBS_TEE_SNP || t == KBS_TEE_TDX || t == KBS_TEE_AZ_SNP_VTPM ||
               t == KBS_TEE_AZ_TDX_VTPM || t == KBS_TEE_TPM;
}

static bool policy_tee_has_rules(const Policy *p, KbsTee t) {
        switch (t) {
        case KBS_TEE_SNP:
                return p->snp.present;
        case KBS_TEE_TDX:
                return p->tdx.present;
        case KBS_TEE_AZ_SNP_VTPM:
                return p->az_snp.present || p->snp.present;
        case KBS_TEE_AZ_TDX_VTPM:
                return p->az_tdx.present || p->tdx.present;
        case KBS_TEE_TPM:
                return p->tpm.present;
        default:
                return false;
        }
}

static int policy_resource_path(PolicyParser *pp, json_object *v, const char *member,
                                PolicyResource *res) {
        const char *s, *slash1, *slash2;
        char q[48];
        int r;

        r = policy_want_type(pp, v, json_type_string, member);
        if (r < 0)
                return r;
        s = json_object_get_string(v);
        slash1 = strchr(s, '/');
        slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
        if (!slash1 || !slash2 || strchr(slash2 + 1, '/'))
                return policy_error(pp, member, "'%s' is not REPO/TYPE/TAG", policy_quote(s, q));
        if (!policy_segment_ok(s, (size_t)(slash1 - s)) ||
            !policy_segment_ok(slash1 + 1, (size_t)(slash2 - slash1 - 1)) ||
            !(strcmp(slash2 + 1, "*") == 0 || policy_segment_ok(slash2 + 1, strlen(slash2 + 1))))
                return policy_error(pp, member,
                                    "'%s': each of REPO/TYPE/TAG must be 1-63 of A-Z a-z 0-9 . _ "
                                    "- (not . or ..), TAG may be *",
                                    policy_quote(s, q));
        memcpy(res->repo, s, (size_t)(slash1 - s));
        memcpy(res->type, slash1 + 1, (size_t)(slash2 - slash1 - 1));
        strcpy(res->tag, slash2 + 1);
        return 0;
}

static int policy_resource(PolicyParser *pp, json_object *o, const char *prefix,
                           PolicyResource *res) {
        static const char *const members[] = {"path", "kind", "tees", NULL};
        char member[POLICY_MEMBER_MAX], q[48];
        json_object *v;
        int r;

        r = policy_want_type(pp, o, json_type_object, prefix);
        if (r < 0)
                return r;
        r = policy_check_members(pp, o, prefix, members);
        if (r < 0)
                return r;

        r = policy_get(pp, o, prefix, "path", true, &v);
        if (r < 0)
                return r;
        policy_member(member, prefix, "path");
        r = policy_resource_path(pp, v, member, res);
        if (r < 0)
                return r;

        r = policy_get(pp, o, prefix, "kind", true, &v);
        if (r < 0)
                return r;
        policy_member(member, prefix, "kind");
        r = policy_want_type(pp, v, json_type_string, member);
        if (r < 0)
                return r;
        res->kind = resource_kind_from_string(json_object_get_string(v));
        if (res->kind < 0)
                return policy_error(pp, member, "'%s' is not \"disk-key\" or \"join-bundle\"",
                                    policy_quote(json_object_get_string(v), q));
        /* A disk key is derived from the disk's UUID, which is the tag. */
        if (res->kind == RESOURCE_DISK_KEY && strcmp(res->tag, "*") != 0 &&
            !policy_uuid_ok(res->tag)) {
                policy_member(member, prefix, "path");
                return policy_error(pp, member,
                                    "a disk-key's tag must be * or a lower-case UUID, not '%s'",
                                    policy_quote(res->tag, q));
        }

        r = policy_get(pp, o, prefix, "tees", true, &v);
        if (r < 0)
                return r;
        policy_member(member, prefix, "tees");
        r = policy_want_type(pp, v, json_type_array, member);
        if (r < 0)
                return r;
        if (json_object_array_length(v) == 0)
                return policy_error(pp, member, "is empty: no evidence could fetch the resource");
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *t = json_object_array_get_idx(v, i);
                char item[POLICY_MEMBER_MAX];
                KbsTee tee;

                policy_index(item, member, i);
                r = policy_want_type(pp, t, json_type_string, item);
                if (r < 0)
                        return r;
                tee = kbs_tee_from_string(json_object_get_string(t));
                if (tee < 0 || !policy_tee_appraised(tee))
                        return policy_error(pp, item,
                                            "'%s' is not a TEE this verifier appraises (snp, "
                                            "tdx, az-snp-vtpm, az-tdx-vtpm, tpm)",
                                            policy_quote(json_object_get_string(t), q));
                if (!policy_tee_has_rules(pp->p, tee))
                        return policy_error(pp, item,
                                            "'%s' evidence is never accepted: the policy has no "
                                            "rules for it (%s section)",
                                            kbs_tee_to_string(tee),
                                            tee == KBS_TEE_AZ_SNP_VTPM   ? "snp or az-snp-vtpm"
                                            : tee == KBS_TEE_AZ_TDX_VTPM ? "tdx or az-tdx-vtpm"
                                                                         : kbs_tee_to_string(tee));
                res->tees |= 1u << tee;
        }
        return 0;
}

static int policy_resources(PolicyParser *pp, json_object *list) {
        Policy *p = pp->p;
        char member[POLICY_MEMBER_MAX];
        size_t n;
        int r;

        r = policy_want_type(pp, list, json_type_array, "resources");
        if (r < 0)
                return r;
        n = json_object_array_length(list);
        if (n > POLICY_MAX_RESOURCES)
                return policy_error(pp, "resources", "lists %zu resources, more than %u", n,
                                    POLICY_MAX_RESOURCES);
        if (n == 0)
                return 0;
        p->resources = calloc(n, sizeof(*p->resources));
        if (!p->resources)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                PolicyResource *res = &p->resources[i];

                policy_index(member, "resources", i);
                r = policy_resource(pp, json_object_array_get_idx(list, i), member, res);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(p->resources[j].repo, res->repo) == 0 &&
                            strcmp(p->resources[j].type, res->type) == 0 &&
                            strcmp(p->resources[j].tag, res->tag) == 0)
                                return policy_error(pp, member,
                                                    "repeats the path of resources[%zu]", j);
                p->n_resources++;
        }
        return 0;
}

static int policy_parse(PolicyParser *pp, json_object *j) {
        static const char *const members[] = {"version", "anchors",     "snp",
                                              "tdx",     "az-snp-vtpm", "az-tdx-vtpm",
                                              "tpm",     "resources",   NULL};
        Policy *p = pp->p;
        json_object *v;
        uint64_t version;
        int r;

        r = policy_want_type(pp, j, json_type_object, NULL);
        if (r < 0)
                return r;
        r = policy_check_members(pp, j, NULL, members);
        if (r < 0)
                return r;
        r = policy_get(pp, j, NULL, "version", true, &v);
        if (r < 0)
                return r;
        r = policy_uint(pp, v, "version", UINT32_MAX, &version);
        if (r < 0)
                return r;
        if (version != 1)
                return policy_error(pp, "version", "%llu is not 1, the version this verifier reads",
                                    (unsigned long long)version);

        r = policy_anchors(pp, j);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(j, "snp", &v) && (r = policy_snp(pp, v, "snp", &p->snp)) < 0)
                return r;
        if (json_object_object_get_ex(j, "az-snp-vtpm", &v) &&
            (r = policy_snp(pp, v, "az-snp-vtpm", &p->az_snp)) < 0)
                return r;
        if (json_object_object_get_ex(j, "tdx", &v) && (r = policy_tdx(pp, v, "tdx", &p->tdx)) < 0)
                return r;
        if (json_object_object_get_ex(j, "az-tdx-vtpm", &v) &&
            (r = policy_tdx(pp, v, "az-tdx-vtpm", &p->az_tdx)) < 0)
                return r;
        if (json_object_object_get_ex(j, "tpm", &v) && (r = policy_tpm(pp, v, &p->tpm)) < 0)
                return r;

        /* Rules without an anchor to check the evidence against would
         * reject everything; say so now, not at the first attestation. */
        if ((p->snp.present || p->az_snp.present) && sk_X509_num(p->amd_arks) == 0)
                return policy_error(pp, "anchors.amd_ark",
                                    "the %s section needs at least one AMD ARK to trust (there is "
                                    "no built-in one)",
                                    p->snp.present ? "snp" : "az-snp-vtpm");
        if ((p->tdx.present || p->az_tdx.present) && sk_X509_num(p->intel_roots) == 0)
                return policy_error(pp, "anchors.intel_root_ca",
                                    "the %s section needs an Intel root CA: list one, or leave "
                                    "anchors.builtin true",
                                    p->tdx.present ? "tdx" : "az-tdx-vtpm");

        if (json_object_object_get_ex(j, "resources", &v) && (r = policy_resources(pp, v)) < 0)
                return r;
        return 0;
}

int policy_from_json(json_object *j, const char *origin, Policy **ret, char *err, size_t err_size) {
        _cleanup_(policy_freep) Policy *p = calloc(1, sizeof(*p));
        _cleanup_free_ char *copy = NULL;
        PolicyParser pp = {.origin = origin ?: "<policy>", .err = err, .err_size = err_size};
        int r;

        if (err && err_size > 0)
                err[0] = 0;
        if (!p)
                return -ENOMEM;
        p->origin = strdup(pp.origin);
        p->amd_arks = sk_X509_new_null();
        p->amd_certs = sk_X509_new_null();
        p->intel_roots = sk_X509_new_null();
        p->intel_crls = sk_X509_CRL_new_null();
        if (!p->origin || !p->amd_arks || !p->amd_certs || !p->intel_roots || !p->intel_crls)
                return -ENOMEM;
        /* Anchor paths are relative to the directory of the file named by
         * origin (the working directory for an origin without one). */
        if (origin && strchr(origin, '/')) {
                copy = strdup(origin);
                if (!copy)
                        return -ENOMEM;
                pp.dir = dirname(copy);
        }
        pp.p = p;
        r = policy_parse(&pp, j);
        if (r < 0) {
                if (r == -ENOMEM && err && err_size > 0)
                        snprintf(err, err_size, "%s: out of memory", pp.origin);
                return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_load(const char *path, Policy **ret, char *err, size_t err_size) {
        static const JsonParseLimits limits = {
                .max_size = POLICY_MAX_FILE,
                .max_depth = POLICY_MAX_DEPTH,
                .max_values = 4 * POLICY_MAX_VALUES * (PCR_MAX + 8),
        };
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        ParseError perr = {};
        char buf[256];
        size_t size;
        int r;

        if (err && err_size > 0)
                err[0] = 0;
        r = read_full_file(path, POLICY_MAX_FILE, &data, &size);
        if (r < 0) {
                if (err && err_size > 0)
                        snprintf(err, err_size, "%s: cannot be read: %s%s", path, strerror(-r),
                                 r == -EFBIG ? " (a policy is at most 1 MiB)" : "");
                return r;
        }
        r = json_parse_bounded(data, size, &limits, &j, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (err && err_size > 0)
                        snprintf(err, err_size, "%s: not valid JSON: %s", path,
                                 parse_error_string(&perr, buf, sizeof(buf)));
                return -EINVAL;
        }
        return policy_from_json(j, path, ret, err, err_size);
}

static bool policy_resource_matches(const PolicyResource *res, const char *repo, const char *type,
                                    const char *tag) {
        return strcmp(res->repo, repo) == 0 && strcmp(res->type, type) == 0 &&
               (strcmp(res->tag, "*") == 0 || strcmp(res->tag, tag) == 0);
}

const PolicyResource *policy_find_resource(const Policy *p, const char *repo, const char *type,
                                           const char *tag) {
        const PolicyResource *wildcard = NULL;

        if (!repo || !type || !tag)
                return NULL;
        /* A rule for this very tag wins over one for any tag. */
        for (size_t i = 0; i < p->n_resources; i++) {
                const PolicyResource *res = &p->resources[i];

                if (!policy_resource_matches(res, repo, type, tag))
                        continue;
                if (strcmp(res->tag, "*") != 0)
                        return res;
                if (!wildcard)
                        wildcard = res;
        }
        return wildcard;
}
