/* confnode-sim hcl-nv: what Azure's paravisor (the HCL) does for a
 * confidential VM's vTPM, against a real TPM (swtpm): it writes the HCL
 * report into NV index 0x01400001. The report is an SEV-SNP report of the
 * simulated platform whose report_data begins with SHA-256 of the runtime
 * data, and the runtime data (JSON) holds the vTPM attestation key as the
 * JWK "HCLAkPub", the VM configuration and, as "user-data", the 64 bytes
 * the guest last wrote to NV index 0x01400002. On Azure the HCL makes the
 * report anew whenever the guest writes there; here a test runs this
 * command again.
 *
 * The AK is the agent's own (src/tpm/tpm-ak.c: an RSA-2048 restricted
 * signing primary of the endorsement hierarchy, persisted at a handle), so
 * the key the report vouches for is the one the agent quotes with. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/cleanup.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/evidence/az-hcl.h"
#include "confnode/tpm/tpm-ak.h"
#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-errors.h"
#include "confnode/tpm/tpm-public-key.h"
#include "sim-args.h"
#include "sim-bytes.h"
#include "snp-sim.h"
#include "verbs.h"
#include "confnode/basic/openssl-cleanup.h"

#define HCL_NV_USER_DATA_INDEX 0x01400002u
#define HCL_NV_USER_DATA_SIZE 64u
/* Azure's AK handle. */
#define HCL_NV_DEFAULT_AK_HANDLE 0x81000003u
/* Azure's index is 2600 bytes; a TPM that takes less gets what it takes
 * (swtpm: 2048, still more than the report needs). */
#define HCL_NV_AZURE_SIZE 2600u
#define HCL_NV_VERSION_SNP 1
#define HCL_NV_REQUEST_AK_CERT 2
#define HCL_NV_DATA_VERSION 1
#define HCL_NV_CHUNK_DEFAULT 512u


static void hcl_nv_esys_freep(void *p) {
        Esys_Free(*(void **)p);
        *(void **)p = NULL;
}

/* A TPM property, or def when the TPM does not say. */
static uint32_t hcl_nv_property(ESYS_CONTEXT *esys, TPM2_PT property, uint32_t def) {
        __attribute__((cleanup(hcl_nv_esys_freep))) TPMS_CAPABILITY_DATA *cap = NULL;
        TPMI_YES_NO more;

        if (Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                               TPM2_CAP_TPM_PROPERTIES, property, 1, &more,
                               &cap) != TSS2_RC_SUCCESS ||
            cap->data.tpmProperties.count < 1 ||
            cap->data.tpmProperties.tpmProperty[0].property != property ||
            cap->data.tpmProperties.tpmProperty[0].value == 0)
                return def;
        return cap->data.tpmProperties.tpmProperty[0].value;
}

static int hcl_nv_bn_b64url(EVP_PKEY *key, const char *param, char **ret) {
        _cleanup_(BN_freep) BIGNUM *bn = NULL;
        _cleanup_free_ uint8_t *bytes = NULL;
        int n;

        if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
                return -EINVAL;
        n = BN_num_bytes(bn);
        bytes = malloc(n > 0 ? (size_t)n : 1);
        if (!bytes)
                return -ENOMEM;
        if (BN_bn2bin(bn, bytes) != n)
                return -EIO;
        *ret = base64url_encode(bytes, (size_t)n);
        return *ret ? 0 : -ENOMEM;
}

/* The AK as Azure's HCL describes it: {"kid":"HCLAkPub","key_ops":["sign"],
 * "kty":"RSA","e":…,"n":…}. */
