#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "confnode/basic/cleanup.h"
#include "confnode/evidence/tee-detect.h"
#include "confnode/kbs/kbs-client.h"

typedef enum OptionType {
        OPT_STRING,
        OPT_PATH,
        OPT_LOG_LEVEL,
        OPT_TEE,
        OPT_HANDLE,
        OPT_AK_ALG,
        OPT_PCRS,
        OPT_URLS,
        OPT_BOOL,
        OPT_DURATION,  /* > 0 */
        OPT_DURATION0, /* 0 allowed */
        OPT_RESOURCE,
        OPT_DISK_DEVICE,    /* absolute path, PARTLABEL=name or ID=name */
        OPT_PATHS,          /* absolute paths, space separated; empty = none */
        OPT_DISK_PBKDF,
        OPT_DISK_INTEGRITY,
        OPT_DISK_FS,
        OPT_ITERATIONS,     /* 0 = default */
} OptionType;

typedef struct Option {
        const char *section;
        const char *key;
        OptionType type;
        size_t offset;
        const char *def;      /* default as text, NULL = unset */
        bool required;
        const char *values;   /* allowed values, for the docs */
        const char *description;
} Option;

#define OFF(f) offsetof(Config, f)

/* The one table of options. README.md carries the output of
 * `confnode check-config --options`; a test keeps the two equal. */
