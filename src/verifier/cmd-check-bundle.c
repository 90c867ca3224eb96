/* `confnode-verifier check BUNDLE [--policy FILE] [--at TIME]`: appraises a
 * saved bundle offline, as `serve` would appraise the same evidence, and
 * prints each step and the decision as JSON. The exit status is the
 * decision: 0 accepted, 1 rejected, 2 bad usage or a bundle or policy that
 * cannot be read. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "appraise.h"
#include "bundle.h"
#include "policy.h"
#include "verbs.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/crypto/cert-time.h"

#define CHECK_BUNDLE_DEFAULT_POLICY "/etc/confnode-verifier/policy.json"

static void check_bundle_help(void) {
        printf("Usage: confnode-verifier check BUNDLE [--policy FILE] [--at TIME]\n"
               "\n"
               "Appraises a saved evidence bundle offline with a policy, step by step, as\n"
               "'confnode-verifier serve' does, and prints the steps and the decision as JSON.\n"
               "BUNDLE is a directory: the output of 'confnode collect --out DIR', or a KBS\n"
               "exchange saved by 'confnode attest --save-bundle DIR'.\n"
               "\n"
               "  -p, --policy FILE  The policy (default: " CHECK_BUNDLE_DEFAULT_POLICY ")\n"
               "  -a, --at TIME      Check certificate validity at this RFC 3339 time\n"
               "                     (default: now)\n"
               "\n"
               "Exit status: 0 accepted, 1 rejected, 2 bad usage or unreadable bundle or "
               "policy.\n");
}

static int check_bundle_print(const Bundle *b, const Policy *p, const Appraisal *a) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(), *verdict = NULL;
        char when[21] = "";
        int r;

        if (!out)
                return -ENOMEM;
        (void)cert_time_format_rfc3339(b->input.at, when);
        if ((r = json_add_string(out, "bundle", b->path)) < 0 ||
            (r = json_add_string(out, "form", bundle_form_to_string(b->form))) < 0 ||
            (r = json_add_string(out, "policy", policy_origin(p))) < 0 ||
            (r = json_add_string(out, "at", when)) < 0)
                return r;
        if (a) {
                r = appraisal_to_json(a, &verdict);
                if (r < 0)
                        return r;
                json_object_object_foreach(verdict, key, v) {
                        r = json_add(out, key, json_object_get(v));
                        if (r < 0)
                                return r;
                }
        } else {
                /* Refused before any appraisal, as the server would. */
                if ((r = json_add_string(out, "tee", kbs_tee_to_string(b->request->tee) ?: "?")) <
                            0 ||
                    (r = json_add(out, "accepted", json_object_new_boolean(false))) < 0 ||
                    (r = json_add_string(out, "reason", b->refused)) < 0 ||
                    (r = json_add_string(out, "detail", b->refused_detail)) < 0 ||
                    (r = json_add_string(out, "vtpm", "none")) < 0 ||
                    (r = json_add(out, "steps", json_object_new_array())) < 0)
                        return r;
        }
        return json_print(out, stdout);
}

int check_bundle(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"policy", required_argument, NULL, 'p'},
                {"at", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_(appraiser_freep) Appraiser *appraiser = NULL;
        _cleanup_(bundle_freep) Bundle *b = NULL;
        const char *policy_path = CHECK_BUNDLE_DEFAULT_POLICY, *at_text = NULL;
        Appraisal a = {};
        char err[512];
        time_t at = 0;
        int o, r;

        while ((o = getopt_long(argc, argv, "p:a:h", opts, NULL)) >= 0) {
                switch (o) {
                case 'p':
                        policy_path = optarg;
                        break;
                case 'a':
                        at_text = optarg;
                        break;
                case 'h':
                        check_bundle_help();
                        return EXIT_VERIFIED;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc) {
                log_error("check needs exactly one BUNDLE directory (or --type TYPE FILE); see "
                          "'confnode-verifier check --help'");
                return EXIT_USAGE;
        }
        if (at_text && cert_time_parse_rfc3339(at_text, &at) < 0) {
                log_error("--at '%s' is not an RFC 3339 time such as 2025-08-15T12:00:00Z",
                          at_text);
                return EXIT_USAGE;
        }

        r = policy_load(policy_path, &policy, err, sizeof(err));
        if (r < 0) {
                log_error("Cannot use the policy: %s", err[0] ? err : strerror(-r));
                return EXIT_USAGE;
        }
        r = appraiser_new(policy, &appraiser, err, sizeof(err));
        if (r < 0) {
                log_error("%s", err[0] ? err : strerror(-r));
                return EXIT_USAGE;
        }
        r = bundle_load(argv[optind], &b, err, sizeof(err));
        if (r < 0) {
                log_error("Cannot read the bundle: %s", err[0] ? err : strerror(-r));
                return EXIT_USAGE;
        }
        if (at_text)
                b->input.at = at;

        if (b->refused) {
                r = check_bundle_print(b, policy, NULL);
                if (r < 0)
                        return log_error_errno(r, "Cannot print the decision: %m"), EXIT_USAGE;
                return EXIT_REJECTED;
        }
        r = appraise(appraiser, &b->input, &a);
        if (r < 0)
                return log_error_errno(r, "The appraisal could not run: %m"), EXIT_USAGE;
        r = check_bundle_print(b, policy, &a);
        appraisal_done(&a);
        if (r < 0)
                return log_error_errno(r, "Cannot print the decision: %m"), EXIT_USAGE;
        return a.accepted ? EXIT_VERIFIED : EXIT_REJECTED;
}