static int hcl_nv_ak_jwk(TpmContext *tpm, uint32_t handle, json_object **ret) {
        _cleanup_(tpm_object_flush) TpmObject ak = TPM_OBJECT_NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL, *ops = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ uint8_t *pub = NULL;
        _cleanup_free_ char *n = NULL, *e = NULL;
        ParseError perr;
        size_t pub_size;
        int r;

        r = tpm_ak_open(tpm, TPM_AK_RSA2048, handle, &ak, &pub, &pub_size);
        if (r < 0)
                return log_error_errno(r, "Cannot open the RSA-2048 attestation key at 0x%08x: %m",
                                       handle);
        r = tpm_public_key_load(pub, pub_size, &key, NULL, NULL, NULL, &perr);
        if (r >= 0)
                r = hcl_nv_bn_b64url(key, OSSL_PKEY_PARAM_RSA_N, &n);
        if (r >= 0)
                r = hcl_nv_bn_b64url(key, OSSL_PKEY_PARAM_RSA_E, &e);
        if (r < 0)
                return log_error_errno(r, "Cannot read the attestation key at 0x%08x: %m", handle);
        jwk = json_object_new_object();
        ops = json_object_new_array();
        if (!jwk || !ops || json_add_string(jwk, "kid", "HCLAkPub") < 0 ||
            json_object_array_add(ops, json_object_new_string("sign")) < 0 ||
            json_object_object_add(jwk, "key_ops", TAKE_PTR(ops)) < 0 ||
            json_add_string(jwk, "kty", "RSA") < 0 || json_add_string(jwk, "e", e) < 0 ||
            json_add_string(jwk, "n", n) < 0)
                return log_error_errno(ENOMEM, "Out of memory");
        *ret = TAKE_PTR(jwk);
        return 0;
}

/* The 64 bytes of user data the guest last wrote, or zeros when it wrote
 * none (Azure's report then says "00…00"). */
static int hcl_nv_user_data(ESYS_CONTEXT *esys, uint8_t ret[static HCL_NV_USER_DATA_SIZE]) {
        __attribute__((cleanup(hcl_nv_esys_freep))) TPM2B_MAX_NV_BUFFER *data = NULL;
        _cleanup_(tpm_object_flush) TpmObject nv = TPM_OBJECT_NULL;
        TSS2_RC rc;

        memset(ret, 0, HCL_NV_USER_DATA_SIZE);
        nv = (TpmObject){.esys = esys, .tr = ESYS_TR_NONE, .persistent = true};
        rc = Esys_TR_FromTPMPublic(esys, HCL_NV_USER_DATA_INDEX, ESYS_TR_NONE, ESYS_TR_NONE,
                                   ESYS_TR_NONE, &nv.tr);
        if (rc != TSS2_RC_SUCCESS) {
                log_debug("No user data in NV index 0x%08x; the report says zeros",
                          HCL_NV_USER_DATA_INDEX);
                return 0;
        }
        rc = Esys_NV_Read(esys, ESYS_TR_RH_OWNER, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                          ESYS_TR_NONE, HCL_NV_USER_DATA_SIZE, 0, &data);
        if (rc != TSS2_RC_SUCCESS)
                return log_error_errno(tpm_errors_log(rc, "Esys_NV_Read"),
                                       "Cannot read the user data in NV index 0x%08x: %m",
                                       HCL_NV_USER_DATA_INDEX);
        memcpy(ret, data->buffer,
               data->size < HCL_NV_USER_DATA_SIZE ? data->size : HCL_NV_USER_DATA_SIZE);
        return 0;
}