static const Option options[] = {
        { "agent", "log_level", OPT_LOG_LEVEL, OFF(log_level), "info", false,
          "`debug`, `info`, `notice`, `warning`, `err`",
          "Most verbose level logged (`--verbose` forces `debug`)." },
        { "agent", "tee", OPT_TEE, OFF(tee), "auto", false,
          "`auto`, `none`, `tsm`, `sev-guest`, `tdx-guest`, `azure`",
          "Where to take the TEE report from. `auto` tries configfs-tsm, the SEV-SNP and TDX guest devices, then "
          "Azure's HCL report in vTPM NV, and goes on without one if none answers; a named one must answer; "
          "`none` collects only vTPM evidence." },
        { "agent", "eventlog", OPT_PATH, OFF(eventlog_path),
          "/sys/kernel/security/tpm0/binary_bios_measurements", false, "absolute path",
          "TCG measured-boot event log (crypto-agile) sent with the quote." },
        { "agent", "tsm_path", OPT_PATH, OFF(tsm_path), "/sys/kernel/config/tsm/report", false, "absolute path",
          "configfs-tsm report directory (`tee = tsm`): SEV-SNP reports with their certificates, TDX quotes." },
        { "agent", "sev_guest_path", OPT_PATH, OFF(sev_guest_path), "/dev/sev-guest", false, "absolute path",
          "SEV-SNP guest device (`tee = sev-guest`): SNP_GET_EXT_REPORT, or SNP_GET_REPORT without certificates." },
        { "agent", "tdx_guest_path", OPT_PATH, OFF(tdx_guest_path), "/dev/tdx_guest", false, "absolute path",
          "TDX guest device (`tee = tdx-guest`): a TD report only; a quote a verifier can check needs configfs-tsm." },
        { "tpm", "tcti", OPT_STRING, OFF(tcti), "device:/dev/tpmrm0", false,
          "tpm2-tss TCTI string", "How to reach the TPM (`--tcti` overrides), e.g. `swtpm:host=127.0.0.1,port=2321`." },
        { "tpm", "ak_handle", OPT_HANDLE, OFF(ak_handle), NULL, false,
          "`0x81000000`-`0x81FFFFFF`",
          "Persistent handle of the attestation key; created there on first use. Unset: a transient AK per run." },
        { "tpm", "ak_algorithm", OPT_AK_ALG, OFF(ak_algorithm), "rsa2048", false, "`rsa2048`, `ecc-p256`",
          "Attestation key type (RSASSA-SHA256 or ECDSA-SHA256), created in the endorsement hierarchy." },
        { "tpm", "pcrs", OPT_PCRS, OFF(pcrs), "sha256:0-9,11-14", false, "`BANK:LIST[+BANK:LIST]`",
          "PCRs `confnode collect` quotes, e.g. `sha256:0-7,9` or `sha1:0-7+sha256:0-7`. The KBS evidence of "
          "`boot` and `attest` always quotes the SHA-256 PCRs 0-23, the form Trustee's verifiers read." },
        { "verifier", "url", OPT_URLS, OFF(verifier_urls), NULL, true, "`https://` URLs, space separated",
          "Verifier (KBS) endpoints, tried in turn." },
        { "verifier", "ca", OPT_PATH, OFF(verifier_ca), NULL, false, "absolute path",
          "**Required with `url`.** PEM file of the CA(s) the verifier's TLS certificate must chain to; "
          "nothing else is trusted unless `use_system_trust` is set." },
        { "verifier", "use_system_trust", OPT_BOOL, OFF(use_system_trust), "no", false, "`yes`, `no`",
          "Also accept verifier certificates that chain to the system's CA store." },
        { "verifier", "connect_timeout", OPT_DURATION, OFF(connect_timeout_ms), "10s", false,
          "duration (`ms`, `s`, `min`, `h`)", "Longest wait for a TCP and TLS connection to an endpoint." },
        { "verifier", "request_timeout", OPT_DURATION, OFF(request_timeout_ms), "30s", false, "duration",
          "Longest wait for one whole request and its answer." },
        { "verifier", "retry_initial", OPT_DURATION, OFF(retry_initial_ms), "1s", false, "duration",
          "Base of the first retry after a transient failure (no answer, timeout, 5xx, 429, a garbled "
          "reply); each retry doubles it up to `retry_max`, and the actual wait is half to all of it "
          "(jitter). A `Retry-After` from the verifier is waited out (up to 10 min)." },
        { "verifier", "retry_max", OPT_DURATION, OFF(retry_max_ms), "60s", false, "duration",
          "Cap on the retry base." },
        { "verifier", "retry_deadline", OPT_DURATION0, OFF(retry_deadline_ms), "0", false,
          "duration, `0` = never", "Give up (the boot fails) when no endpoint released the resources "
          "this long after the first try; `0` retries forever." },
        { "verifier", "rejection_retry", OPT_DURATION, OFF(rejection_retry_ms), "60s", false, "duration",
          "Wait after the verifier rejected the evidence (its reason is logged as `CONFNODE_REASON=`) "
          "before attesting again, for reference values to be updated." },
        { "verifier", "resource_disk", OPT_RESOURCE, OFF(resource_disk), "confnode/disk-key/{uuid}", false,
          "KBS path `repo/type/tag`", "Resource holding the state disk's key; `{uuid}` is replaced by the "
          "disk's LUKS UUID." },
        { "verifier", "resource_join", OPT_RESOURCE, OFF(resource_join), "confnode/kubelet/join", false,
          "KBS path `repo/type/tag`", "Resource holding the kubelet join bundle." },
        { "disk", "device", OPT_DISK_DEVICE, OFF(disk_device), NULL, false,
          "absolute path, `PARTLABEL=name`, `ID=name`",
          "The state disk (`PARTLABEL=` and `ID=` look in /dev/disk/by-partlabel and by-id); never the disk "
          "the root file system is on. Blank: formatted on first boot; confnode's LUKS2: unlocked; anything "
          "else: refused (docs/disk.md). Unset: no disk key is asked for and the boot stops at the disk "
          "phase." },
        { "disk", "mountpoint", OPT_PATH, OFF(disk_mountpoint), "/var/lib/confnode/state", false,
          "absolute path", "Where the encrypted file system is mounted." },
        { "disk", "bind", OPT_PATHS, OFF(disk_binds), "/var/lib/kubelet /var/lib/containerd /var/log/pods", false,
          "absolute paths, space separated", "Directories bind-mounted from `mountpoint`/PATH (created on "
          "first boot), so the node's state lands on the encrypted disk." },
        { "disk", "fs", OPT_DISK_FS, OFF(disk_fs), "ext4", false, "`ext4`, `xfs`",
          "File system made on first boot (an existing disk keeps the one its header names)." },
        { "disk", "pbkdf", OPT_DISK_PBKDF, OFF(disk_pbkdf), "pbkdf2", false, "`pbkdf2`, `argon2id`",
          "Key derivation of the LUKS2 keyslot. The released key is 256 random bits, so PBKDF2-SHA256 at "
          "the minimum iterations costs nothing in security and opens in about a millisecond." },
        { "disk", "pbkdf_iterations", OPT_ITERATIONS, OFF(disk_pbkdf_iterations), "0", false,
          "number, `0` = default", "PBKDF2 iterations (at least 1000) or argon2id passes; `0`: 1000 for "
          "PBKDF2, cryptsetup's benchmark for argon2id." },
        { "disk", "integrity", OPT_DISK_INTEGRITY, OFF(disk_integrity), "none", false, "`none`, `hmac-sha256`",
          "`hmac-sha256` adds dm-integrity (authenticated encryption) at first format; the first boot then "
          "writes the whole disk once." },
        { "disk", "discard", OPT_BOOL, OFF(disk_discard), "no", false, "`yes`, `no`",
          "Pass discards (TRIM) through dm-crypt; off by default, as they reveal which blocks are free." },
        { "disk", "fsck", OPT_BOOL, OFF(disk_fsck), "no", false, "`yes`, `no`",
          "Check the file system before mounting (`e2fsck -p` / `xfs_repair -n`)." },
        { "kubelet", "bootstrap_kubeconfig", OPT_PATH, OFF(kubelet.bootstrap_kubeconfig),
          KUBELET_DEFAULT_BOOTSTRAP_KUBECONFIG, false, "absolute path",
          "Bootstrap kubeconfig written from the join bundle (API server, `ca_file`, bootstrap token; mode "
          "0600), passed to kubelet as `--bootstrap-kubeconfig`." },
        { "kubelet", "kubeconfig", OPT_PATH, OFF(kubelet.kubeconfig), KUBELET_DEFAULT_KUBECONFIG, false,
          "absolute path", "Passed to kubelet as `--kubeconfig`: where kubelet keeps the credentials it "
          "obtains by TLS bootstrap. confnode does not write it." },
        { "kubelet", "ca_file", OPT_PATH, OFF(kubelet.ca_file), KUBELET_DEFAULT_CA_FILE, false, "absolute path",
          "The cluster CA from the join bundle (PEM, mode 0644), named by the bootstrap kubeconfig." },
        { "kubelet", "env_file", OPT_PATH, OFF(kubelet.env_file), KUBELET_DEFAULT_ENV_FILE, false,
          "absolute path", "Environment file setting `KUBELET_KUBECONFIG_ARGS` and "
          "`KUBELET_BOOTSTRAP_KUBECONFIG_ARGS`, written last; kubelet.service reads it through the "
          "`10-confnode.conf` drop-in, which names this default path." },
};

