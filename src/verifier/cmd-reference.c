/* `confnode-verifier reference --from BUNDLE [--policy FILE] [--at TIME]
 * [--out FILE]`: the reference values of a golden node's evidence, as a
 * policy fragment for an operator to review and merge: the SEV-SNP launch
 * measurement and TCB, the TDX MRTD, MRSEAM, RTMRs and TCB SVN, the PCR
 * values the vTPM quoted. The evidence is appraised in reference mode
 * first: with --policy, values are only given out for evidence that is
 * genuine and bound (vendor chains, signatures, report_data, the quote's
 * nonce and digest, the event log's replay); without it only the built-in
 * Intel root is trusted, and a warning says what could not be verified. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "appraise.h"
#include "bundle.h"
#include "policy.h"
#include "verbs.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/crypto/cert-time.h"

static void reference_help(void) {
        printf("Usage: confnode-verifier reference --from BUNDLE [--policy FILE] [--at TIME]\n"
               "                                   [--out FILE]\n"
               "\n"
               "Prints the reference values of a golden node's evidence bundle as a policy\n"
               "fragment (snp/tdx/az-* measurements and TCB, vTPM PCR values) to review and\n"
               "merge into the verifier's policy.\n"
               "\n"
               "  -f, --from BUNDLE  The bundle ('confnode collect --out' or a saved KBS "
               "exchange)\n"
               "  -p, --policy FILE  A policy whose trust anchors verify the evidence first; its\n"
               "                     rules are not applied. Without it only the built-in Intel\n"
               "                     root is trusted and unverified values come with a warning.\n"
               "  -a, --at TIME      Certificate validity time, RFC 3339 (default: now)\n"
               "  -o, --out FILE     Write the fragment there instead of to standard output\n"
               "\n"
               "Exit status: 0 written, 1 the evidence is not genuine (with --policy), 2 bad\n"
               "usage or an unreadable bundle or policy.\n");
}

static json_object *reference_get(json_object *o, const char *key) {
        json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A one-element list of a claim's value. */
static int reference_list(json_object *section, const char *key, json_object *claims,
                          const char *claim) {
        json_object *v = reference_get(claims, claim), *list;

        if (!v)
                return 0;
        list = json_object_new_array();
        if (!list || json_object_array_add(list, json_object_get(v)) < 0) {
                json_object_put(list);
                return -ENOMEM;
        }
        return json_add(section, key, list);
}

static bool reference_all_zero(const char *hex) {
        return hex && strspn(hex, "0") == strlen(hex);
}

static int reference_snp(json_object *out, const char *name, json_object *snp, json_object *notes) {
        _cleanup_(json_object_putp) json_object *s = json_object_new_object();
        json_object *tcb = reference_get(snp, "reported_tcb"), *min = json_object_new_object(),
                    *vmpl = json_object_new_array();
        static const char *const parts[] = {"bootloader", "tee", "snp", "microcode", "fmc"};
        int r;

        if (!s || !min || !vmpl) {
                json_object_put(min);
                json_object_put(vmpl);
                return -ENOMEM;
        }
        r = json_add(s, "min_tcb", min);
        if (r >= 0)
                r = json_add(s, "vmpl", vmpl);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                json_object *v = reference_get(tcb, parts[i]);

                if (v && (r = json_add(min, parts[i], json_object_get(v))) < 0)
                        return r;
        }
        if (reference_get(snp, "vmpl") &&
            json_object_array_add(vmpl, json_object_get(reference_get(snp, "vmpl"))) < 0)
                return -ENOMEM;
        if ((r = reference_list(s, "measurements", snp, "measurement")) < 0 ||
            (r = json_add(s, "min_guest_svn", json_object_get(reference_get(snp, "guest_svn")))) <
                    0 ||
            (r = json_add(s, "allow_debug", json_object_new_boolean(false))) < 0 ||
            (r = json_add(s, "allow_migration_agent", json_object_new_boolean(false))) < 0)
                return r;
        if (!reference_all_zero(json_object_get_string(reference_get(snp, "host_data"))) &&
            (r = reference_list(s, "host_data", snp, "host_data")) < 0)
                return r;
        if (json_object_get_boolean(reference_get(snp, "debug")) &&
            json_object_array_add(notes,
                                  json_object_new_string("The golden node's guest policy allows "
                                                         "debugging; this fragment does not")) < 0)
                return -ENOMEM;
        if (json_object_get_boolean(reference_get(snp, "migrate_ma")) &&
            json_object_array_add(
                    notes, json_object_new_string("The golden node's guest policy allows a "
                                                  "migration agent; this fragment does not")) < 0)
                return -ENOMEM;
        return json_add(out, name, TAKE_PTR(s));
}