/* What a guest does to ask for a report on Azure: write 0x01400002. */
static int hcl_nv_write_user_data(ESYS_CONTEXT *esys,
                                  const uint8_t data[static HCL_NV_USER_DATA_SIZE]) {
        _cleanup_(tpm_object_flush) TpmObject nv = TPM_OBJECT_NULL;
        TPM2B_MAX_NV_BUFFER buf = {.size = HCL_NV_USER_DATA_SIZE};
        TSS2_RC rc;

        nv = (TpmObject){.esys = esys, .tr = ESYS_TR_NONE, .persistent = true};
        rc = Esys_TR_FromTPMPublic(esys, HCL_NV_USER_DATA_INDEX, ESYS_TR_NONE, ESYS_TR_NONE,
                                   ESYS_TR_NONE, &nv.tr);
        if (rc != TSS2_RC_SUCCESS) {
                const TPM2B_AUTH auth = {};
                const TPM2B_NV_PUBLIC pub = {
                        .nvPublic =
                                {
                                        .nvIndex = HCL_NV_USER_DATA_INDEX,
                                        .nameAlg = TPM2_ALG_SHA256,
                                        .attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD |
                                                      TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD,
                                        .dataSize = HCL_NV_USER_DATA_SIZE,
                                },
                };

                rc = Esys_NV_DefineSpace(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                         ESYS_TR_NONE, &auth, &pub, &nv.tr);
                if (rc != TSS2_RC_SUCCESS)
                        return log_error_errno(tpm_errors_log(rc, "Esys_NV_DefineSpace"),
                                               "Cannot define NV index 0x%08x: %m",
                                               HCL_NV_USER_DATA_INDEX);
        }
        memcpy(buf.buffer, data, HCL_NV_USER_DATA_SIZE);
        rc = Esys_NV_Write(esys, ESYS_TR_RH_OWNER, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, &buf, 0);
        if (rc != TSS2_RC_SUCCESS)
                return log_error_errno(tpm_errors_log(rc, "Esys_NV_Write"),
                                       "Cannot write NV index 0x%08x: %m", HCL_NV_USER_DATA_INDEX);
        return 0;
}

/* Defines the report index as the platform does (platform authorization,
 * so the guest cannot overwrite it with owner authorization); a TPM
 * whose platform hierarchy is closed (OVMF closes it before the OS
 * runs) gets an owner-defined one instead. An index already there is
 * replaced. */
