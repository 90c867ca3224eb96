/* The sev-guest ioctls. The request and the buffers live here; the kernel
 * (or a simulation of it) fills them. What the driver returns is checked
 * like any input: the firmware status, the report size it claims, the
 * report's own format, the certificate table's. */

#include "confnode/evidence/sev-guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h> /* before the kernel header: its _IOWR() */
#include <unistd.h>

#include <linux/sev-guest.h>

#include "confnode/basic/log.h"
#include "confnode/basic/reader.h"
#include "confnode/evidence/snp-report.h"

/* MSG_REPORT_RSP: status, report_size, 24 reserved bytes, the report. */
#define SEV_GUEST_RESP_HEADER 32
/* vmm_error when the certificate buffer is too small. */
#define SEV_GUEST_VMM_ERR_INVALID_LEN 1u
/* Buffer sizes the host may ask for before we give up on it. */
#define SEV_GUEST_GROW_TRIES 4

static int sev_guest_ioctl_fd(void *userdata, unsigned long cmd, void *arg) {
        int fd = *(int *)userdata;

        if (ioctl(fd, cmd, arg) < 0)
                return -errno;
        return 0;
}

int sev_guest_collect(const char *path, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                      uint32_t vmpl, TeeEvidence **ret, TeeError *err) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return tee_evidence_error(err, -errno, "Cannot open '%s'", path);
        return sev_guest_collect_with(sev_guest_ioctl_fd, &fd, path, report_data, vmpl, ret, err);
}

/* The report out of MSG_REPORT_RSP, through the Reader: the driver's
 * answer is input like any other. */
static int sev_guest_response(const uint8_t *resp, size_t size, const char *where, TeeEvidence *ev,
                              TeeError *err) {
        uint32_t status, report_size;
        const uint8_t *report;
        Reader rd;

        reader_init(&rd, resp, size, NULL);
        if (reader_u32le(&rd, &status) < 0 || reader_u32le(&rd, &report_size) < 0 ||
            reader_skip(&rd, SEV_GUEST_RESP_HEADER - 8) < 0)
                return tee_evidence_error(err, -EBADMSG, "The response from '%s' is cut short",
                                          where);
        if (status != 0)
                return tee_evidence_error(
                        err, -EIO,
                        "The firmware behind '%s' refused the report request (status 0x%x)", where,
                        status);
        if (report_size != SNP_REPORT_SIZE || reader_bytes(&rd, report_size, &report) < 0)
                return tee_evidence_error(err, -EBADMSG,
                                          "'%s' returned a report of %u bytes, not %d", where,
                                          report_size, SNP_REPORT_SIZE);
        ev->report = malloc(SNP_REPORT_SIZE);
        if (!ev->report)
                return -ENOMEM;
        memcpy(ev->report, report, SNP_REPORT_SIZE);
        ev->report_size = SNP_REPORT_SIZE;
        return 0;
}

/* SNP_GET_EXT_REPORT until the certificate buffer is large enough. On
 * success the response is in resp and the certificates in *ret_certs. */
static int sev_guest_ext(SevGuestIoctl fn, void *userdata, const char *where,
                         struct snp_report_req *data, struct snp_report_resp *resp,
                         uint8_t **ret_certs, size_t *ret_size, TeeError *err) {
        uint32_t len = SEV_GUEST_CERTS_INITIAL;

        for (unsigned i = 0; i < SEV_GUEST_GROW_TRIES; i++) {
                _cleanup_free_ uint8_t *certs = calloc(1, len);
                struct snp_ext_report_req req = {
                        .data = *data,
                        .certs_address = (uint64_t)(uintptr_t)certs,
                        .certs_len = len,
                };
                struct snp_guest_request_ioctl io = {
                        .msg_version = 1,
                        .req_data = (uint64_t)(uintptr_t)&req,
                        .resp_data = (uint64_t)(uintptr_t)resp,
                };
                int r;

                if (!certs)
                        return -ENOMEM;
                r = fn(userdata, SNP_GET_EXT_REPORT, &io);
                if (r == 0) {
                        *ret_certs = TAKE_PTR(certs);
                        *ret_size = len;
                        return 0;
                }
                if (r != -EIO || io.vmm_error != SEV_GUEST_VMM_ERR_INVALID_LEN)
                        return tee_evidence_error(
                                err, r,
                                "SNP_GET_EXT_REPORT on '%s' failed (fw_error 0x%x, vmm_error 0x%x)",
                                where, io.fw_error, io.vmm_error);
                /* The host needs a larger buffer and said how large. */
                log_debug("'%s' needs %u bytes for its certificates, not %u", where, req.certs_len,
                          len);
                if (req.certs_len <= len || req.certs_len > SEV_GUEST_CERTS_MAX)
                        return tee_evidence_error(err, -EBADMSG,
                                                  "'%s' asks for a certificate buffer of %u bytes "
                                                  "after %u (at most %u)",
                                                  where, req.certs_len, len, SEV_GUEST_CERTS_MAX);
                len = req.certs_len;
        }
        return tee_evidence_error(err, -EBADMSG, "'%s' kept asking for a larger certificate buffer",
                                  where);
}

int sev_guest_collect_with(SevGuestIoctl fn, void *userdata, const char *where,
                           const uint8_t report_data[static TEE_REPORT_DATA_SIZE], uint32_t vmpl,
                           TeeEvidence **ret, TeeError *err) {
        _cleanup_(tee_evidence_freep) TeeEvidence *ev = NULL;
        _cleanup_free_ struct snp_report_resp *resp = calloc(1, sizeof(struct snp_report_resp));
        struct snp_report_req data = {.vmpl = vmpl};
        int r;

        if (!resp)
                return -ENOMEM;
        r = tee_evidence_new(TEE_SOURCE_SEV_GUEST, where, &ev);
        if (r < 0)
                return r;
        ev->type = TEE_TYPE_SNP;
        ev->format = TEE_FORMAT_SNP_REPORT;
        memcpy(ev->report_data, report_data, TEE_REPORT_DATA_SIZE);
        memcpy(data.user_data, report_data, TEE_REPORT_DATA_SIZE);

        r = sev_guest_ext(fn, userdata, where, &data, resp, &ev->certs, &ev->certs_size, err);
        if (r < 0 && r != -ENOMEM) {
                /* A host without extended requests still answers the plain
                 * one; the certificates must then come from elsewhere. */
                struct snp_guest_request_ioctl io = {
                        .msg_version = 1,
                        .req_data = (uint64_t)(uintptr_t)&data,
                        .resp_data = (uint64_t)(uintptr_t)resp,
                };

                log_debug("%s; trying SNP_GET_REPORT", err->what);
                r = fn(userdata, SNP_GET_REPORT, &io);
                if (r < 0)
                        return tee_evidence_error(
                                err, r,
                                "SNP_GET_REPORT on '%s' failed (fw_error 0x%x, vmm_error 0x%x)",
                                where, io.fw_error, io.vmm_error);
        }
        if (r < 0)
                return r;
        r = sev_guest_response(resp->data, sizeof(resp->data), where, ev, err);
        if (r < 0)
                return r;
        r = tee_evidence_check(ev, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ev);
        return 0;
}
