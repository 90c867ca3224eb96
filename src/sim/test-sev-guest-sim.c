/* The simulated sev-guest driver, without CUSE: this test plays the
 * kernel's part of an unrestricted ioctl (read the ranges a round asks
 * for, write the reply into the ranges of the last round) within its own
 * memory, so the request handling is checked on a host without /dev/cuse,
 * and so is the agent's collector against it. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "confnode/evidence/sev-guest.h"
#include "confnode/evidence/snp-cert-table.h"
#include "confnode/evidence/snp-report.h"
#include "sev-guest-sim.h"

#define ROUNDS_MAX 8

typedef struct Fixture {
        SimConfig config;
        EVP_PKEY *key;
        uint8_t *certs;
        size_t certs_size;
        SevGuestSim sim;
        unsigned rounds; /* of the last ioctl */
} Fixture;

/* The kernel's side: gather the in ranges, scatter the reply. */
static int kernel_ioctl(void *userdata, unsigned long cmd, void *arg) {
        Fixture *f = userdata;
        SevGuestRange out[SEV_GUEST_SIM_MAX_RANGES];
        size_t n_out = 0, in_size = 0, out_size = 0;
        static uint8_t in[64 * 1024];

        for (f->rounds = 1; f->rounds <= ROUNDS_MAX; f->rounds++) {
                SevGuestStep st;
                int r;

                r = sev_guest_sim_step(&f->sim, cmd, (uint64_t)(uintptr_t)arg, in, in_size,
                                       out_size, &st);
                if (r < 0)
                        return r;
                if (st.retry) {
                        in_size = out_size = 0;
                        for (size_t i = 0; i < st.n_in; i++) {
                                assert_true(in_size + st.in[i].len <= sizeof(in));
                                memcpy(in + in_size, (const void *)(uintptr_t)st.in[i].addr,
                                       st.in[i].len);
                                in_size += st.in[i].len;
                        }
                        for (size_t i = 0; i < st.n_out; i++) {
                                out[i] = st.out[i];
                                out_size += st.out[i].len;
                        }
                        n_out = st.n_out;
                        sev_guest_sim_step_done(&st);
                        continue;
                }
                assert_true(st.n_data <= n_out || st.n_data == 0);
                for (size_t i = 0; i < st.n_data; i++) {
                        assert_int_equal(st.data_len[i], out[i].len);
                        memcpy((void *)(uintptr_t)out[i].addr, st.data[i], st.data_len[i]);
                }
                r = st.result;
                sev_guest_sim_step_done(&st);
                return r;
        }
        fail_msg("more than %d rounds", ROUNDS_MAX);
        return -EIO;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));
        SnpCertTableEntry e[3] = {};
        static uint8_t der[3][1700];
        size_t n;

        assert_non_null(f);
        sim_config_default(&f->config, SNP_GENERATION_GENOA);
        memset(f->config.snp.chip_id, 0xc1, sizeof(f->config.snp.chip_id));
        f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        assert_non_null(f->key);
        /* A table of 3 x 1700 bytes: two pages, as real ARK/ASK/VCEK need. */
        for (size_t i = 0; i < 3; i++) {
                memset(der[i], (int)(0x30 + i), sizeof(der[i]));
                assert_int_equal(snp_cert_kind_guid((SnpCertKind)i, e[i].guid), 0);
                e[i].data = der[i];
                e[i].size = sizeof(der[i]);
        }
        f->certs_size = snp_cert_table_size(e, 3);
        f->certs = malloc(f->certs_size);
        assert_non_null(f->certs);
        assert_int_equal(snp_cert_table_build(e, 3, f->certs, f->certs_size, &n), 0);
        f->sim = (SevGuestSim){
                .snp = &f->config.snp,
                .vcek_key = f->key,
                .certs = f->certs,
                .certs_size = f->certs_size,
        };
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        EVP_PKEY_free(f->key);
        free(f->certs);
        free(f);
        return 0;
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_report(const uint8_t *resp, const uint8_t *user_data, uint32_t vmpl) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        ParseError err;

        assert_int_equal(le32(resp), 0);                   /* status */
        assert_int_equal(le32(resp + 4), SNP_REPORT_SIZE); /* report_size */
        assert_int_equal(snp_report_parse(resp + 32, SNP_REPORT_SIZE, &rep, &err), 0);
        assert_memory_equal(rep->report_data, user_data, 64);
        assert_int_equal(rep->vmpl, vmpl);
        assert_int_equal(rep->reported_tcb.snp, 23);
        assert_int_equal(rep->chip_id[0], 0xc1);
}