#undef OFF

static const char *const log_levels[] = {
        [LOG_DEBUG] = "debug", [LOG_INFO] = "info", [LOG_NOTICE] = "notice",
        [LOG_WARNING] = "warning", [LOG_ERR] = "err",
};

static const char *const ak_algs[_AK_ALG_MAX] = {
        [AK_ALG_RSA2048] = "rsa2048",
        [AK_ALG_ECC_P256] = "ecc-p256",
};

const char *ak_algorithm_to_string(AkAlgorithm a) {
        if (a < 0 || a >= _AK_ALG_MAX)
                return NULL;
        return ak_algs[a];
}

#define CONFIG_DURATION_MAX_MS (30ull * 24 * 3600 * 1000)

int config_parse_duration(const char *s, uint64_t *ret_ms) {
        static const struct {
                const char *unit;
                double ms;
        } units[] = { { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "min", 60000 }, { "h", 3600000 } };
        size_t n = strspn(s, "0123456789.");
        const char *dot = memchr(s, '.', n);
        char *end;
        double v;

        /* Digits with at most one dot and a digit on each side: no sign,
         * exponent or hex form strtod would take. */
        if (n == 0 || s[0] == '.' || s[n - 1] == '.' || (dot && memchr(dot + 1, '.', n - (size_t)(dot - s) - 1)))
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end != s + n)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                double ms;

                if (strcmp(s + n, units[i].unit) != 0)
                        continue;
                ms = v * units[i].ms;
                if (ms > (double) CONFIG_DURATION_MAX_MS)
                        return -EINVAL;
                *ret_ms = (uint64_t)(ms + 0.5);
                return 0;
        }
        return -EINVAL;
}

void config_format_duration(uint64_t ms, char *buf, size_t size) {
        if (ms == 0)
                snprintf(buf, size, "0");
        else if (ms % 3600000 == 0)
                snprintf(buf, size, "%" PRIu64 "h", ms / 3600000);
        else if (ms % 60000 == 0 && ms >= 600000)
                snprintf(buf, size, "%" PRIu64 "min", ms / 60000);
        else if (ms % 1000 == 0)
                snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
        else if (ms < 1000)
                snprintf(buf, size, "%" PRIu64 "ms", ms);
        else {
                char frac[8];
                size_t len;

                snprintf(frac, sizeof(frac), "%03" PRIu64, ms % 1000);
                len = strlen(frac);
                while (len > 0 && frac[len - 1] == '0')
                        frac[--len] = 0;
                snprintf(buf, size, "%" PRIu64 ".%ss", ms / 1000, frac);
        }
}

int config_resource_path(const char *template, const char *uuid, char **ret) {
        const char *ph = strstr(template, CONFIG_UUID_PLACEHOLDER);
        char *path;

        if (ph && !uuid)
                return -EINVAL;
        if (ph) {
                if (asprintf(&path, "%.*s%s%s", (int) (ph - template), template, uuid,
                             ph + strlen(CONFIG_UUID_PLACEHOLDER)) < 0)
                        return -ENOMEM;
        } else {
                path = strdup(template);
                if (!path)
                        return -ENOMEM;
        }
        if (!kbs_resource_path_valid(path)) {
                free(path);
                return -EINVAL;
        }
        *ret = path;
        return 0;
}

static size_t option_index(const Option *o) {
        return (size_t)(o - options);
}

static const Option *option_find(const char *section, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(options); i++)
                if (strcmp(options[i].section, section) == 0 && strcmp(options[i].key, key) == 0)
                        return &options[i];
        return NULL;
}

static bool section_known(const char *section) {
        for (size_t i = 0; i < ELEMENTSOF(options); i++)
                if (strcmp(options[i].section, section) == 0)
                        return true;
        return false;
}

static void strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