static int reference_tdx(json_object *out, const char *name, json_object *tdx, json_object *notes) {
        _cleanup_(json_object_putp) json_object *t = json_object_new_object();
        json_object *rtmr = json_object_new_object();
        int r;

        if (!t || !rtmr) {
                json_object_put(rtmr);
                return -ENOMEM;
        }
        r = json_add(t, "min_tee_tcb_svn", json_object_get(reference_get(tdx, "tee_tcb_svn")));
        if (r >= 0)
                r = reference_list(t, "mrtd", tdx, "mrtd");
        if (r >= 0)
                r = reference_list(t, "mrseam", tdx, "mrseam");
        if (r >= 0)
                r = json_add(t, "rtmr", rtmr);
        else
                json_object_put(rtmr);
        for (int i = 0; r >= 0 && i < 4; i++) {
                char claim[8], index[2] = {(char)('0' + i), 0};

                snprintf(claim, sizeof(claim), "rtmr%d", i);
                r = reference_list(rtmr, index, tdx, claim);
        }
        if (r >= 0)
                r = json_add(t, "allow_debug", json_object_new_boolean(false));
        if (r < 0)
                return r;
        if (json_object_get_boolean(reference_get(tdx, "debug")) &&
            json_object_array_add(
                    notes, json_object_new_string("The golden TD has DEBUG set; this fragment "
                                                  "does not allow it")) < 0)
                return -ENOMEM;
        return json_add(out, name, TAKE_PTR(t));
}

static int reference_tpm(json_object *out, json_object *tpm, json_object *notes) {
        _cleanup_(json_object_putp) json_object *t = json_object_new_object(),
                                                *pcrs = json_object_new_object();
        json_object *quoted = reference_get(tpm, "pcrs");
        int r;

        if (!t || !pcrs)
                return -ENOMEM;
        json_object_object_foreach(quoted, bank, values) {
                json_object *b = json_object_new_object();

                r = json_add(pcrs, bank, b);
                if (r < 0)
                        return r;
                json_object_object_foreach(values, index, value) {
                        json_object *list = json_object_new_array();

                        if (!list || json_object_array_add(list, json_object_get(value)) < 0) {
                                json_object_put(list);
                                return -ENOMEM;
                        }
                        r = json_add(b, index, list);
                        if (r < 0)
                                return r;
                }
        }
        r = json_add(t, "pcrs", TAKE_PTR(pcrs));
        if (r >= 0 && !json_object_get_boolean(reference_get(tpm, "eventlog")))
                r = json_add(t, "require_eventlog", json_object_new_boolean(false));
        /* Quoted PCRs the golden node's event log does not explain (IMA's
         * PCR 10): listed, so the merged policy accepts the node, and said
         * so, so that a reviewer sees them. */
        if (r >= 0 && reference_get(tpm, "unlogged_pcrs")) {
                r = json_add(t, "unlogged_pcrs",
                             json_object_get(reference_get(tpm, "unlogged_pcrs")));
                if (r >= 0 &&
                    json_object_array_add(
                            notes,
                            json_object_new_string("tpm.unlogged_pcrs: the golden node's event log "
                                                   "does not explain these quoted PCRs; only their "
                                                   "values in tpm.pcrs pin them")) < 0)
                        r = -ENOMEM;
        }
        if (r < 0)
                return r;
        return json_add(out, "tpm", TAKE_PTR(t));
}

static int reference_fragment(const Bundle *b, const Appraisal *a, bool verified,
                              const char *policy, json_object **ret) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(),
                                                *notes = json_object_new_array();
        json_object *claims = a->claims;
        char when[21] = "", *line = NULL;
        int r;

        if (!out || !notes)
                return -ENOMEM;
        (void)cert_time_format_rfc3339(b->input.at, when);
        if (asprintf(&line,
                     "Reference values of %s (%s evidence) at %s, %s%s. Review them before "
                     "merging them into a policy.",
                     b->path, kbs_tee_to_string(a->tee) ?: "?", when,
                     verified ? "verified with the anchors of " : "NOT verified",
                     verified ? policy : "") < 0)
                return -ENOMEM;
        r = json_object_array_add(notes, json_object_new_string(line)) < 0 ? -ENOMEM : 0;
        free(line);
        if (r < 0)
                return r;
        r = json_add(out, "comment", json_object_get(notes));
        if (r < 0)
                return r;

        switch (a->tee) {
        case KBS_TEE_SNP:
        case KBS_TEE_AZ_SNP_VTPM:
                if (reference_get(claims, "snp"))
                        r = reference_snp(out, kbs_tee_to_string(a->tee),
                                          reference_get(claims, "snp"), notes);
                break;
        case KBS_TEE_TDX:
        case KBS_TEE_AZ_TDX_VTPM:
                if (reference_get(claims, "tdx"))
                        r = reference_tdx(out, kbs_tee_to_string(a->tee),
                                          reference_get(claims, "tdx"), notes);
                break;
        default:
                break;
        }
        if (r >= 0 && reference_get(reference_get(claims, "tpm"), "pcrs"))
                r = reference_tpm(out, reference_get(claims, "tpm"), notes);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