static void test_get_report(void **state) {
        Fixture *f = *state;
        struct snp_report_req req = {.vmpl = 2};
        struct snp_report_resp resp;
        struct snp_guest_request_ioctl io = {
                .msg_version = 1,
                .req_data = (uint64_t)(uintptr_t)&req,
                .resp_data = (uint64_t)(uintptr_t)&resp,
                .exitinfo2 = 0x1234,
        };

        memset(req.user_data, 0xab, sizeof(req.user_data));
        assert_int_equal(kernel_ioctl(f, SNP_GET_REPORT, &io), 0);
        assert_int_equal(f->rounds, 3);
        check_report(resp.data, req.user_data, 2);
        /* exitinfo2 is zero, so the kernel leaves the caller's alone. */
        assert_int_equal(io.exitinfo2, 0x1234);
}

static void test_ext_report_certs(void **state) {
        Fixture *f = *state;
        static uint8_t certs[16384];
        struct snp_ext_report_req req = {
                .certs_address = (uint64_t)(uintptr_t)certs,
                .certs_len = sizeof(certs),
        };
        struct snp_report_resp resp;
        struct snp_guest_request_ioctl io = {
                .msg_version = 1,
                .req_data = (uint64_t)(uintptr_t)&req,
                .resp_data = (uint64_t)(uintptr_t)&resp,
        };
        SnpCertTable t;

        memset(certs, 0xee, sizeof(certs));
        memset(req.data.user_data, 0x11, sizeof(req.data.user_data));
        assert_int_equal(kernel_ioctl(f, SNP_GET_EXT_REPORT, &io), 0);
        assert_int_equal(f->rounds, 4);
        check_report(resp.data, req.data.user_data, 0);
        assert_memory_equal(certs, f->certs, f->certs_size);
        /* The rest of the buffer is zeroed, as the kernel's bounce buffer. */
        assert_int_equal(certs[f->certs_size], 0);
        assert_int_equal(certs[sizeof(certs) - 1], 0);
        assert_int_equal(snp_cert_table_parse(certs, sizeof(certs), &t, NULL), 0);
        assert_int_equal(t.n_entries, 3);
        assert_int_equal(req.certs_len, sizeof(certs));
}

static void test_ext_report_short_buffer(void **state) {
        Fixture *f = *state;
        static uint8_t certs[4096];
        struct snp_ext_report_req req = {
                .certs_address = (uint64_t)(uintptr_t)certs,
                .certs_len = sizeof(certs),
        };
        struct snp_report_resp resp;
        struct snp_guest_request_ioctl io = {
                .msg_version = 1,
                .req_data = (uint64_t)(uintptr_t)&req,
                .resp_data = (uint64_t)(uintptr_t)&resp,
        };

        memset(&resp, 0x77, sizeof(resp));
        memset(certs, 0xee, sizeof(certs));
        assert_int_equal(kernel_ioctl(f, SNP_GET_EXT_REPORT, &io), -EIO);
        assert_int_equal(io.vmm_error, SEV_GUEST_SIM_VMM_ERR_INVALID_LEN);
        assert_int_equal(io.fw_error, 0);
        /* The length needed, in whole pages. */
        assert_int_equal(req.certs_len, 8192);
        /* Nothing else was written. */
        assert_int_equal(resp.data[0], 0x77);
        assert_int_equal(certs[0], 0xee);
}