static int hcl_nv_define(ESYS_CONTEXT *esys, uint16_t size, bool *ret_platform, TpmObject *ret) {
        static const struct {
                ESYS_TR hierarchy;
                TPMA_NV attributes;
        } ways[] = {
                {ESYS_TR_RH_PLATFORM, TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_OWNERREAD |
                                              TPMA_NV_AUTHREAD | TPMA_NV_NO_DA |
                                              TPMA_NV_PLATFORMCREATE},
                {ESYS_TR_RH_OWNER,
                 TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA},
        };
        __attribute__((cleanup(hcl_nv_esys_freep))) TPM2B_NV_PUBLIC *old_pub = NULL;
        __attribute__((cleanup(hcl_nv_esys_freep))) TPM2B_NAME *old_name = NULL;
        ESYS_TR old = ESYS_TR_NONE;
        TSS2_RC rc = TSS2_RC_SUCCESS;

        if (Esys_TR_FromTPMPublic(esys, AZ_HCL_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                  &old) == TSS2_RC_SUCCESS) {
                bool platform = false;

                if (Esys_NV_ReadPublic(esys, old, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                       &old_pub, &old_name) == TSS2_RC_SUCCESS)
                        platform = old_pub->nvPublic.attributes & TPMA_NV_PLATFORMCREATE;
                rc = Esys_NV_UndefineSpace(esys, platform ? ESYS_TR_RH_PLATFORM : ESYS_TR_RH_OWNER,
                                           old, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
                if (rc != TSS2_RC_SUCCESS) {
                        (void)Esys_TR_Close(esys, &old);
                        return log_error_errno(tpm_errors_log(rc, "Esys_NV_UndefineSpace"),
                                               "Cannot replace NV index 0x%08x: %m",
                                               AZ_HCL_NV_INDEX);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(ways); i++) {
                const TPM2B_AUTH auth = {};
                const TPM2B_NV_PUBLIC pub = {
                        .nvPublic =
                                {
                                        .nvIndex = AZ_HCL_NV_INDEX,
                                        .nameAlg = TPM2_ALG_SHA256,
                                        .attributes = ways[i].attributes,
                                        .dataSize = size,
                                },
                };
                ESYS_TR tr = ESYS_TR_NONE;

                rc = Esys_NV_DefineSpace(esys, ways[i].hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                         ESYS_TR_NONE, &auth, &pub, &tr);
                if (rc == TSS2_RC_SUCCESS) {
                        *ret_platform = ways[i].hierarchy == ESYS_TR_RH_PLATFORM;
                        *ret = (TpmObject){.esys = esys, .tr = tr, .persistent = true};
                        return 0;
                }
                log_debug("Defining NV index 0x%08x with %s authorization failed, %s",
                          AZ_HCL_NV_INDEX, i == 0 ? "platform" : "owner",
                          i == 0 ? "trying owner" : "giving up");
        }
        return log_error_errno(tpm_errors_log(rc, "Esys_NV_DefineSpace"),
                               "Cannot define NV index 0x%08x: %m", AZ_HCL_NV_INDEX);
}

static int hcl_nv_store(ESYS_CONTEXT *esys, const uint8_t *report, size_t size) {
        _cleanup_(tpm_object_flush) TpmObject nv = TPM_OBJECT_NULL;
        _cleanup_free_ uint8_t *padded = NULL;
        uint32_t index_size, chunk;
        bool platform = false;
        int r;

        index_size = hcl_nv_property(esys, TPM2_PT_NV_INDEX_MAX, HCL_NV_AZURE_SIZE);
        if (index_size > HCL_NV_AZURE_SIZE)
                index_size = HCL_NV_AZURE_SIZE;
        if (size > index_size)
                return log_error_errno(
                        E2BIG, "The HCL report of %zu bytes exceeds the %u an NV index holds here",
                        size, index_size);
        chunk = hcl_nv_property(esys, TPM2_PT_NV_BUFFER_MAX, HCL_NV_CHUNK_DEFAULT);
        if (chunk > sizeof(((TPM2B_MAX_NV_BUFFER *)0)->buffer))
                chunk = sizeof(((TPM2B_MAX_NV_BUFFER *)0)->buffer);
        /* The whole index, the report and zeros after it, as Azure's. */
        padded = calloc(1, index_size);
        if (!padded)
                return log_error_errno(ENOMEM, "Out of memory");
        memcpy(padded, report, size);

        r = hcl_nv_define(esys, (uint16_t)index_size, &platform, &nv);
        if (r < 0)
                return r;
        for (uint32_t off = 0; off < index_size;) {
                TPM2B_MAX_NV_BUFFER buf = {
                        .size = (uint16_t)(index_size - off < chunk ? index_size - off : chunk)};
                TSS2_RC rc;

                memcpy(buf.buffer, padded + off, buf.size);
                rc = Esys_NV_Write(esys, platform ? ESYS_TR_RH_PLATFORM : ESYS_TR_RH_OWNER, nv.tr,
                                   ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &buf,
                                   (uint16_t)off);
                if (rc != TSS2_RC_SUCCESS)
                        return log_error_errno(tpm_errors_log(rc, "Esys_NV_Write"),
                                               "Cannot write NV index 0x%08x at offset %u: %m",
                                               AZ_HCL_NV_INDEX, off);
                off += buf.size;
        }
        log_debug("HCL report of %zu bytes in NV index 0x%08x (%u bytes, %s-defined)", size,
                  AZ_HCL_NV_INDEX, index_size, platform ? "platform" : "owner");
        return 0;
}

/* The runtime data: keys, VM configuration, user data, in Azure's order. */
static int hcl_nv_runtime_data(json_object *ak,
                               const uint8_t user_data[static HCL_NV_USER_DATA_SIZE], char **ret) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        json_object *keys = json_object_new_array(), *vm = json_object_new_object();
        char hex[2 * HCL_NV_USER_DATA_SIZE + 1];
        const char *text;

        if (!root || !keys || !vm) {
                json_object_put(keys);
                json_object_put(vm);
                return -ENOMEM;
        }
        if (json_object_object_add(root, "keys", keys) < 0) {
                json_object_put(keys);
                json_object_put(vm);
                return -ENOMEM;
        }
        if (json_object_object_add(root, "vm-configuration", vm) < 0) {
                json_object_put(vm);
                return -ENOMEM;
        }
        if (json_object_array_add(keys, json_object_get(ak)) < 0)
                return -ENOMEM;
        if (json_object_object_add(vm, "console-enabled", json_object_new_boolean(true)) < 0 ||
            json_object_object_add(vm, "secure-boot", json_object_new_boolean(false)) < 0 ||
            json_object_object_add(vm, "tpm-enabled", json_object_new_boolean(true)) < 0 ||
            json_add_string(vm, "vmUniqueId", "5D1A2C7E-0000-4000-8000-C0FFEE5E1A10") < 0)
                return -ENOMEM;
        hex_encode_to(user_data, HCL_NV_USER_DATA_SIZE, hex);
        for (char *p = hex; *p; p++)
                if (*p >= 'a' && *p <= 'f')
                        *p = (char)(*p - 'a' + 'A');
        if (json_add_string(root, "user-data", hex) < 0)
                return -ENOMEM;
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || !(*ret = strdup(text)))
                return -ENOMEM;
        return 0;
}

