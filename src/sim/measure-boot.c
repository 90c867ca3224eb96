/* measure-boot: what UEFI firmware and the Linux EFI stub measure on a
 * boot, done against a real TPM (swtpm): each event's digests are extended
 * into every allocated bank and the same event is appended to a TCG
 * crypto-agile log, so the log replays to exactly the TPM's PCRs. The
 * content measured is simulated (a firmware volume, a boot loader image);
 * the formats are the real ones (TCG PC Client Platform Firmware Profile,
 * UEFI 2.x structures). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tcg-log-writer.h"
#include "verbs.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-pcr.h"

#define MEASURE_BOOT_DEFAULT_CMDLINE "console=ttyS0 root=/dev/vda ro"
#define MEASURE_BOOT_CMDLINE_MAX 4096
/* The PCRs this boot measures into; all must start at their reset value. */
#define MEASURE_BOOT_PCRS 0x3ffu /* 0-9 */

/* The tag the Linux EFI stub gives the command line it measures into
 * PCR 9 (LINUX_EFI_LOAD_OPTIONS_EVENT_TAG_ID). */
#define MEASURE_BOOT_TAG_LOAD_OPTIONS 0x8f3b22edu

/* EFI GUIDs in their in-memory byte order (first three fields
 * little-endian). */
static const uint8_t efi_global_variable[16] = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                                0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
static const uint8_t efi_image_security_database[16] = {0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d,
                                                        0x96, 0x45, 0xa3, 0xbc, 0xda, 0xd0,
                                                        0x0e, 0x67, 0x65, 0x6f};

typedef struct Buf {
        uint8_t *data;
        size_t size, alloc;
        bool oom;
} Buf;

static void buf_done(Buf *b) {
        free(b->data);
        *b = (Buf){};
}

static void buf_put(Buf *b, const void *p, size_t n) {
        if (b->oom)
                return;
        if (b->size + n > b->alloc) {
                size_t na = b->alloc ? b->alloc * 2 : 256;
                uint8_t *nd;

                while (na < b->size + n)
                        na *= 2;
                nd = realloc(b->data, na);
                if (!nd) {
                        b->oom = true;
                        return;
                }
                b->data = nd;
                b->alloc = na;
        }
        if (n > 0)
                memcpy(b->data + b->size, p, n);
        b->size += n;
}

static void buf_u8(Buf *b, uint8_t v) {
        buf_put(b, &v, 1);
}

static void buf_u16(Buf *b, uint16_t v) {
        uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
        buf_put(b, x, sizeof(x));
}

static void buf_u32(Buf *b, uint32_t v) {
        for (int i = 0; i < 4; i++)
                buf_u8(b, (uint8_t)(v >> (8 * i)));
}

static void buf_u64(Buf *b, uint64_t v) {
        for (int i = 0; i < 8; i++)
                buf_u8(b, (uint8_t)(v >> (8 * i)));
}

/* UCS-2 little-endian, as UEFI stores strings; ASCII input only. */
static void buf_ucs2(Buf *b, const char *s, bool nul) {
        for (const char *p = s; *p; p++)
                buf_u16(b, (uint8_t)*p);
        if (nul)
                buf_u16(b, 0);
}

typedef struct MeasureBoot {
        TpmContext *tpm;
        TcgLogWriter log;
        unsigned n_events;
} MeasureBoot;

static void measure_boot_done(MeasureBoot *m) {
        tcg_log_writer_done(&m->log);
}

/* Extends first, logs second: a log entry for a measurement the TPM did
 * not take would be worse than a missing one. */
static int measure_boot_event(MeasureBoot *m, uint32_t pcr, uint32_t type, const void *content,
                              size_t content_size, const Buf *data) {
        TpmDigest digests[TCG_LOG_MAX_BANKS];
        int r;

        if (data->oom)
                return -ENOMEM;
        r = tcg_log_writer_digests(&m->log, content, content_size, digests);
        if (r < 0)
                return r;
        r = tpm_pcr_extend(m->tpm, pcr, digests, m->log.n_banks);
        if (r < 0)
                return r;
        m->n_events++;
        return tcg_log_writer_event(&m->log, pcr, type, digests, data->data, data->size);
}