static int add_problem(ConfigLoad *l, const char *file, unsigned line, const char *key,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int add_problem(ConfigLoad *l, const char *file, unsigned line, const char *key,
                       const char *fmt, ...) {
        ConfigProblem *n;
        va_list ap;
        char *what;

        va_start(ap, fmt);
        if (vasprintf(&what, fmt, ap) < 0) {
                va_end(ap);
                return -ENOMEM;
        }
        va_end(ap);
        n = realloc(l->problems, (l->n_problems + 1) * sizeof(*n));
        if (!n) {
                free(what);
                return -ENOMEM;
        }
        l->problems = n;
        n[l->n_problems++] = (ConfigProblem){
                .file = file ? strdup(file) : NULL,
                .line = line,
                .key = key ? strdup(key) : NULL,
                .what = what,
        };
        return 0;
}

/* Parses value for option o into the config. On a bad value, writes a
 * sentence into err and returns -EINVAL; the config is left unchanged. */
static int option_apply(const Option *o, Config *c, const char *value, char *err, size_t err_size) {
        void *field = (uint8_t *) c + o->offset;

        switch (o->type) {
        case OPT_STRING:
        case OPT_PATH:
        case OPT_TEE: {
                char *s;

                if (!*value) {
                        snprintf(err, err_size, "empty value");
                        return -EINVAL;
                }
                if (o->type == OPT_PATH && value[0] != '/') {
                        snprintf(err, err_size, "'%s' is not an absolute path", value);
                        return -EINVAL;
                }
                if (o->type == OPT_TEE && tee_source_from_string(value) < 0) {
                        snprintf(err, err_size,
                                 "'%s' is not a known TEE (auto, none, tsm, sev-guest, tdx-guest, azure)", value);
                        return -EINVAL;
                }
                s = strdup(value);
                if (!s)
                        return -ENOMEM;
                free(*(char **) field);
                *(char **) field = s;
                return 0;
        }
        case OPT_LOG_LEVEL:
                for (size_t i = 0; i < ELEMENTSOF(log_levels); i++)
                        if (log_levels[i] && strcasecmp(log_levels[i], value) == 0) {
                                *(int *) field = (int) i;
                                return 0;
                        }
                snprintf(err, err_size, "'%s' is not a log level (debug, info, notice, warning, err)", value);
                return -EINVAL;
        case OPT_AK_ALG:
                for (int i = 0; i < _AK_ALG_MAX; i++)
                        if (strcasecmp(ak_algs[i], value) == 0) {
                                *(AkAlgorithm *) field = (AkAlgorithm) i;
                                return 0;
                        }
                snprintf(err, err_size, "'%s' is not an AK algorithm (rsa2048, ecc-p256)", value);
                return -EINVAL;
        case OPT_HANDLE: {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(value, &end, 0);
                if (errno != 0 || end == value || *end != 0 || v < 0x81000000UL || v > 0x81FFFFFFUL) {
                        snprintf(err, err_size, "'%s' is not a persistent handle (0x81000000-0x81FFFFFF)", value);
                        return -EINVAL;
                }
                *(uint32_t *) field = (uint32_t) v;
                return 0;
        }
        case OPT_BOOL: {
                static const char *const yes[] = { "yes", "true", "on", "1" };
                static const char *const no[] = { "no", "false", "off", "0" };

                for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                        if (strcasecmp(value, yes[i]) == 0) {
                                *(bool *) field = true;
                                return 0;
                        }
                        if (strcasecmp(value, no[i]) == 0) {
                                *(bool *) field = false;
                                return 0;
                        }
                }
                snprintf(err, err_size, "'%s' is not a boolean (yes, no)", value);
                return -EINVAL;
        }
        case OPT_DURATION:
        case OPT_DURATION0: {
                uint64_t ms;

                if (config_parse_duration(value, &ms) < 0) {
                        snprintf(err, err_size,
                                 "'%s' is not a duration (a number with ms, s, min or h; at most 30 days)", value);
                        return -EINVAL;
                }
                if (ms == 0 && o->type == OPT_DURATION) {
                        snprintf(err, err_size, "must be more than 0");
                        return -EINVAL;
                }
                *(uint64_t *) field = ms;
                return 0;
        }
        case OPT_RESOURCE: {
                _cleanup_free_ char *path = NULL;
                char *v;
                int r;

                r = config_resource_path(value, "00000000-0000-0000-0000-000000000000", &path);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        snprintf(err, err_size,
                                 "'%s' is not a KBS resource path (repo/type/tag, each 1-64 of A-Z a-z 0-9 . _ -%s)",
                                 value, o->offset == offsetof(Config, resource_disk) ? "; {uuid} for the disk's UUID" : "");
                        return -EINVAL;
                }
                v = strdup(value);
                if (!v)
                        return -ENOMEM;
                free(*(char **) field);
                *(char **) field = v;
                return 0;
        }
        case OPT_DISK_DEVICE: {
                const char *name = strncmp(value, "PARTLABEL=", 10) == 0 ? value + 10
                                   : strncmp(value, "ID=", 3) == 0       ? value + 3
                                                                         : NULL;
                char *v;

                if (name ? !name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0
                         : value[0] != '/') {
                        snprintf(err, err_size, "'%s' is not an absolute path, PARTLABEL=name or ID=name", value);
                        return -EINVAL;
                }
                v = strdup(value);
                if (!v)
                        return -ENOMEM;
                free(*(char **) field);
                *(char **) field = v;
                return 0;
        }
        case OPT_PATHS: {
                _cleanup_free_ char *copy = strdup(value);
                char **v = NULL, *save = NULL;
                size_t n = 0;

                if (!copy)
                        return -ENOMEM;
                for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                        char **nv;

                        if (t[0] != '/' || strcmp(t, "/") == 0 || strstr(t, "/../") || strstr(t, "/./") ||
                            strstr(t, "//") || (strlen(t) >= 3 && strcmp(t + strlen(t) - 3, "/..") == 0) ||
                            (strlen(t) >= 2 && strcmp(t + strlen(t) - 2, "/.") == 0) || t[strlen(t) - 1] == '/') {
                                snprintf(err, err_size, "'%s' is not a normalised absolute path (not /)", t);
                                strv_free(v);
                                return -EINVAL;
                        }
                        nv = realloc(v, (n + 2) * sizeof(char *));
                        if (!nv) {
                                strv_free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                        v[n] = strdup(t);
                        v[++n] = NULL;
                        if (!v[n - 1]) {
                                strv_free(v);
                                return -ENOMEM;
                        }
                }
                strv_free(*(char ***) field);
                *(char ***) field = v;
                return 0;
        }
        case OPT_DISK_PBKDF:
                if (disk_pbkdf_from_string(value) < 0) {
                        snprintf(err, err_size, "'%s' is not a key derivation (pbkdf2, argon2id)", value);
                        return -EINVAL;
                }
                *(DiskPbkdf *) field = disk_pbkdf_from_string(value);
                return 0;
        case OPT_DISK_INTEGRITY:
                if (disk_integrity_from_string(value) < 0) {
                        snprintf(err, err_size, "'%s' is not an integrity mode (none, hmac-sha256)", value);
                        return -EINVAL;
                }
                *(DiskIntegrity *) field = disk_integrity_from_string(value);
                return 0;
        case OPT_DISK_FS:
                if (disk_fs_from_string(value) < 0) {
                        snprintf(err, err_size, "'%s' is not a file system confnode makes (ext4, xfs)", value);
                        return -EINVAL;
                }
                *(DiskFs *) field = disk_fs_from_string(value);
                return 0;
        case OPT_ITERATIONS: {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(value, &end, 10);
                if (errno != 0 || end == value || *end != 0 || value[0] == '-' || v > UINT32_MAX) {
                        snprintf(err, err_size, "'%s' is not a number of iterations (0-4294967295)", value);
                        return -EINVAL;
                }
                *(uint32_t *) field = (uint32_t) v;
                return 0;
        }
        case OPT_PCRS: {
                char e[160];
                PcrSelection sel;

                if (pcr_selection_parse(value, &sel, e, sizeof(e)) < 0) {
                        snprintf(err, err_size, "%s", e);
                        return -EINVAL;
                }
                *(PcrSelection *) field = sel;
                return 0;
        }
        case OPT_URLS: {
                _cleanup_free_ char *copy = strdup(value);
                char **v = NULL, *save = NULL;
                size_t n = 0;

                if (!copy)
                        return -ENOMEM;
                for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                        char **nv;

                        if (strncmp(t, "https://", 8) != 0 || strlen(t) <= 8) {
                                snprintf(err, err_size, "'%s' is not an https:// URL", t);
                                strv_free(v);
                                return -EINVAL;
                        }
                        nv = realloc(v, (n + 2) * sizeof(char *));
                        if (!nv) {
                                strv_free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                        v[n] = strdup(t);
                        v[++n] = NULL;
                        if (!v[n - 1]) {
                                strv_free(v);
                                return -ENOMEM;
                        }
                }
                if (n == 0) {
                        snprintf(err, err_size, "no URL given");
                        return -EINVAL;
                }
                strv_free(*(char ***) field);
                *(char ***) field = v;
                return 0;
        }
        }
        return -EINVAL;
}

