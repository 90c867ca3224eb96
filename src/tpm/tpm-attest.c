/* Decoding of the marshalled TPM 2.0 structures a quote is made of (TPM 2.0
 * Part 2: TPMS_ATTEST in 10.12.12, TPMT_SIGNATURE in 11.3.4, TPMT_PUBLIC
 * in 12.2.4). Everything is big-endian; every TPM2B is read as a nested
 * reader and its size checked against the buffer it lands in before a byte
 * is copied. */

#include "confnode/tpm/tpm-attest.h"

#include <errno.h>
#include <string.h>

#include "confnode/basic/json-util.h"

/* TPMS_PCR_SELECTION.sizeofSelect is at most PCR_SELECT_MAX, which is 4 for
 * the largest TPM (32 PCRs) any profile defines. */
#define TPM_PCR_SELECT_MAX 4

static const struct {
        uint16_t type;
        const char *name;
} attest_types[] = {
        {TPM_ST_ATTEST_NV, "TPM_ST_ATTEST_NV"},
        {TPM_ST_ATTEST_COMMAND_AUDIT, "TPM_ST_ATTEST_COMMAND_AUDIT"},
        {TPM_ST_ATTEST_SESSION_AUDIT, "TPM_ST_ATTEST_SESSION_AUDIT"},
        {TPM_ST_ATTEST_CERTIFY, "TPM_ST_ATTEST_CERTIFY"},
        {TPM_ST_ATTEST_QUOTE, "TPM_ST_ATTEST_QUOTE"},
        {TPM_ST_ATTEST_TIME, "TPM_ST_ATTEST_TIME"},
        {TPM_ST_ATTEST_CREATION, "TPM_ST_ATTEST_CREATION"},
        {TPM_ST_ATTEST_NV_DIGEST, "TPM_ST_ATTEST_NV_DIGEST"},
};

const char *tpm_attest_type_to_string(uint16_t type) {
        for (size_t i = 0; i < ELEMENTSOF(attest_types); i++)
                if (attest_types[i].type == type)
                        return attest_types[i].name;
        return NULL;
}

/* A TPM2B into a fixed buffer; a size beyond what the TPM type can hold is
 * malformed, whatever is left in the input. */
static int tpm_attest_tpm2b(Reader *rd, const char *field, uint8_t *dst, size_t max,
                            size_t *ret_size) {
        Reader save = *rd, sub;
        const uint8_t *p;
        size_t n;
        int r;

        r = reader_tpm2b(rd, &sub);
        if (r < 0)
                return reader_field(rd, r, field);
        n = reader_left(&sub);
        if (n > max) {
                *rd = save;
                return reader_fail(rd, field, "size %zu exceeds the %zu bytes this field can hold",
                                   n, max);
        }
        reader_rest(&sub, &p, &n);
        if (n > 0)
                memcpy(dst, p, n);
        *ret_size = n;
        return 0;
}

static int tpm_attest_u16(Reader *rd, const char *field, uint16_t *ret) {
        return reader_field(rd, reader_u16be(rd, ret), field);
}

static int tpm_attest_u32(Reader *rd, const char *field, uint32_t *ret) {
        return reader_field(rd, reader_u32be(rd, ret), field);
}

static int tpm_attest_u64(Reader *rd, const char *field, uint64_t *ret) {
        return reader_field(rd, reader_u64be(rd, ret), field);
}

static int tpm_attest_hash_alg(Reader *rd, const char *field, bool allow_null, uint16_t *ret) {
        Reader save = *rd;
        uint16_t alg;
        int r;

        r = tpm_attest_u16(rd, field, &alg);
        if (r < 0)
                return r;
        if (tpm_alg_hash_size(alg) == 0 && !(allow_null && alg == TPM_ALG_NULL)) {
                *rd = save;
                return reader_fail(rd, field, "unknown hash algorithm 0x%04x", alg);
        }
        *ret = alg;
        return 0;
}

