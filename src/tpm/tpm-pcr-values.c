/* PCR values by bank, and their JSON form (pcrs.json). */

#include "confnode/tpm/tpm-pcr-values.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"

const TpmPcrBankValues *tpm_pcr_values_bank(const TpmPcrValues *v, uint16_t alg) {
        for (size_t i = 0; i < v->n_banks; i++)
                if (v->banks[i].alg == alg)
                        return &v->banks[i];
        return NULL;
}

int tpm_pcr_values_set(TpmPcrValues *v, uint16_t alg, unsigned pcr, const uint8_t *value,
                       size_t size) {
        TpmPcrBankValues *bank = (TpmPcrBankValues *)tpm_pcr_values_bank(v, alg);
        size_t n = tpm_alg_hash_size(alg);

        if (n == 0 || n > TPM_PCR_VALUE_MAX || size != n || pcr >= PCR_MAX)
                return -EINVAL;
        if (!bank) {
                if (v->n_banks >= TPM_PCR_VALUES_MAX_BANKS)
                        return -E2BIG;
                bank = &v->banks[v->n_banks++];
                *bank = (TpmPcrBankValues){.alg = alg};
        }
        memcpy(bank->value[pcr], value, n);
        bank->present |= 1u << pcr;
        return 0;
}

bool tpm_pcr_values_cover(const TpmPcrValues *v, const PcrSelection *sel) {
        for (size_t b = 0; b < sel->n_banks; b++) {
                const TpmPcrBankValues *bank = tpm_pcr_values_bank(v, sel->banks[b].alg);

                if ((sel->banks[b].mask & ~(bank ? bank->present : 0)) != 0)
                        return false;
        }
        return true;
}

int tpm_pcr_values_to_json(const TpmPcrValues *v, json_object **ret) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object();
        int r;

        if (!out)
                return -ENOMEM;
        for (size_t b = 0; b < v->n_banks; b++) {
                _cleanup_(json_object_putp) json_object *bank = json_object_new_object();
                const TpmPcrBankValues *bv = &v->banks[b];

                if (!bank)
                        return -ENOMEM;
                for (unsigned i = 0; i < PCR_MAX; i++) {
                        char key[3] = {(char)('0' + i % 10)};

                        if (!(bv->present & (1u << i)))
                                continue;
                        /* "0" … "23", without a snprintf() per PCR. */
                        if (i >= 10) {
                                key[0] = (char)('0' + i / 10);
                                key[1] = (char)('0' + i % 10);
                        }
                        r = json_add_hex(bank, key, bv->value[i], tpm_alg_hash_size(bv->alg));
                        if (r < 0)
                                return r;
                }
                if (json_object_object_add(out, tpm_alg_hash_name(bv->alg), bank) < 0)
                        return -ENOMEM;
                bank = NULL;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int tpm_pcr_values_fail(char *err, size_t err_size, const char *fmt, ...) _printf_(3, 4);
static int tpm_pcr_values_fail(char *err, size_t err_size, const char *fmt, ...) {
        va_list ap;

        if (err && err_size > 0) {
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* "0" to "23", without signs, spaces or leading zeros, so that one PCR
 * cannot be given twice under two spellings. */
static int tpm_pcr_values_index(const char *s, unsigned *ret) {
        unsigned v = 0;

        if (!s[0] || (s[0] == '0' && s[1]) || strlen(s) > 2)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(*p - '0');
        }
        if (v >= PCR_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

int tpm_pcr_values_from_json(json_object *j, TpmPcrValues *ret, char *err, size_t err_size) {
        TpmPcrValues v = {};
        int r;

        if (!json_object_is_type(j, json_type_object))
                return tpm_pcr_values_fail(
                        err, err_size,
                        "expected an object of banks ({\"sha256\": {\"0\": \"hex\"}})");
        json_object_object_foreach(j, bank_name, bank) {
                int alg = tpm_alg_hash_from_name(bank_name);

                if (alg < 0)
                        return tpm_pcr_values_fail(err, err_size, "unknown PCR bank '%s'",
                                                   bank_name);
                if (tpm_pcr_values_bank(&v, (uint16_t)alg))
                        return tpm_pcr_values_fail(err, err_size, "bank '%s' appears twice",
                                                   bank_name);
                if (!json_object_is_type(bank, json_type_object))
                        return tpm_pcr_values_fail(err, err_size,
                                                   "bank '%s': expected an object of PCR values",
                                                   bank_name);
                if (json_object_object_length(bank) == 0)
                        return tpm_pcr_values_fail(err, err_size, "bank '%s' has no PCR values",
                                                   bank_name);
                json_object_object_foreach(bank, key, value) {
                        _cleanup_free_ uint8_t *bytes = NULL;
                        const TpmPcrBankValues *bv;
                        size_t n;
                        unsigned pcr;

                        if (tpm_pcr_values_index(key, &pcr) < 0)
                                return tpm_pcr_values_fail(
                                        err, err_size, "bank '%s': '%s' is not a PCR index 0-23",
                                        bank_name, key);
                        bv = tpm_pcr_values_bank(&v, (uint16_t)alg);
                        if (bv && (bv->present & (1u << pcr)))
                                return tpm_pcr_values_fail(err, err_size,
                                                           "bank '%s': PCR %u appears twice",
                                                           bank_name, pcr);
                        if (!json_object_is_type(value, json_type_string))
                                return tpm_pcr_values_fail(err, err_size,
                                                           "%s PCR %u: expected a hex string",
                                                           bank_name, pcr);
                        r = hex_decode(json_object_get_string(value), &bytes, &n);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0 || n != tpm_alg_hash_size((uint16_t)alg))
                                return tpm_pcr_values_fail(
                                        err, err_size, "%s PCR %u: expected %zu bytes of hex",
                                        bank_name, pcr, tpm_alg_hash_size((uint16_t)alg));
                        r = tpm_pcr_values_set(&v, (uint16_t)alg, pcr, bytes, n);
                        if (r < 0)
                                return tpm_pcr_values_fail(err, err_size,
                                                           "bank '%s': too many banks", bank_name);
                }
        }
        *ret = v;
        return 0;
}
