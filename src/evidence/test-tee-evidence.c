#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/evidence/snp-cert-table.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/tdx-guest.h"
#include "confnode/evidence/tdx-report.h"
#include "confnode/evidence/tee-detect.h"

/* The smallest well-formed SEV-SNP report: version 2, everything else
 * zero (it parses; it would not verify, which is not asked here). */
static void snp_report(uint8_t rep[static SNP_REPORT_SIZE], const uint8_t report_data[static 64]) {
        memset(rep, 0, SNP_REPORT_SIZE);
        rep[0] = 2;
        memcpy(rep + 0x50, report_data, 64);
}

static TeeEvidence *snp_evidence(const uint8_t report_data[static 64]) {
        TeeEvidence *e = NULL;

        assert_int_equal(tee_evidence_new(TEE_SOURCE_SEV_GUEST, "/dev/test", &e), 0);
        e->type = TEE_TYPE_SNP;
        e->format = TEE_FORMAT_SNP_REPORT;
        memcpy(e->report_data, report_data, 64);
        e->report = malloc(SNP_REPORT_SIZE);
        assert_non_null(e->report);
        e->report_size = SNP_REPORT_SIZE;
        snp_report(e->report, report_data);
        return e;
}

static void test_names(void **state) {
        (void)state;

        for (TeeSource s = 0; s < _TEE_SOURCE_MAX; s++)
                assert_int_equal(tee_source_from_string(tee_source_to_string(s)), s);
        assert_int_equal(tee_source_from_string("sev_guest"), -EINVAL);
        assert_int_equal(tee_source_from_string(NULL), -EINVAL);
        assert_null(tee_source_to_string(_TEE_SOURCE_MAX));
        assert_string_equal(tee_type_to_string(TEE_TYPE_AZ_SNP_VTPM), "az-snp-vtpm");
        assert_string_equal(tee_format_to_string(TEE_FORMAT_HCL_REPORT), "hcl-report");
        assert_null(tee_format_to_string(_TEE_FORMAT_INVALID));
}

static void test_error(void **state) {
        TeeError e = {};
        (void)state;

        assert_int_equal(tee_evidence_error(&e, -ENOENT, "Cannot open '%s'", "/dev/x"), -ENOENT);
        assert_string_equal(e.what, "Cannot open '/dev/x': No such file or directory");
        assert_int_equal(tee_evidence_error(&e, 0, "fine"), 0);
        assert_string_equal(e.what, "fine");
        assert_int_equal(tee_evidence_error(NULL, -EIO, "nowhere"), -EIO);
}

static void test_check_snp(void **state) {
        _cleanup_(tee_evidence_freep) TeeEvidence *e = NULL;
        uint8_t rd[64], other[64];
        TeeError err = {};
        (void)state;

        memset(rd, 0x42, sizeof(rd));
        e = snp_evidence(rd);
        assert_int_equal(tee_evidence_check(e, &err), 0);

        /* Someone else's report data. */
        memset(other, 0x43, sizeof(other));
        memcpy(e->report + 0x50, other, sizeof(other));
        assert_int_equal(tee_evidence_check(e, &err), -ESTALE);
        assert_non_null(strstr(err.what, "/dev/test"));

        /* A report one byte short, and none at all. */
        memcpy(e->report + 0x50, rd, sizeof(rd));
        e->report_size = SNP_REPORT_SIZE - 1;
        assert_int_equal(tee_evidence_check(e, &err), -EBADMSG);
        e->report_size = 0;
        assert_int_equal(tee_evidence_check(e, &err), -EBADMSG);
}