typedef struct ParseState {
        ConfigLoad *load;
        const char *file;
        FILE *f;
        unsigned line;
        bool too_long;
        int error;
} ParseState;

/* libinih as packaged does not pass line numbers to the handler, but it
 * reads one line per reader call, so counting calls gives the line. */
static char *config_ini_line_reader(char *str, int num, void *stream) {
        ParseState *st = stream;
        char *s = fgets(str, num, st->f);

        if (!s)
                return NULL;
        st->line++;
        if (strchr(s, '\n') == NULL && !feof(st->f)) {
                int c;

                while ((c = fgetc(st->f)) != EOF && c != '\n')
                        ;
                st->too_long = true;
                (void) add_problem(st->load, st->file, st->line, NULL,
                                   "line longer than %d characters, ignored", num - 2);
                str[0] = 0; /* Ignore the whole line rather than act on half of it. */
        }
        return s;
}

static int config_ini_handler(void *user, const char *section, const char *name, const char *value) {
        ParseState *st = user;
        ConfigLoad *l = st->load;
        _cleanup_free_ char *key = NULL;
        const Option *o;
        char err[256];
        int r;

        if (asprintf(&key, "%s.%s", section, name) < 0) {
                key = NULL;
                st->error = -ENOMEM;
                return 0;
        }
        if (!section[0]) {
                (void) add_problem(l, st->file, st->line, name, "key outside any [section]");
                return 1;
        }
        if (!section_known(section)) {
                (void) add_problem(l, st->file, st->line, key, "unknown section [%s]", section);
                return 1;
        }
        o = option_find(section, name);
        if (!o) {
                (void) add_problem(l, st->file, st->line, key, "unknown key");
                return 1;
        }
        r = option_apply(o, &l->config, value, err, sizeof(err));
        if (r == -ENOMEM) {
                st->error = r;
                return 0;
        }
        if (r < 0) {
                (void) add_problem(l, st->file, st->line, key, "%s", err);
                return 1;
        }
        free(l->sources[option_index(o)].file);
        l->sources[option_index(o)] = (ConfigSource){ .file = strdup(st->file), .line = st->line };
        return 1;
}