static int tpm_attest_no_trailing(Reader *rd, const char *what) {
        if (reader_eof(rd))
                return 0;
        return reader_fail(rd, NULL, "%zu trailing bytes after the %s", reader_left(rd), what);
}

/* TPML_PCR_SELECTION: a count, then per bank the hash, sizeofSelect and a
 * bitmap with PCR n at bit n % 8 of byte n / 8. */
static int tpm_attest_pcr_selection(Reader *rd, PcrSelection *ret) {
        PcrSelection sel = {};
        Reader save = *rd;
        uint32_t count;
        int r;

        r = tpm_attest_u32(rd, "pcr_select.count", &count);
        if (r < 0)
                return r;
        if (count > PCR_SELECTION_MAX_BANKS) {
                *rd = save;
                return reader_fail(rd, "pcr_select.count", "%u banks, at most %d are supported",
                                   count, PCR_SELECTION_MAX_BANKS);
        }
        /* Each TPMS_PCR_SELECTION takes at least a hash and a size. */
        if ((size_t)count * 3 > reader_left(rd)) {
                *rd = save;
                return reader_fail(rd, "pcr_select.count",
                                   "%u banks need at least %u bytes, %zu left", count, count * 3,
                                   reader_left(rd));
        }
        for (uint32_t i = 0; i < count; i++) {
                PcrBank *bank = &sel.banks[sel.n_banks++];
                const uint8_t *bits;
                uint8_t n;

                r = tpm_attest_hash_alg(rd, "pcr_select.hash", false, &bank->alg);
                if (r < 0)
                        return r;
                save = *rd;
                r = reader_field(rd, reader_u8(rd, &n), "pcr_select.sizeof_select");
                if (r < 0)
                        return r;
                if (n > TPM_PCR_SELECT_MAX) {
                        *rd = save;
                        return reader_fail(rd, "pcr_select.sizeof_select", "%u bytes, at most %d",
                                           n, TPM_PCR_SELECT_MAX);
                }
                r = reader_field(rd, reader_bytes(rd, n, &bits), "pcr_select.pcr_select");
                if (r < 0)
                        return r;
                for (uint8_t b = 0; b < n; b++) {
                        for (unsigned bit = 0; bit < 8; bit++) {
                                unsigned pcr = b * 8u + bit;

                                if (!(bits[b] & (1u << bit)))
                                        continue;
                                if (pcr >= PCR_MAX) {
                                        *rd = save;
                                        return reader_fail(rd, "pcr_select.pcr_select",
                                                           "selects PCR %u, beyond the %d PCRs of "
                                                           "a PC Client TPM",
                                                           pcr, PCR_MAX);
                                }
                                bank->mask |= 1u << pcr;
                        }
                }
        }
        *ret = sel;
        return 0;
}