static void test_check_certs(void **state) {
        _cleanup_(tee_evidence_freep) TeeEvidence *e = NULL;
        static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
        SnpCertTableEntry en = {.data = der, .size = sizeof(der)};
        uint8_t rd[64] = {};
        TeeError err = {};
        size_t n;
        (void)state;

        e = snp_evidence(rd);
        /* A zeroed page: the host handed out no certificates. */
        e->certs = calloc(1, 4096);
        e->certs_size = 4096;
        assert_int_equal(tee_evidence_check(e, &err), 0);
        assert_null(e->certs);
        assert_int_equal(e->certs_size, 0);

        /* A table and page padding: trimmed to the table. */
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_VCEK, en.guid), 0);
        e->certs = calloc(1, 4096);
        e->certs_size = 4096;
        assert_int_equal(snp_cert_table_build(&en, 1, e->certs, 4096, &n), 0);
        assert_int_equal(tee_evidence_check(e, &err), 0);
        assert_int_equal(e->certs_size, n);

        /* Garbage where the table should be. */
        memset(e->certs, 0x5a, e->certs_size);
        assert_int_equal(tee_evidence_check(e, &err), -EBADMSG);
        assert_non_null(strstr(err.what, "certificate table"));
}

static uint8_t fake_mangle;

static int fake_tdx_ioctl(void *userdata, unsigned long cmd, void *arg) {
        uint8_t *req = arg; /* reportdata[64], then tdreport[1024] */
        int *calls = userdata;

        (*calls)++;
        if (fake_mangle == 0xff)
                return -EIO;
        memset(req + 64, 0, TDX_REPORT_SIZE);
        req[64] = TDX_REPORT_TYPE_TDX;
        /* REPORTMACSTRUCT's report data lies at offset 128. */
        memcpy(req + 64 + 128, req, 64);
        req[64 + 128] ^= fake_mangle;
        return 0;
}

static void test_tdx_guest(void **state) {
        TeeEvidence *e = NULL;
        uint8_t rd[64];
        TeeError err = {};
        int calls = 0;
        (void)state;

        for (size_t i = 0; i < sizeof(rd); i++)
                rd[i] = (uint8_t)(0x80 + i);
        fake_mangle = 0;
        assert_int_equal(
                tdx_guest_collect_with(fake_tdx_ioctl, &calls, "/dev/tdx_guest", rd, &e, &err), 0);
        assert_int_equal(calls, 1);
        assert_int_equal(e->format, TEE_FORMAT_TDX_REPORT);
        assert_int_equal(e->report_size, TDX_REPORT_SIZE);
        assert_memory_equal(e->report + 128, rd, sizeof(rd));
        tee_evidence_free(e);
        e = NULL;

        fake_mangle = 1;
        assert_int_equal(
                tdx_guest_collect_with(fake_tdx_ioctl, &calls, "/dev/tdx_guest", rd, &e, &err),
                -ESTALE);
        assert_null(e);
        fake_mangle = 0xff;
        assert_int_equal(
                tdx_guest_collect_with(fake_tdx_ioctl, &calls, "/dev/tdx_guest", rd, &e, &err),
                -EIO);
        assert_non_null(strstr(err.what, "TDX_CMD_GET_REPORT0 on '/dev/tdx_guest'"));
}

static void test_detect_nothing(void **state) {
        TeeOptions o = {
                .tsm_path = "/nonexistent/tsm/report",
                .sev_guest_path = "/nonexistent/sev-guest",
                .tdx_guest_path = "/nonexistent/tdx_guest",
        };
        TeeDetection d;
        TeeError err = {};
        (void)state;

        assert_int_equal(tee_detect(&o, TEE_SOURCE_AUTO, &d, &err), 0);
        assert_int_equal(d.source, TEE_SOURCE_NONE);
        assert_int_equal(tee_detect(&o, TEE_SOURCE_NONE, &d, &err), 0);
        assert_int_equal(d.source, TEE_SOURCE_NONE);
        assert_int_equal(tee_detect(&o, TEE_SOURCE_SEV_GUEST, &d, &err), -ENODEV);
        assert_non_null(strstr(err.what, "/nonexistent/sev-guest"));
        assert_int_equal(tee_detect(&o, TEE_SOURCE_TSM, &d, &err), -ENODEV);
        assert_non_null(strstr(err.what, "/nonexistent/tsm/report"));
        assert_int_equal(tee_detect(&o, TEE_SOURCE_AZURE, &d, &err), -ENODEV);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),     cmocka_unit_test(test_error),
                cmocka_unit_test(test_check_snp), cmocka_unit_test(test_check_certs),
                cmocka_unit_test(test_tdx_guest), cmocka_unit_test(test_detect_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