/* HCL attestation header, the hardware report slot, the runtime-data
 * header, the runtime data. */
static int hcl_nv_report(const SimConfig *c, const SimCa *ca, const char *runtime, uint8_t **ret,
                         size_t *ret_size) {
        size_t rt = strlen(runtime);
        size_t size = AZ_HCL_HEADER_SIZE + AZ_HCL_HW_REPORT_SIZE + AZ_HCL_RUNTIME_HEADER_SIZE + rt;
        uint8_t report_data[SNP_REPORT_DATA_SIZE] = {};
        _cleanup_free_ uint8_t *out = calloc(1, size);
        uint8_t *hdr = out, *runtime_hdr;
        unsigned n;
        int r;

        if (!out)
                return -ENOMEM;
        if (EVP_Digest(runtime, rt, report_data, &n, EVP_sha256(), NULL) != 1)
                return -EIO;
        sim_put_u32le(hdr, AZ_HCL_SIGNATURE);
        sim_put_u32le(hdr + 4, HCL_NV_VERSION_SNP);
        sim_put_u32le(hdr + 8, (uint32_t)size);
        sim_put_u32le(hdr + 12, HCL_NV_REQUEST_AK_CERT);
        sim_put_u32le(hdr + 16, 0); /* status */
        /* The paravisor runs at VMPL 0 and asks for its own report. */
        r = snp_sim_report(&c->snp, ca->vcek_key, report_data, 0, out + AZ_HCL_HEADER_SIZE);
        if (r < 0)
                return r;
        runtime_hdr = out + AZ_HCL_HEADER_SIZE + AZ_HCL_HW_REPORT_SIZE;
        sim_put_u32le(runtime_hdr, (uint32_t)(AZ_HCL_RUNTIME_HEADER_SIZE + rt));
        sim_put_u32le(runtime_hdr + 4, HCL_NV_DATA_VERSION);
        sim_put_u32le(runtime_hdr + 8, AZ_HCL_REPORT_SNP);
        sim_put_u32le(runtime_hdr + 12, AZ_HCL_HASH_SHA256);
        sim_put_u32le(runtime_hdr + 16, (uint32_t)rt);
        memcpy(runtime_hdr + AZ_HCL_RUNTIME_HEADER_SIZE, runtime, rt);
        *ret = TAKE_PTR(out);
        *ret_size = size;
        return 0;
}

static void hcl_nv_help(void) {
        printf("Usage: confnode-sim hcl-nv --tcti TCTI --dir DIR [--ak-handle HANDLE] [--user-data "
               "HEX]\n"
               "\n"
               "Does what Azure's paravisor does for a confidential VM's vTPM: writes an HCL\n"
               "report (an SEV-SNP report of the simulated platform in DIR) into NV index\n"
               "0x01400001, its runtime data holding the TPM's attestation key as HCLAkPub and\n"
               "the user data the guest wrote to NV index 0x01400002. Run it again after the\n"
               "guest writes new user data, as the paravisor would.\n"
               "\n"
               "  -t, --tcti TCTI        The TPM (e.g. swtpm:host=127.0.0.1,port=2321)\n"
               "  -d, --dir DIR          A directory made by 'confnode-sim init'\n"
               "  -a, --ak-handle H      Persistent handle of the RSA-2048 AK, made there as the\n"
               "                         agent makes it if empty (default 0x%08x, Azure's)\n"
               "  -u, --user-data HEX    Write this to 0x01400002 first, as a guest would\n"
               "  -c, --config FILE      Values over DIR/sim.conf\n"
               "  -s, --set KEY=VALUE    One value (repeatable)\n",
               HCL_NV_DEFAULT_AK_HANDLE);
}