int verb_reference(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"from", required_argument, NULL, 'f'}, {"policy", required_argument, NULL, 'p'},
                {"at", required_argument, NULL, 'a'},   {"out", required_argument, NULL, 'o'},
                {"help", no_argument, NULL, 'h'},       {},
        };
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_(appraiser_freep) Appraiser *appraiser = NULL;
        _cleanup_(bundle_freep) Bundle *b = NULL;
        _cleanup_(json_object_putp) json_object *fragment = NULL;
        const char *from = NULL, *policy_path = NULL, *at_text = NULL, *out = NULL, *text;
        Appraisal a = {};
        char err[512];
        time_t at = 0;
        int o, r;

        while ((o = getopt_long(argc, argv, "f:p:a:o:h", opts, NULL)) >= 0) {
                switch (o) {
                case 'f':
                        from = optarg;
                        break;
                case 'p':
                        policy_path = optarg;
                        break;
                case 'a':
                        at_text = optarg;
                        break;
                case 'o':
                        out = optarg;
                        break;
                case 'h':
                        reference_help();
                        return EXIT_VERIFIED;
                default:
                        return EXIT_USAGE;
                }
        }
        if (!from || optind != argc) {
                log_error("reference needs --from BUNDLE and no other operand; see "
                          "'confnode-verifier reference --help'");
                return EXIT_USAGE;
        }
        if (at_text && cert_time_parse_rfc3339(at_text, &at) < 0) {
                log_error("--at '%s' is not an RFC 3339 time such as 2025-08-15T12:00:00Z",
                          at_text);
                return EXIT_USAGE;
        }

        if (policy_path)
                r = policy_load(policy_path, &policy, err, sizeof(err));
        else {
                /* Only what is built in: the Intel SGX Root CA. */
                _cleanup_(json_object_putp) json_object *j = json_tokener_parse("{\"version\":1}");

                r = j ? policy_from_json(j, "<built-in>", &policy, err, sizeof(err)) : -ENOMEM;
        }
        if (r < 0) {
                log_error("Cannot use the policy: %s", err[0] ? err : strerror(-r));
                return EXIT_USAGE;
        }
        r = appraiser_new(policy, &appraiser, err, sizeof(err));
        if (r < 0) {
                log_error("%s", err[0] ? err : strerror(-r));
                return EXIT_USAGE;
        }
        r = bundle_load(from, &b, err, sizeof(err));
        if (r < 0) {
                log_error("Cannot read the bundle: %s", err[0] ? err : strerror(-r));
                return EXIT_USAGE;
        }
        if (b->refused) {
                log_error("%s: the exchange was refused before appraisal: %s: %s", from, b->refused,
                          b->refused_detail);
                return EXIT_REJECTED;
        }
        if (at_text)
                b->input.at = at;

        r = appraise_reference(appraiser, &b->input, &a);
        if (r < 0)
                return log_error_errno(r, "The appraisal could not run: %m"), EXIT_USAGE;
        if (!a.accepted && policy_path) {
                log_error("%s is not genuine and bound evidence under the anchors of %s: %s: %s",
                          from, policy_path, a.reason, a.detail);
                appraisal_done(&a);
                return EXIT_REJECTED;
        }
        if (!a.accepted)
                log_warning("The values of %s are NOT verified (%s: %s); give --policy with the "
                            "vendor roots to verify them",
                            from, a.reason, a.detail);
        r = reference_fragment(b, &a, a.accepted, policy_path ?: "<built-in>", &fragment);
        appraisal_done(&a);
        if (r < 0)
                return log_error_errno(r, "Out of memory"), EXIT_USAGE;

        if (!out) {
                r = json_print(fragment, stdout);
                if (r < 0)
                        return log_error_errno(r, "Cannot write the fragment: %m"), EXIT_USAGE;
                return EXIT_VERIFIED;
        }
        text = json_object_to_json_string_ext(fragment, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_SPACED |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return log_error_errno(ENOMEM, "Out of memory"), EXIT_USAGE;
        r = write_file_atomic(out, text, strlen(text), 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write '%s': %m", out), EXIT_USAGE;
        return EXIT_VERIFIED;
}