/* Events whose digest is the hash of their own data. */
static int measure_boot_data_event(MeasureBoot *m, uint32_t pcr, uint32_t type, const Buf *data) {
        return measure_boot_event(m, pcr, type, data->data, data->size, data);
}

static int measure_boot_crtm(MeasureBoot *m) {
        _cleanup_(buf_done) Buf data = {};

        buf_ucs2(&data, "confnode-sim UEFI 1.0", true);
        return measure_boot_data_event(m, 0, TCG_EV_S_CRTM_VERSION, &data);
}

static int measure_boot_firmware(MeasureBoot *m) {
        static const char volume[] = "confnode-sim simulated firmware volume (PEI and DXE)";
        static const char desc[] = "Fv(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)";
        _cleanup_(buf_done) Buf data = {};

        /* UEFI_PLATFORM_FIRMWARE_BLOB2; the digest is of the volume. */
        buf_u8(&data, (uint8_t)strlen(desc));
        buf_put(&data, desc, strlen(desc));
        buf_u64(&data, 0xffc84000u);
        buf_u64(&data, sizeof(volume));
        return measure_boot_event(m, 0, TCG_EV_EFI_PLATFORM_FIRMWARE_BLOB2, volume, sizeof(volume),
                                  &data);
}

static int measure_boot_variable(MeasureBoot *m, const uint8_t guid[16], const char *name,
                                 const void *value, size_t value_size) {
        _cleanup_(buf_done) Buf data = {};

        /* UEFI_VARIABLE_DATA: GUID, name length (CHAR16, no NUL), data
         * length, name, data. PCR 7 measures the whole structure. */
        buf_put(&data, guid, 16);
        buf_u64(&data, strlen(name));
        buf_u64(&data, value_size);
        buf_ucs2(&data, name, false);
        buf_put(&data, value, value_size);
        return measure_boot_data_event(m, 7, TCG_EV_EFI_VARIABLE_DRIVER_CONFIG, &data);
}

static int measure_boot_secure_boot_config(MeasureBoot *m) {
        /* Secure Boot off with empty key databases: the state of a fresh
         * OVMF, and the order firmware measures them in. */
        static const uint8_t off = 0;
        int r;

        r = measure_boot_variable(m, efi_global_variable, "SecureBoot", &off, 1);
        if (r >= 0)
                r = measure_boot_variable(m, efi_global_variable, "PK", NULL, 0);
        if (r >= 0)
                r = measure_boot_variable(m, efi_global_variable, "KEK", NULL, 0);
        if (r >= 0)
                r = measure_boot_variable(m, efi_image_security_database, "db", NULL, 0);
        if (r >= 0)
                r = measure_boot_variable(m, efi_image_security_database, "dbx", NULL, 0);
        return r;
}

