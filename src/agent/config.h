#pragma once

/* The agent's configuration: /etc/confnode/confnode.conf, then every
 * every confnode.conf.d/NAME.conf beside it in lexical order (later files win).
 * Every option lives in one table (config.c), which also feeds
 * `confnode check-config --options` and the README. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "confnode/basic/cleanup.h"
#include "confnode/disk/disk.h"
#include "confnode/kubelet/handoff.h"
#include "confnode/tpm/pcr-selection.h"

#define CONFIG_DEFAULT_PATH "/etc/confnode/confnode.conf"

typedef enum AkAlgorithm {
        AK_ALG_RSA2048,
        AK_ALG_ECC_P256,
        _AK_ALG_MAX,
        _AK_ALG_INVALID = -22,
} AkAlgorithm;

typedef struct Config {
        /* [agent] */
        int log_level;         /* syslog level */
        char *tee;             /* a TeeSource name: "auto", "none", "tsm", … */
        char *eventlog_path;   /* measured-boot log */
        char *tsm_path;        /* configfs-tsm report directory */
        char *sev_guest_path;  /* /dev/sev-guest */
        char *tdx_guest_path;  /* /dev/tdx_guest */
        /* [tpm] */
        char *tcti;            /* tpm2-tss TCTI configuration string */
        uint32_t ak_handle;    /* persistent handle, 0 = transient AK */
        AkAlgorithm ak_algorithm;
        PcrSelection pcrs;
        /* [verifier] */
        char **verifier_urls;  /* NULL-terminated */
        char *verifier_ca;     /* PEM file the verifier's certificate chains to */
        bool use_system_trust; /* also trust the system's CA store */
        uint64_t connect_timeout_ms;
        uint64_t request_timeout_ms;
        uint64_t retry_initial_ms;
        uint64_t retry_max_ms;
        uint64_t retry_deadline_ms;  /* 0: retry forever */
        uint64_t rejection_retry_ms;
        char *resource_disk;   /* KBS path template, "{uuid}" = the disk's LUKS UUID */
        char *resource_join;   /* KBS path of the kubelet join bundle */
        /* [disk] */
        char *disk_device;     /* the state disk, NULL when not configured */
        char *disk_mountpoint; /* the encrypted file system */
        char **disk_binds;     /* NULL-terminated, bind-mounted from the mountpoint; NULL: none */
        DiskPbkdf disk_pbkdf;
        uint32_t disk_pbkdf_iterations; /* 0: minimum (pbkdf2) or benchmark (argon2id) */
        DiskIntegrity disk_integrity;
        DiskFs disk_fs;
        bool disk_discard;
        bool disk_fsck;
        /* [kubelet] */
        KubeletConfig kubelet; /* paths of the handoff (kubelet_handoff()) */
} Config;

typedef struct ConfigProblem {
        char *file; /* NULL for the command line */
        unsigned line;
        char *key;  /* "section.key", or NULL */
        char *what;
} ConfigProblem;

typedef struct ConfigSource {
        char *file;
        unsigned line;
} ConfigSource;

typedef struct ConfigLoad {
        Config config;
        ConfigSource *sources; /* one per option, file NULL = default */
        ConfigProblem *problems;
        size_t n_problems;
        char **files;          /* files read, in order */
        size_t n_files;
} ConfigLoad;

/* Loads path (or the default) plus its drop-ins. Missing main file: defaults
 * apply (and a problem is recorded only when path was given explicitly).
 * Returns 0 even when problems were found; -errno only on ENOMEM. */
int config_load(const char *path, bool explicit_path, ConfigLoad *ret);
void config_load_done(ConfigLoad *l);

/* Applies a command-line override ("tpm.tcti" = value); problems as above. */
int config_set(ConfigLoad *l, const char *key, const char *value);

/* Checks cross-option rules and required options; adds problems. */
void config_validate(ConfigLoad *l);

void config_print_effective(const ConfigLoad *l, FILE *f);
void config_print_problems(const ConfigLoad *l, FILE *f);
/* "file:line: section.key: what is wrong" */
const char *config_problem_format(const ConfigProblem *p, char *buf, size_t size);
/* The option table as a Markdown table (the README carries the same text). */
void config_print_options_markdown(FILE *f);
const char *ak_algorithm_to_string(AkAlgorithm a);

/* The placeholder of [verifier] resource_disk that the disk's UUID replaces. */
#define CONFIG_UUID_PLACEHOLDER "{uuid}"

/* A duration as the configuration writes it: a number (decimals allowed)
 * with an optional unit, ms, s (the default), min or h. -EINVAL otherwise,
 * or when over 30 days. */
int config_parse_duration(const char *s, uint64_t *ret_ms);
/* The shortest exact form: "0", "250ms", "1.5s", "60s"... */
void config_format_duration(uint64_t ms, char *buf, size_t size);
/* The resource path for a template: "{uuid}" replaced by uuid (which may
 * be NULL if the template has no placeholder). -EINVAL if the result is
 * not a repo/type/tag path. */
int config_resource_path(const char *template, const char *uuid, char **ret);

/* The [disk] options as the disk module takes them; borrows c's strings. */
void config_disk(const Config *c, DiskConfig *ret);