int verb_hcl_nv(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"tcti", required_argument, NULL, 't'},
                {"dir", required_argument, NULL, 'd'},
                {"ak-handle", required_argument, NULL, 'a'},
                {"user-data", required_argument, NULL, 'u'},
                SIM_ARGS_CONFIG_LONG,
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(tpm_context_freep) TpmContext *tpm = NULL;
        _cleanup_(sim_ca_freep) SimCa *ca = NULL;
        _cleanup_(json_object_putp) json_object *ak = NULL;
        _cleanup_free_ char *runtime = NULL;
        _cleanup_free_ uint8_t *report = NULL;
        const char *tcti = NULL, *dir = NULL, *user_hex = NULL;
        uint8_t user_data[HCL_NV_USER_DATA_SIZE];
        uint32_t handle = HCL_NV_DEFAULT_AK_HANDLE;
        SimArgsConfig config = {};
        size_t size;
        SimConfig c;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "t:d:a:u:c:s:h", opts, NULL)) >= 0) {
                switch (opt) {
                case 't':
                        tcti = optarg;
                        break;
                case 'd':
                        dir = optarg;
                        break;
                case 'a': {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 0);
                        if (errno || *end || end == optarg || v < TPM_AK_HANDLE_MIN ||
                            v > TPM_AK_HANDLE_MAX) {
                                log_error("--ak-handle '%s' is not a persistent handle "
                                          "(0x81000000-0x81FFFFFF)",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        handle = (uint32_t)v;
                        break;
                }
                case 'u':
                        user_hex = optarg;
                        break;
                case 'h':
                        hcl_nv_help();
                        return EXIT_OK;
                default:
                        if (sim_args_config_option(&config, opt, optarg) <= 0)
                                return EXIT_USAGE;
                        break;
                }
        }
        if (!tcti || !dir || optind != argc) {
                log_error(
                        "hcl-nv needs --tcti TCTI and --dir DIR; see 'confnode-sim hcl-nv --help'");
                return EXIT_USAGE;
        }
        if (user_hex && sim_args_report_data("--user-data", user_hex, user_data) < 0)
                return EXIT_USAGE;
        if (sim_args_load(dir, &config, &c, &ca) < 0)
                return EXIT_FAIL;
        r = tpm_context_open(tcti, &tpm);
        if (r < 0)
                return log_error_errno(r, "Cannot open the TPM through '%s': %m", tcti), EXIT_FAIL;
        if (user_hex && hcl_nv_write_user_data(tpm_context_esys(tpm), user_data) < 0)
                return EXIT_FAIL;
        if (hcl_nv_user_data(tpm_context_esys(tpm), user_data) < 0)
                return EXIT_FAIL;
        if (hcl_nv_ak_jwk(tpm, handle, &ak) < 0)
                return EXIT_FAIL;
        r = hcl_nv_runtime_data(ak, user_data, &runtime);
        if (r >= 0)
                r = hcl_nv_report(&c, ca, runtime, &report, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot make the HCL report: %m"), EXIT_FAIL;
        if (hcl_nv_store(tpm_context_esys(tpm), report, size) < 0)
                return EXIT_FAIL;
        log_info("HCL report (%zu bytes, runtime data %zu bytes, AK at 0x%08x) in NV index 0x%08x",
                 size, strlen(runtime), handle, AZ_HCL_NV_INDEX);
        return EXIT_OK;
}