static int measure_boot_separators(MeasureBoot *m) {
        _cleanup_(buf_done) Buf data = {};

        buf_u32(&data, 0);
        for (uint32_t pcr = 0; pcr <= 7; pcr++) {
                int r = measure_boot_data_event(m, pcr, TCG_EV_SEPARATOR, &data);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int measure_boot_loader(MeasureBoot *m) {
        static const char image[] = "confnode-sim simulated boot loader image (PE/COFF)";
        static const char path[] = "\\EFI\\BOOT\\BOOTX64.EFI";
        _cleanup_(buf_done) Buf data = {}, dp = {};

        /* Device path: a media file path node, then the end node. */
        buf_u8(&dp, 0x04);
        buf_u8(&dp, 0x04);
        buf_u16(&dp, (uint16_t)(4 + 2 * (strlen(path) + 1)));
        buf_ucs2(&dp, path, true);
        buf_u8(&dp, 0x7f);
        buf_u8(&dp, 0xff);
        buf_u16(&dp, 4);
        if (dp.oom)
                return -ENOMEM;

        /* UEFI_IMAGE_LOAD_EVENT; the digest stands for the image's
         * Authenticode hash. */
        buf_u64(&data, 0x7e6b1000u);
        buf_u64(&data, sizeof(image));
        buf_u64(&data, 0);
        buf_u64(&data, dp.size);
        buf_put(&data, dp.data, dp.size);
        return measure_boot_event(m, 4, TCG_EV_EFI_BOOT_SERVICES_APPLICATION, image, sizeof(image),
                                  &data);
}

static int measure_boot_cmdline(MeasureBoot *m, const char *cmdline) {
        static const char desc[] = "LOADED_IMAGE::LoadOptions";
        _cleanup_(buf_done) Buf data = {}, content = {};

        /* As the Linux EFI stub does: a tagged event naming what was
         * measured, the digest over the UCS-2 load options. */
        buf_u32(&data, MEASURE_BOOT_TAG_LOAD_OPTIONS);
        buf_u32(&data, sizeof(desc));
        buf_put(&data, desc, sizeof(desc));
        buf_ucs2(&content, cmdline, true);
        if (content.oom)
                return -ENOMEM;
        return measure_boot_event(m, 9, TCG_EV_EVENT_TAG, content.data, content.size, &data);
}

/* A log replays from reset values; PCRs extended before (an earlier run on
 * the same swtpm) would make it describe a TPM that does not exist. */
static int measure_boot_check_fresh(MeasureBoot *m, const PcrSelection *banks) {
        PcrSelection sel = *banks;
        TpmPcrValues v;
        int r;

        for (size_t b = 0; b < sel.n_banks; b++)
                sel.banks[b].mask = MEASURE_BOOT_PCRS;
        r = tpm_pcr_read(m->tpm, &sel, &v);
        if (r < 0)
                return r;
        for (size_t b = 0; b < v.n_banks; b++)
                for (unsigned i = 0; i < PCR_MAX; i++) {
                        static const uint8_t zero[TPM_PCR_VALUE_MAX] = {};

                        if ((v.banks[b].present & (1u << i)) &&
                            memcmp(v.banks[b].value[i], zero, tpm_alg_hash_size(v.banks[b].alg)) !=
                                    0) {
                                log_error("PCR %u of the %s bank is already extended; measure-boot "
                                          "needs a TPM "
                                          "fresh from reset (restart swtpm)",
                                          i, tpm_alg_hash_name(v.banks[b].alg));
                                return -EEXIST;
                        }
                }
        return 0;
}

static void measure_boot_help(void) {
        printf("Usage: confnode-sim measure-boot --tcti TCTI --out FILE [--cmdline STRING]\n"
               "\n"
               "Measures a simulated UEFI boot (CRTM version, firmware volume, Secure Boot\n"
               "variables, separators, boot loader, kernel command line) into every PCR bank the\n"
               "TPM has allocated, and writes the matching TCG crypto-agile event log to FILE.\n"
               "\n"
               "  -t, --tcti TCTI        TPM to measure into (e.g. "
               "swtpm:host=127.0.0.1,port=2321)\n"
               "  -o, --out FILE         Event log to write\n"
               "  -c, --cmdline STRING   Kernel command line measured into PCR 9\n"
               "                         (default '" MEASURE_BOOT_DEFAULT_CMDLINE "')\n");
}

int verb_measure_boot(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"tcti", required_argument, NULL, 't'},
                {"out", required_argument, NULL, 'o'},
                {"cmdline", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(tpm_context_freep) TpmContext *tpm = NULL;
        _cleanup_(measure_boot_done) MeasureBoot m = {};
        const char *tcti = NULL, *out = NULL, *cmdline = MEASURE_BOOT_DEFAULT_CMDLINE;
        uint16_t algs[TCG_LOG_MAX_BANKS];
        PcrSelection banks;
        char names[128];
        int c, r;

        while ((c = getopt_long(argc, argv, "t:o:c:h", opts, NULL)) >= 0) {
                switch (c) {
                case 't':
                        tcti = optarg;
                        break;
                case 'o':
                        out = optarg;
                        break;
                case 'c':
                        cmdline = optarg;
                        break;
                case 'h':
                        measure_boot_help();
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind != argc) {
                log_error("measure-boot takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (!tcti || !*tcti) {
                log_error("measure-boot needs --tcti TCTI");
                return EXIT_USAGE;
        }
        if (!out || !*out) {
                log_error("measure-boot needs --out FILE");
                return EXIT_USAGE;
        }
        if (strlen(cmdline) > MEASURE_BOOT_CMDLINE_MAX) {
                log_error("--cmdline is longer than %d characters", MEASURE_BOOT_CMDLINE_MAX);
                return EXIT_USAGE;
        }
        for (const char *p = cmdline; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
                        log_error("--cmdline must be printable ASCII");
                        return EXIT_USAGE;
                }

        r = tpm_context_open(tcti, &tpm);
        if (r < 0)
                return log_error_errno(r, "Cannot open the TPM through '%s': %m", tcti), EXIT_FAIL;
        m.tpm = tpm;
        r = tpm_pcr_banks(tpm, &banks);
        if (r < 0)
                return log_error_errno(r, "Cannot read the TPM's PCR banks: %m"), EXIT_FAIL;
        if (banks.n_banks == 0 || banks.n_banks > TCG_LOG_MAX_BANKS) {
                log_error("The TPM has no PCR bank with a hash we know");
                return EXIT_FAIL;
        }
        for (size_t b = 0; b < banks.n_banks; b++) {
                if ((banks.banks[b].mask & MEASURE_BOOT_PCRS) != MEASURE_BOOT_PCRS) {
                        log_error("The %s bank does not have PCRs 0-9 allocated",
                                  tpm_alg_hash_name(banks.banks[b].alg));
                        return EXIT_FAIL;
                }
                algs[b] = banks.banks[b].alg;
        }
        r = measure_boot_check_fresh(&m, &banks);
        if (r == -EEXIST)
                return EXIT_FAIL;
        if (r < 0)
                return log_error_errno(r, "Cannot read the TPM's PCRs: %m"), EXIT_FAIL;

        r = tcg_log_writer_begin(&m.log, algs, banks.n_banks);
        if (r >= 0)
                r = measure_boot_crtm(&m);
        if (r >= 0)
                r = measure_boot_firmware(&m);
        if (r >= 0)
                r = measure_boot_secure_boot_config(&m);
        if (r >= 0)
                r = measure_boot_separators(&m);
        if (r >= 0)
                r = measure_boot_loader(&m);
        if (r >= 0)
                r = measure_boot_cmdline(&m, cmdline);
        if (r < 0)
                return log_error_errno(r, "Measuring the simulated boot failed after %u events: %m",
                                       m.n_events),
                       EXIT_FAIL;

        r = write_file_atomic(out, m.log.data, m.log.size, 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write the event log to '%s': %m", out), EXIT_FAIL;
        names[0] = 0;
        for (size_t b = 0; b < banks.n_banks; b++) {
                if (b > 0)
                        strncat(names, "+", sizeof(names) - strlen(names) - 1);
                strncat(names, tpm_alg_hash_name(banks.banks[b].alg),
                        sizeof(names) - strlen(names) - 1);
        }
        log_info("Measured %u events into PCRs 0-9 of %zu bank(s) (%s); event log of %zu bytes in "
                 "'%s'",
                 m.n_events, banks.n_banks, names, m.log.size, out);
        return EXIT_OK;
}