int tpm_attest_parse(const uint8_t *data, size_t size, TpmAttest *ret, ParseError *err) {
        TpmAttest a = {};
        Reader rd, save;
        uint8_t safe;
        int r;

        reader_init(&rd, data, size, err);
        save = rd;
        r = tpm_attest_u32(&rd, "magic", &a.magic);
        if (r < 0)
                return r;
        /* A TPM signs only structures it made itself with this magic, so
         * that data from outside can never pass for an attestation. */
        if (a.magic != TPM_GENERATED_VALUE)
                return reader_fail(&save, "magic", "0x%08x is not TPM_GENERATED_VALUE (0x%08x)",
                                   a.magic, TPM_GENERATED_VALUE);
        save = rd;
        r = tpm_attest_u16(&rd, "type", &a.type);
        if (r < 0)
                return r;
        if (!tpm_attest_type_to_string(a.type))
                return reader_fail(&save, "type", "0x%04x is not a TPM_ST_ATTEST_* structure tag",
                                   a.type);

        r = tpm_attest_tpm2b(&rd, "qualified_signer", a.qualified_signer,
                             sizeof(a.qualified_signer), &a.qualified_signer_size);
        if (r < 0)
                return r;
        r = tpm_attest_tpm2b(&rd, "extra_data", a.extra_data, sizeof(a.extra_data),
                             &a.extra_data_size);
        if (r < 0)
                return r;

        r = tpm_attest_u64(&rd, "clock_info.clock", &a.clock_info.clock);
        if (r < 0)
                return r;
        r = tpm_attest_u32(&rd, "clock_info.reset_count", &a.clock_info.reset_count);
        if (r < 0)
                return r;
        r = tpm_attest_u32(&rd, "clock_info.restart_count", &a.clock_info.restart_count);
        if (r < 0)
                return r;
        save = rd;
        r = reader_field(&rd, reader_u8(&rd, &safe), "clock_info.safe");
        if (r < 0)
                return r;
        if (safe > 1)
                return reader_fail(&save, "clock_info.safe", "%u is not a TPMI_YES_NO", safe);
        a.clock_info.safe = safe;
        r = tpm_attest_u64(&rd, "firmware_version", &a.firmware_version);
        if (r < 0)
                return r;

        if (a.type == TPM_ST_ATTEST_QUOTE) {
                r = tpm_attest_pcr_selection(&rd, &a.pcr_select);
                if (r < 0)
                        return r;
                r = tpm_attest_tpm2b(&rd, "pcr_digest", a.pcr_digest, sizeof(a.pcr_digest),
                                     &a.pcr_digest_size);
                if (r < 0)
                        return r;
                r = tpm_attest_no_trailing(&rd, "TPMS_QUOTE_INFO");
                if (r < 0)
                        return r;
        } else
                reader_rest(&rd, &a.attested, &a.attested_size);

        *ret = a;
        return 0;
}

