#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

/* Every line is a comment (# HELP / # TYPE) or "name{labels} value" with a
 * metric name, balanced quoted labels and a number: what Prometheus'
 * text parser takes. */
static void check_exposition(const char *text) {
        const char *line = text;

        assert_true(strlen(text) > 0);
        assert_int_equal(text[strlen(text) - 1], '\n');
        while (*line) {
                const char *end = strchr(line, '\n'), *p = line;
                char *num_end;

                assert_non_null(end);
                if (*p == '#') {
                        assert_true(strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) == 0);
                        line = end + 1;
                        continue;
                }
                assert_true(isalpha((unsigned char)*p) || *p == '_');
                while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
                        p++;
                if (*p == '{') {
                        p++;
                        while (*p != '}') {
                                while (isalnum((unsigned char)*p) || *p == '_')
                                        p++;
                                assert_int_equal(*p++, '=');
                                assert_int_equal(*p++, '"');
                                while (*p != '"') {
                                        assert_true(*p != '\n' && *p != '\0' && *p != '\\');
                                        p++;
                                }
                                p++;
                                if (*p == ',')
                                        p++;
                        }
                        p++;
                }
                assert_int_equal(*p++, ' ');
                (void)strtod(p, &num_end);
                assert_true(num_end > p);
                assert_true(num_end == end);
                line = end + 1;
        }
}

static void expect_line(const char *text, const char *line) {
        char *want = NULL;

        assert_true(asprintf(&want, "\n%s\n", line) > 0);
        if (!strstr(text, want))
                fail_msg("missing line '%s' in:\n%s", line, text);
        free(want);
}

static void test_fresh(void **state) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        (void)state;

        assert_int_equal(metrics_new(&m), 0);
        assert_int_equal(metrics_render(m, NULL, &text, &size), 0);
        assert_int_equal(strlen(text), size);
        check_exposition(text);
        expect_line(text, "# TYPE confnode_attestations_total counter");
        /* The TEEs we appraise have their series from the start. */
        expect_line(text, "confnode_attestations_total{tee=\"snp\",result=\"accepted\"} 0");
        expect_line(text, "confnode_attestations_total{tee=\"az-tdx-vtpm\",result=\"error\"} 0");
        assert_null(strstr(text, "tee=\"sgx\""));
        expect_line(text, "confnode_attestation_duration_seconds_bucket{le=\"+Inf\"} 0");
        expect_line(text, "confnode_attestation_duration_seconds_count 0");
        /* No gauges without a snapshot of them. */
        assert_null(strstr(text, "confnode_sessions"));
}

static void test_counts(void **state) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        _cleanup_free_ char *text = NULL;
        MetricsGauges g = {
                .sessions = {[SESSION_AUTHED] = 3, [SESSION_ATTESTED] = 2, [SESSION_DEAD] = 1},
                .have_store = true,
                .store = {.committed = 10, .batches = 4, .errors = 0, .queued = 2},
        };
        size_t size = 0;
        (void)state;

        assert_int_equal(metrics_new(&m), 0);
        metrics_auth(m, true);
        metrics_auth(m, true);
        metrics_auth(m, false);
        metrics_attestation(m, KBS_TEE_SNP, METRICS_ACCEPTED, 3000);    /* 3 ms */
        metrics_attestation(m, KBS_TEE_SNP, METRICS_ACCEPTED, 5000);    /* exactly 5 ms */
        metrics_attestation(m, KBS_TEE_TDX, METRICS_REJECTED, 2000000); /* 2 s */
        metrics_attestation(m, KBS_TEE_SGX, METRICS_ERROR, 100); /* not ours: shown once seen */
        metrics_attestation(m, _KBS_TEE_INVALID, METRICS_REJECTED,
                            60000000); /* 60 s, past the last bucket */
        metrics_resource(m, METRICS_RESOURCE_RELEASED);
        metrics_resource(m, METRICS_RESOURCE_DENIED);
        metrics_release(m, RESOURCE_DISK_KEY);
        metrics_http_response(m, 200);
        metrics_http_response(m, 413);
        metrics_http_response(m, 418);
        metrics_reload(m, false);
        assert_int_equal(metrics_render(m, &g, &text, &size), 0);
        check_exposition(text);

        expect_line(text, "confnode_auth_total{result=\"ok\"} 2");
        expect_line(text, "confnode_auth_total{result=\"refused\"} 1");
        expect_line(text, "confnode_attestations_total{tee=\"snp\",result=\"accepted\"} 2");
        expect_line(text, "confnode_attestations_total{tee=\"tdx\",result=\"rejected\"} 1");
        expect_line(text, "confnode_attestations_total{tee=\"sgx\",result=\"error\"} 1");
        expect_line(text, "confnode_attestations_total{tee=\"other\",result=\"rejected\"} 1");
        /* Buckets are cumulative and a bound is inclusive (le). */
        expect_line(text, "confnode_attestation_duration_seconds_bucket{le=\"0.001\"} 1");
        expect_line(text, "confnode_attestation_duration_seconds_bucket{le=\"0.0025\"} 1");
        expect_line(text, "confnode_attestation_duration_seconds_bucket{le=\"0.005\"} 3");
        expect_line(text, "confnode_attestation_duration_seconds_bucket{le=\"2.5\"} 4");
        expect_line(text, "confnode_attestation_duration_seconds_bucket{le=\"30\"} 4");
        expect_line(text, "confnode_attestation_duration_seconds_bucket{le=\"+Inf\"} 5");
        expect_line(text, "confnode_attestation_duration_seconds_count 5");
        expect_line(text, "confnode_attestation_duration_seconds_sum 62.008100");
        expect_line(text, "confnode_resources_total{result=\"released\"} 1");
        expect_line(text, "confnode_resources_total{result=\"denied\"} 1");
        expect_line(text, "confnode_releases_total{kind=\"disk-key\"} 1");
        expect_line(text, "confnode_releases_total{kind=\"join-bundle\"} 0");
        expect_line(text, "confnode_http_responses_total{code=\"200\"} 1");
        expect_line(text, "confnode_http_responses_total{code=\"413\"} 1");
        expect_line(text, "confnode_http_responses_total{code=\"other\"} 1");
        expect_line(text, "confnode_policy_reloads_total{result=\"failed\"} 1");
        expect_line(text, "confnode_sessions{state=\"authed\"} 3");
        expect_line(text, "confnode_sessions{state=\"claimed\"} 0");
        expect_line(text, "confnode_sessions{state=\"attested\"} 2");
        expect_line(text, "confnode_store_records_total 10");
        expect_line(text, "confnode_store_queue 2");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fresh),
                cmocka_unit_test(test_counts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
