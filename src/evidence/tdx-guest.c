/* TDX_CMD_GET_REPORT0. The uapi header is not in every distribution's
 * kernel headers (Debian 12's lacks it), and the ABI is fixed, so its one
 * structure and command are spelled out here. */

#include "confnode/evidence/tdx-guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "confnode/evidence/tdx-report.h"

/* struct tdx_report_req: REPORTDATA in, TDREPORT out. */
typedef struct TdxGuestReportReq {
        uint8_t reportdata[TEE_REPORT_DATA_SIZE];
        uint8_t tdreport[TDX_REPORT_SIZE];
} TdxGuestReportReq;

#define TDX_GUEST_CMD_GET_REPORT0 _IOWR('T', 1, TdxGuestReportReq)

static int tdx_guest_ioctl_fd(void *userdata, unsigned long cmd, void *arg) {
        int fd = *(int *)userdata;

        if (ioctl(fd, cmd, arg) < 0)
                return -errno;
        return 0;
}

int tdx_guest_collect(const char *path, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                      TeeEvidence **ret, TeeError *err) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return tee_evidence_error(err, -errno, "Cannot open '%s'", path);
        return tdx_guest_collect_with(tdx_guest_ioctl_fd, &fd, path, report_data, ret, err);
}

int tdx_guest_collect_with(TdxGuestIoctl fn, void *userdata, const char *where,
                           const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                           TeeEvidence **ret, TeeError *err) {
        _cleanup_(tee_evidence_freep) TeeEvidence *ev = NULL;
        _cleanup_free_ TdxGuestReportReq *req = calloc(1, sizeof(TdxGuestReportReq));
        int r;

        if (!req)
                return -ENOMEM;
        r = tee_evidence_new(TEE_SOURCE_TDX_GUEST, where, &ev);
        if (r < 0)
                return r;
        ev->type = TEE_TYPE_TDX;
        ev->format = TEE_FORMAT_TDX_REPORT;
        memcpy(ev->report_data, report_data, TEE_REPORT_DATA_SIZE);
        memcpy(req->reportdata, report_data, TEE_REPORT_DATA_SIZE);
        r = fn(userdata, TDX_GUEST_CMD_GET_REPORT0, req);
        if (r < 0)
                return tee_evidence_error(err, r, "TDX_CMD_GET_REPORT0 on '%s' failed", where);
        ev->report = malloc(TDX_REPORT_SIZE);
        if (!ev->report)
                return -ENOMEM;
        memcpy(ev->report, req->tdreport, TDX_REPORT_SIZE);
        ev->report_size = TDX_REPORT_SIZE;
        r = tee_evidence_check(ev, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ev);
        return 0;
}