int tpm_attest_signature_parse(const uint8_t *data, size_t size, TpmSignature *ret,
                               ParseError *err) {
        TpmSignature s = {};
        Reader rd, save;
        int r;

        reader_init(&rd, data, size, err);
        save = rd;
        r = tpm_attest_u16(&rd, "sig_alg", &s.sig_alg);
        if (r < 0)
                return r;
        switch (s.sig_alg) {
        case TPM_ALG_RSASSA:
        case TPM_ALG_RSAPSS:
                r = tpm_attest_hash_alg(&rd, "signature.hash", false, &s.hash_alg);
                if (r < 0)
                        return r;
                save = rd;
                r = tpm_attest_tpm2b(&rd, "signature.sig", s.rsa, sizeof(s.rsa), &s.rsa_size);
                if (r < 0)
                        return r;
                if (s.rsa_size == 0)
                        return reader_fail(&save, "signature.sig", "empty RSA signature");
                break;
        case TPM_ALG_ECDSA:
                r = tpm_attest_hash_alg(&rd, "signature.hash", false, &s.hash_alg);
                if (r < 0)
                        return r;
                r = tpm_attest_tpm2b(&rd, "signature.signature_r", s.ecdsa_r, sizeof(s.ecdsa_r),
                                     &s.ecdsa_r_size);
                if (r < 0)
                        return r;
                r = tpm_attest_tpm2b(&rd, "signature.signature_s", s.ecdsa_s, sizeof(s.ecdsa_s),
                                     &s.ecdsa_s_size);
                if (r < 0)
                        return r;
                break;
        default:
                return reader_fail(&save, "sig_alg",
                                   "unsupported signature algorithm 0x%04x (RSASSA, RSAPSS, ECDSA)",
                                   s.sig_alg);
        }
        r = tpm_attest_no_trailing(&rd, "TPMT_SIGNATURE");
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

/* TPMT_ASYM_SCHEME details: which schemes carry a hash (TPMS_SCHEME_HASH),
 * which a hash and a count (ECDAA), which nothing. */
static int tpm_attest_public_scheme(Reader *rd, TpmPublic *p) {
        Reader save = *rd;
        uint16_t count;
        int r;

        r = tpm_attest_u16(rd, "parameters.scheme", &p->scheme);
        if (r < 0)
                return r;
        switch (p->scheme) {
        case TPM_ALG_NULL:
        case TPM_ALG_RSAES:
                return 0;
        case TPM_ALG_RSASSA:
        case TPM_ALG_RSAPSS:
        case TPM_ALG_OAEP:
        case TPM_ALG_ECDSA:
        case TPM_ALG_ECDH:
        case TPM_ALG_SM2:
        case TPM_ALG_ECSCHNORR:
                return tpm_attest_hash_alg(rd, "parameters.scheme.hash_alg", false,
                                           &p->scheme_hash);
        case TPM_ALG_ECDAA:
                r = tpm_attest_hash_alg(rd, "parameters.scheme.hash_alg", false, &p->scheme_hash);
                if (r < 0)
                        return r;
                return tpm_attest_u16(rd, "parameters.scheme.count", &count);
        default:
                return reader_fail(&save, "parameters.scheme", "unknown asymmetric scheme 0x%04x",
                                   p->scheme);
        }
}

int tpm_attest_public_parse(const uint8_t *data, size_t size, TpmPublic *ret, ParseError *err) {
        uint8_t policy[TPM_MAX_DIGEST];
        size_t policy_size;
        uint16_t sym, key_bits, mode, kdf, kdf_hash;
        TpmPublic p = {};
        Reader rd, save;
        int r;

        reader_init(&rd, data, size, err);
        save = rd;
        r = tpm_attest_u16(&rd, "type", &p.type);
        if (r < 0)
                return r;
        if (p.type != TPM_ALG_RSA && p.type != TPM_ALG_ECC)
                return reader_fail(&save, "type", "unsupported key type 0x%04x (RSA, ECC)", p.type);
        r = tpm_attest_hash_alg(&rd, "name_alg", true, &p.name_alg);
        if (r < 0)
                return r;
        r = tpm_attest_u32(&rd, "object_attributes", &p.object_attributes);
        if (r < 0)
                return r;
        r = tpm_attest_tpm2b(&rd, "auth_policy", policy, sizeof(policy), &policy_size);
        if (r < 0)
                return r;

        /* TPMT_SYM_DEF_OBJECT: key bits and mode unless the algorithm is
         * TPM_ALG_NULL (a signing key has none). */
        r = tpm_attest_u16(&rd, "parameters.symmetric", &sym);
        if (r < 0)
                return r;
        if (sym != TPM_ALG_NULL) {
                r = tpm_attest_u16(&rd, "parameters.symmetric.key_bits", &key_bits);
                if (r < 0)
                        return r;
                r = tpm_attest_u16(&rd, "parameters.symmetric.mode", &mode);
                if (r < 0)
                        return r;
        }
        r = tpm_attest_public_scheme(&rd, &p);
        if (r < 0)
                return r;

        if (p.type == TPM_ALG_RSA) {
                r = tpm_attest_u16(&rd, "parameters.key_bits", &p.rsa_key_bits);
                if (r < 0)
                        return r;
                r = tpm_attest_u32(&rd, "parameters.exponent", &p.rsa_exponent);
                if (r < 0)
                        return r;
                r = tpm_attest_tpm2b(&rd, "unique.rsa", p.rsa_modulus, sizeof(p.rsa_modulus),
                                     &p.rsa_modulus_size);
                if (r < 0)
                        return r;
        } else {
                r = tpm_attest_u16(&rd, "parameters.curve_id", &p.ecc_curve);
                if (r < 0)
                        return r;
                r = tpm_attest_u16(&rd, "parameters.kdf", &kdf);
                if (r < 0)
                        return r;
                if (kdf != TPM_ALG_NULL) {
                        r = tpm_attest_hash_alg(&rd, "parameters.kdf.hash_alg", false, &kdf_hash);
                        if (r < 0)
                                return r;
                }
                r = tpm_attest_tpm2b(&rd, "unique.ecc.x", p.ecc_x, sizeof(p.ecc_x), &p.ecc_x_size);
                if (r < 0)
                        return r;
                r = tpm_attest_tpm2b(&rd, "unique.ecc.y", p.ecc_y, sizeof(p.ecc_y), &p.ecc_y_size);
                if (r < 0)
                        return r;
        }
        r = tpm_attest_no_trailing(&rd, "TPMT_PUBLIC");
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

static int tpm_attest_json_hex_u64(json_object *obj, const char *key, uint64_t v, int width) {
        char buf[32];

        snprintf(buf, sizeof(buf), "0x%0*llx", width, (unsigned long long)v);
        return json_add_string(obj, key, buf);
}

static int tpm_attest_json_selection(const PcrSelection *sel, json_object **ret) {
        _cleanup_(json_object_putp) json_object *arr = json_object_new_array();
        int r;

        if (!arr)
                return -ENOMEM;
        for (size_t b = 0; b < sel->n_banks; b++) {
                _cleanup_(json_object_putp) json_object *bank = json_object_new_object(),
                                                        *pcrs = json_object_new_array();

                if (!bank || !pcrs)
                        return -ENOMEM;
                r = json_add_string(bank, "hash", tpm_alg_hash_name(sel->banks[b].alg));
                if (r < 0)
                        return r;
                for (unsigned i = 0; i < PCR_MAX; i++)
                        if (sel->banks[b].mask & (1u << i))
                                if (json_object_array_add(pcrs, json_object_new_int((int)i)) < 0)
                                        return -ENOMEM;
                r = json_add(bank, "pcrs", TAKE_PTR(pcrs));
                if (r < 0)
                        return r;
                if (json_object_array_add(arr, bank) < 0)
                        return -ENOMEM;
                bank = NULL;
        }
        *ret = TAKE_PTR(arr);
        return 0;
}

int tpm_attest_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err) {
        _cleanup_(json_object_putp) json_object *out = NULL, *clock = NULL, *sel = NULL;
        TpmAttest a;
        int r;

        r = tpm_attest_parse(data, size, &a, err);
        if (r < 0)
                return r;

        out = json_object_new_object();
        clock = json_object_new_object();
        if (!out || !clock)
                return -ENOMEM;
        if ((r = tpm_attest_json_hex_u64(out, "magic", a.magic, 8)) < 0 ||
            (r = json_add_string(out, "type", tpm_attest_type_to_string(a.type))) < 0 ||
            (r = json_add_hex(out, "qualified_signer", a.qualified_signer,
                              a.qualified_signer_size)) < 0 ||
            (r = json_add_hex(out, "extra_data", a.extra_data, a.extra_data_size)) < 0 ||
            (r = json_add_u64(clock, "clock", a.clock_info.clock)) < 0 ||
            (r = json_add_u64(clock, "reset_count", a.clock_info.reset_count)) < 0 ||
            (r = json_add_u64(clock, "restart_count", a.clock_info.restart_count)) < 0 ||
            (r = json_add(clock, "safe", json_object_new_boolean(a.clock_info.safe))) <
                    0)
                return r;
        r = json_add(out, "clock_info", TAKE_PTR(clock));
        if (r < 0)
                return r;
        r = tpm_attest_json_hex_u64(out, "firmware_version", a.firmware_version, 16);
        if (r < 0)
                return r;
        if (a.type == TPM_ST_ATTEST_QUOTE) {
                r = tpm_attest_json_selection(&a.pcr_select, &sel);
                if (r < 0)
                        return r;
                r = json_add(out, "pcr_select", TAKE_PTR(sel));
                if (r < 0)
                        return r;
                r = json_add_hex(out, "pcr_digest", a.pcr_digest, a.pcr_digest_size);
        } else
                r = json_add_hex(out, "attested", a.attested, a.attested_size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}