static int add_file(ConfigLoad *l, const char *path) {
        char **n = realloc(l->files, (l->n_files + 1) * sizeof(char *));

        if (!n)
                return -ENOMEM;
        l->files = n;
        l->files[l->n_files] = strdup(path);
        if (!l->files[l->n_files])
                return -ENOMEM;
        l->n_files++;
        return 0;
}

static int parse_file(ConfigLoad *l, const char *path, bool must_exist) {
        ParseState st = { .load = l, .file = path };
        int r;

        st.f = fopen(path, "re");
        if (!st.f) {
                if (errno == ENOENT && !must_exist)
                        return 0;
                return add_problem(l, path, 0, NULL, "cannot read: %s", strerror(errno));
        }
        r = add_file(l, path);
        if (r < 0) {
                fclose(st.f);
                return r;
        }
        r = ini_parse_stream(config_ini_line_reader, &st, config_ini_handler, &st);
        fclose(st.f);
        if (st.error < 0)
                return st.error;
        if (r > 0 && !st.too_long)
                return add_problem(l, path, (unsigned) r, NULL, "syntax error (expected [section] or key = value)");
        return 0;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int parse_dropins(ConfigLoad *l, const char *path) {
        _cleanup_free_ char *dir = NULL;
        DIR *d;
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        if (asprintf(&dir, "%s.d", path) < 0) {
                dir = NULL;
                return -ENOMEM;
        }
        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                return add_problem(l, dir, 0, NULL, "cannot read directory: %s", strerror(errno));
        }
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                char **nn;

                if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                nn = realloc(names, (n + 1) * sizeof(char *));
                if (!nn) {
                        r = -ENOMEM;
                        break;
                }
                names = nn;
                if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        closedir(d);
        if (r == 0 && n > 0)
                qsort(names, n, sizeof(char *), name_cmp);
        for (size_t i = 0; i < n; i++) {
                if (r == 0)
                        r = parse_file(l, names[i], true);
                free(names[i]);
        }
        free(names);
        return r;
}