static void test_ext_report_no_certs(void **state) {
        Fixture *f = *state;
        struct snp_ext_report_req req = {};
        struct snp_report_resp resp;
        struct snp_guest_request_ioctl io = {
                .msg_version = 1,
                .req_data = (uint64_t)(uintptr_t)&req,
                .resp_data = (uint64_t)(uintptr_t)&resp,
        };

        assert_int_equal(kernel_ioctl(f, SNP_GET_EXT_REPORT, &io), 0);
        assert_int_equal(f->rounds, 3);
        check_report(resp.data, req.data.user_data, 0);
}

static void test_ext_report_bad_lengths(void **state) {
        Fixture *f = *state;
        static uint8_t certs[5 * 4096];
        const uint32_t lens[] = {4097, 100, 5 * 4096};
        struct snp_report_resp resp;

        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                struct snp_ext_report_req req = {
                        .certs_address = (uint64_t)(uintptr_t)certs,
                        .certs_len = lens[i],
                };
                struct snp_guest_request_ioctl io = {
                        .msg_version = 1,
                        .req_data = (uint64_t)(uintptr_t)&req,
                        .resp_data = (uint64_t)(uintptr_t)&resp,
                };

                assert_int_equal(kernel_ioctl(f, SNP_GET_EXT_REPORT, &io), -EINVAL);
                assert_int_equal(io.exitinfo2, SEV_GUEST_SIM_EXITINFO2_UNSET);
                assert_int_equal(req.certs_len, lens[i]);
        }
}

static void test_bad_ioctls(void **state) {
        Fixture *f = *state;
        struct snp_report_req req = {};
        struct snp_report_resp resp;
        struct snp_guest_request_ioctl io = {.msg_version = 0, .exitinfo2 = 7};

        /* msg_version 0: refused before anything is written back. */
        io.req_data = (uint64_t)(uintptr_t)&req;
        io.resp_data = (uint64_t)(uintptr_t)&resp;
        assert_int_equal(kernel_ioctl(f, SNP_GET_REPORT, &io), -EINVAL);
        assert_int_equal(io.exitinfo2, 7);

        /* No request or response: EINVAL, exitinfo2 0xff written back. */
        io = (struct snp_guest_request_ioctl){.msg_version = 1,
                                              .resp_data = (uint64_t)(uintptr_t)&resp};
        assert_int_equal(kernel_ioctl(f, SNP_GET_REPORT, &io), -EINVAL);
        assert_int_equal(io.exitinfo2, SEV_GUEST_SIM_EXITINFO2_UNSET);
        io = (struct snp_guest_request_ioctl){.msg_version = 1,
                                              .req_data = (uint64_t)(uintptr_t)&req};
        assert_int_equal(kernel_ioctl(f, SNP_GET_EXT_REPORT, &io), -EINVAL);

        /* A derived key is not simulated; other commands do not exist. */
        io = (struct snp_guest_request_ioctl){.msg_version = 1};
        assert_int_equal(kernel_ioctl(f, SNP_GET_DERIVED_KEY, &io), -ENOTTY);
        assert_int_equal(kernel_ioctl(f, 0x1234, &io), -ENOTTY);
}

static void test_firmware_refuses(void **state) {
        Fixture *f = *state;
        struct snp_report_req req = {};
        struct snp_report_resp resp;
        struct snp_guest_request_ioctl io = {
                .msg_version = 1,
                .req_data = (uint64_t)(uintptr_t)&req,
                .resp_data = (uint64_t)(uintptr_t)&resp,
        };

        /* A VMPL that does not exist. */
        req.vmpl = 4;
        assert_int_equal(kernel_ioctl(f, SNP_GET_REPORT, &io), 0);
        assert_int_equal(le32(resp.data), SNP_SIM_STATUS_INVALID_PARAM);
        assert_int_equal(le32(resp.data + 4), 0);
        /* Reserved bytes set. */
        req.vmpl = 0;
        req.rsvd[27] = 1;
        assert_int_equal(kernel_ioctl(f, SNP_GET_REPORT, &io), 0);
        assert_int_equal(le32(resp.data), SNP_SIM_STATUS_INVALID_PARAM);
        /* A guest at VMPL 2 may not ask for VMPL 1. */
        req.rsvd[27] = 0;
        req.vmpl = 1;
        f->config.snp.vmpl = 2;
        assert_int_equal(kernel_ioctl(f, SNP_GET_REPORT, &io), 0);
        assert_int_equal(le32(resp.data), SNP_SIM_STATUS_INVALID_PARAM);
        req.vmpl = 3;
        assert_int_equal(kernel_ioctl(f, SNP_GET_REPORT, &io), 0);
        check_report(resp.data, req.user_data, 3);
        f->config.snp.vmpl = 0;
}