int config_load(const char *path, bool explicit_path, ConfigLoad *ret) {
        ConfigLoad l = { 0 };
        int r;

        l.sources = calloc(ELEMENTSOF(options), sizeof(ConfigSource));
        if (!l.sources)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(options); i++) {
                char err[256];

                if (!options[i].def)
                        continue;
                r = option_apply(&options[i], &l.config, options[i].def, err, sizeof(err));
                if (r < 0) {
                        config_load_done(&l);
                        return r;
                }
        }
        if (!path)
                path = CONFIG_DEFAULT_PATH;
        r = parse_file(&l, path, explicit_path);
        if (r >= 0)
                r = parse_dropins(&l, path);
        if (r < 0) {
                config_load_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

int config_set(ConfigLoad *l, const char *key, const char *value) {
        char section[64], err[256];
        const char *dot = strchr(key, '.');
        const Option *o;
        int r;

        if (!dot || (size_t)(dot - key) >= sizeof(section))
                return add_problem(l, NULL, 0, key, "unknown key");
        memcpy(section, key, (size_t)(dot - key));
        section[dot - key] = 0;
        o = option_find(section, dot + 1);
        if (!o)
                return add_problem(l, NULL, 0, key, "unknown key");
        r = option_apply(o, &l->config, value, err, sizeof(err));
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_problem(l, NULL, 0, key, "%s", err);
        free(l->sources[option_index(o)].file);
        l->sources[option_index(o)] = (ConfigSource){ .file = strdup("command line"), .line = 0 };
        return 0;
}

static bool option_is_set(const Option *o, const Config *c) {
        const void *field = (const uint8_t *) c + o->offset;

        switch (o->type) {
        case OPT_STRING:
        case OPT_PATH:
        case OPT_TEE:
        case OPT_RESOURCE:
        case OPT_DISK_DEVICE:
                return *(char *const *) field != NULL;
        case OPT_URLS:
        case OPT_PATHS:
                return *(char **const *) field != NULL;
        case OPT_HANDLE:
                return *(const uint32_t *) field != 0;
        default:
                return true;
        }
}

/* Where a cross-option problem is reported: the file and line that set
 * the option, else the main file. */
static int add_option_problem(ConfigLoad *l, const char *key, const char *what) {
        const char *dot = strchr(key, '.');
        const ConfigSource *src = NULL;

        for (size_t i = 0; dot && i < ELEMENTSOF(options); i++)
                if (strncmp(options[i].section, key, (size_t) (dot - key)) == 0 &&
                    options[i].section[dot - key] == 0 && strcmp(options[i].key, dot + 1) == 0)
                        src = &l->sources[i];
        if (src && src->file)
                return add_problem(l, strcmp(src->file, "command line") == 0 ? NULL : src->file, src->line,
                                   key, "%s", what);
        return add_problem(l, l->n_files > 0 ? l->files[0] : CONFIG_DEFAULT_PATH, 0, key, "%s", what);
}

void config_validate(ConfigLoad *l) {
        const Config *c = &l->config;

        for (size_t i = 0; i < ELEMENTSOF(options); i++) {
                char key[128];

                if (!options[i].required || option_is_set(&options[i], &l->config))
                        continue;
                snprintf(key, sizeof(key), "%s.%s", options[i].section, options[i].key);
                (void) add_problem(l, l->n_files > 0 ? l->files[0] : CONFIG_DEFAULT_PATH, 0, key,
                                   "required option is not set");
        }
        /* The verifier's certificate is checked against this CA only: no
         * default would be safe. */
        if (c->verifier_urls && !c->verifier_ca)
                (void) add_option_problem(l, "verifier.ca",
                                          "required when verifier.url is set (the PEM CA file the "
                                          "verifier's certificate chains to)");
        if (c->retry_initial_ms > c->retry_max_ms) {
                char a[32], b[32], what[160];

                config_format_duration(c->retry_initial_ms, a, sizeof(a));
                config_format_duration(c->retry_max_ms, b, sizeof(b));
                snprintf(what, sizeof(what), "%s is more than verifier.retry_max (%s)", a, b);
                (void) add_option_problem(l, "verifier.retry_initial", what);
        }
        {
                const char *kkey = NULL;
                char what[512], key[64];

                /* The paths go onto kubelet's command line through the
                 * environment file: no quoting can be relied on there. */
                if (kubelet_config_check(&c->kubelet, &kkey, what, sizeof(what)) < 0) {
                        snprintf(key, sizeof(key), "kubelet.%s", kkey ? kkey : "env_file");
                        (void) add_option_problem(l, key, what);
                }
        }
        /* [disk]: the mount layout must not fold onto itself, and PBKDF2
         * below libcryptsetup's floor would fail only at first format. */
        if (c->disk_mountpoint && strcmp(c->disk_mountpoint, "/") == 0)
                (void) add_option_problem(l, "disk.mountpoint", "must not be /");
        for (size_t i = 0; c->disk_mountpoint && c->disk_binds && c->disk_binds[i]; i++) {
                const char *b = c->disk_binds[i], *m = c->disk_mountpoint;
                size_t nb = strlen(b), nm = strlen(m);
                char what[512];

                if ((strncmp(b, m, nm) == 0 && (b[nm] == 0 || b[nm] == '/')) ||
                    (strncmp(m, b, nb) == 0 && m[nb] == '/')) {
                        snprintf(what, sizeof(what), "'%s' is inside disk.mountpoint '%s', or holds it", b, m);
                        (void) add_option_problem(l, "disk.bind", what);
                }
        }
        if (c->disk_pbkdf == DISK_PBKDF_PBKDF2 && c->disk_pbkdf_iterations != 0 &&
            c->disk_pbkdf_iterations < DISK_PBKDF2_MIN_ITERATIONS)
                (void) add_option_problem(l, "disk.pbkdf_iterations",
                                          "PBKDF2 needs at least 1000 iterations (0 for exactly that)");
}

static void option_format(const Option *o, const Config *c, char *buf, size_t size) {
        const void *field = (const uint8_t *) c + o->offset;

        buf[0] = 0;
        switch (o->type) {
        case OPT_STRING:
        case OPT_PATH:
        case OPT_TEE:
        case OPT_DISK_DEVICE:
                snprintf(buf, size, "%s", *(char *const *) field ?: "");
                break;
        case OPT_DISK_PBKDF:
                snprintf(buf, size, "%s", disk_pbkdf_to_string(*(const DiskPbkdf *) field) ?: "?");
                break;
        case OPT_DISK_INTEGRITY:
                snprintf(buf, size, "%s", disk_integrity_to_string(*(const DiskIntegrity *) field) ?: "?");
                break;
        case OPT_DISK_FS:
                snprintf(buf, size, "%s", disk_fs_to_string(*(const DiskFs *) field) ?: "?");
                break;
        case OPT_ITERATIONS:
                snprintf(buf, size, "%" PRIu32, *(const uint32_t *) field);
                break;
        case OPT_LOG_LEVEL: {
                int v = *(const int *) field;
                snprintf(buf, size, "%s", v >= 0 && (size_t) v < ELEMENTSOF(log_levels) && log_levels[v] ? log_levels[v] : "?");
                break;
        }
        case OPT_AK_ALG:
                snprintf(buf, size, "%s", ak_algorithm_to_string(*(const AkAlgorithm *) field) ?: "?");
                break;
        case OPT_HANDLE:
                if (*(const uint32_t *) field)
                        snprintf(buf, size, "0x%08x", *(const uint32_t *) field);
                break;
        case OPT_PCRS:
                pcr_selection_format(field, buf, size);
                break;
        case OPT_BOOL:
                snprintf(buf, size, "%s", *(const bool *) field ? "yes" : "no");
                break;
        case OPT_DURATION:
        case OPT_DURATION0:
                config_format_duration(*(const uint64_t *) field, buf, size);
                break;
        case OPT_RESOURCE:
                snprintf(buf, size, "%s", *(char *const *) field ?: "");
                break;
        case OPT_URLS:
        case OPT_PATHS: {
                char **v = *(char **const *) field;
                size_t o2 = 0;

                for (size_t i = 0; v && v[i]; i++)
                        o2 += (size_t) snprintf(buf + o2, o2 < size ? size - o2 : 0, "%s%s", i ? " " : "", v[i]);
                break;
        }
        }
}

void config_print_effective(const ConfigLoad *l, FILE *f) {
        const char *section = NULL;

        fprintf(f, "# files read:");
        if (l->n_files == 0)
                fprintf(f, " (none, built-in defaults)");
        for (size_t i = 0; i < l->n_files; i++)
                fprintf(f, " %s", l->files[i]);
        fprintf(f, "\n");
        for (size_t i = 0; i < ELEMENTSOF(options); i++) {
                const Option *o = &options[i];
                const ConfigSource *s = &l->sources[i];
                char val[1024];

                if (!section || strcmp(section, o->section) != 0) {
                        fprintf(f, "\n[%s]\n", o->section);
                        section = o->section;
                }
                option_format(o, &l->config, val, sizeof(val));
                if (!option_is_set(o, &l->config))
                        fprintf(f, "# %s = (unset)\n", o->key);
                else if (!s->file)
                        fprintf(f, "%s = %s  # default\n", o->key, val);
                else if (s->line == 0)
                        fprintf(f, "%s = %s  # %s\n", o->key, val, s->file);
                else
                        fprintf(f, "%s = %s  # %s:%u\n", o->key, val, s->file, s->line);
        }
}

const char *config_problem_format(const ConfigProblem *p, char *buf, size_t size) {
        char where[512];

        if (!p->file)
                snprintf(where, sizeof(where), "command line");
        else if (p->line > 0)
                snprintf(where, sizeof(where), "%s:%u", p->file, p->line);
        else
                snprintf(where, sizeof(where), "%s", p->file);
        snprintf(buf, size, "%s: %s%s%s", where, p->key ? p->key : "", p->key ? ": " : "", p->what);
        return buf;
}

void config_print_problems(const ConfigLoad *l, FILE *f) {
        for (size_t i = 0; i < l->n_problems; i++) {
                char buf[1024];

                fprintf(f, "%s\n", config_problem_format(&l->problems[i], buf, sizeof(buf)));
        }
}

void config_print_options_markdown(FILE *f) {
        fprintf(f, "| section | key | values | default | meaning |\n");
        fprintf(f, "|---|---|---|---|---|\n");
        for (size_t i = 0; i < ELEMENTSOF(options); i++) {
                const Option *o = &options[i];

                fprintf(f, "| `[%s]` | `%s` | %s | %s%s%s | %s%s |\n", o->section, o->key, o->values,
                        o->def ? "`" : "", o->def ? o->def : "—", o->def ? "`" : "", o->required ? "**Required.** " : "",
                        o->description);
        }
}

void config_load_done(ConfigLoad *l) {
        Config *c = &l->config;

        free(c->tee);
        free(c->eventlog_path);
        free(c->tsm_path);
        free(c->sev_guest_path);
        free(c->tdx_guest_path);
        free(c->tcti);
        strv_free(c->verifier_urls);
        free(c->verifier_ca);
        free(c->resource_disk);
        free(c->resource_join);
        free(c->disk_device);
        free(c->disk_mountpoint);
        strv_free(c->disk_binds);
        free(c->kubelet.bootstrap_kubeconfig);
        free(c->kubelet.kubeconfig);
        free(c->kubelet.ca_file);
        free(c->kubelet.env_file);
        if (l->sources)
                for (size_t i = 0; i < ELEMENTSOF(options); i++)
                        free(l->sources[i].file);
        free(l->sources);
        for (size_t i = 0; i < l->n_problems; i++) {
                free(l->problems[i].file);
                free(l->problems[i].key);
                free(l->problems[i].what);
        }
        free(l->problems);
        for (size_t i = 0; i < l->n_files; i++)
                free(l->files[i]);
        free(l->files);
        *l = (ConfigLoad){ 0 };
}

void config_disk(const Config *c, DiskConfig *ret) {
        *ret = (DiskConfig){
                .device = c->disk_device,
                .mountpoint = c->disk_mountpoint,
                .binds = c->disk_binds,
                .pbkdf = c->disk_pbkdf,
                .pbkdf_iterations = c->disk_pbkdf_iterations,
                .integrity = c->disk_integrity,
                .fs = c->disk_fs,
                .discard = c->disk_discard,
                .fsck = c->disk_fsck,
        };
}