static void test_rounds_out_of_step(void **state) {
        Fixture *f = *state;
        uint8_t junk[7] = {};
        SevGuestStep st;

        /* Bytes that fit no round: the caller's memory moved under us. */
        assert_int_equal(
                sev_guest_sim_step(&f->sim, SNP_GET_REPORT, 0x1000, junk, sizeof(junk), 0, &st),
                -EPROTO);
        sev_guest_sim_step_done(&st);
}

/* The agent's collector against the simulated driver: the first buffer
 * (one page) is too small, it grows to what the host asks, and the
 * certificates come back trimmed to the table. */
static void test_collector_grows_buffer(void **state) {
        _cleanup_(tee_evidence_freep) TeeEvidence *ev = NULL;
        Fixture *f = *state;
        uint8_t rd[64];
        TeeError err = {};

        for (size_t i = 0; i < sizeof(rd); i++)
                rd[i] = (uint8_t)i;
        assert_int_equal(
                sev_guest_collect_with(kernel_ioctl, f, "/dev/sev-guest (test)", rd, 0, &ev, &err),
                0);
        assert_int_equal(ev->type, TEE_TYPE_SNP);
        assert_int_equal(ev->report_size, SNP_REPORT_SIZE);
        assert_memory_equal(ev->report + 0x50, rd, sizeof(rd));
        assert_int_equal(ev->certs_size, f->certs_size);
        assert_memory_equal(ev->certs, f->certs, f->certs_size);
}

static int refuse_ext(void *userdata, unsigned long cmd, void *arg) {
        if (cmd == SNP_GET_EXT_REPORT)
                return -ENOTTY;
        return kernel_ioctl(userdata, cmd, arg);
}

/* A host without extended requests: the plain report, no certificates. */
static void test_collector_falls_back(void **state) {
        _cleanup_(tee_evidence_freep) TeeEvidence *ev = NULL;
        Fixture *f = *state;
        uint8_t rd[64] = {1, 2, 3};
        TeeError err = {};

        assert_int_equal(sev_guest_collect_with(refuse_ext, f, "old", rd, 0, &ev, &err), 0);
        assert_null(ev->certs);
        assert_memory_equal(ev->report + 0x50, rd, sizeof(rd));
}

static void test_collector_firmware_error(void **state) {
        _cleanup_(tee_evidence_freep) TeeEvidence *ev = NULL;
        Fixture *f = *state;
        uint8_t rd[64] = {};
        TeeError err = {};

        assert_int_equal(sev_guest_collect_with(kernel_ioctl, f, "/dev/x", rd, 5, &ev, &err), -EIO);
        assert_null(ev);
        assert_non_null(strstr(err.what, "status 0x16"));
        assert_non_null(strstr(err.what, "/dev/x"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_get_report),
                cmocka_unit_test(test_ext_report_certs),
                cmocka_unit_test(test_ext_report_short_buffer),
                cmocka_unit_test(test_ext_report_no_certs),
                cmocka_unit_test(test_ext_report_bad_lengths),
                cmocka_unit_test(test_bad_ioctls),
                cmocka_unit_test(test_firmware_refuses),
                cmocka_unit_test(test_rounds_out_of_step),
                cmocka_unit_test(test_collector_grows_buffer),
                cmocka_unit_test(test_collector_falls_back),
                cmocka_unit_test(test_collector_firmware_error),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
