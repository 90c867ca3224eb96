/* The sev-guest collector on arbitrary driver answers: what comes back
 * from SNP_GET_EXT_REPORT (the MSG_REPORT_RSP, the certificate buffer, the
 * length the driver asks to grow to, its errors) is input like any other.
 * The first byte picks how the fake driver answers; the rest fills the
 * response and then the certificate buffer. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/sev-guest.h>

#include "confnode/evidence/sev-guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct FuzzDriver {
        const uint8_t *data;
        size_t size;
        unsigned calls;
} FuzzDriver;

static size_t fuzz_take(FuzzDriver *d, void *dst, size_t n) {
        size_t k = n < d->size ? n : d->size;

        memcpy(dst, d->data, k);
        d->data += k;
        d->size -= k;
        return k;
}

static int fuzz_ioctl(void *userdata, unsigned long cmd, void *arg) {
        FuzzDriver *d = userdata;
        struct snp_guest_request_ioctl *io = arg;
        uint8_t mode = 0;

        d->calls++;
        (void) fuzz_take(d, &mode, 1);
        memset((void *) (uintptr_t) io->resp_data, 0, sizeof(struct snp_report_resp));
        (void) fuzz_take(d, (void *) (uintptr_t) io->resp_data, sizeof(struct snp_report_resp));
        if (cmd == SNP_GET_EXT_REPORT) {
                struct snp_ext_report_req *req = (void *) (uintptr_t) io->req_data;

                if (mode & 1) {
                        /* Too small: grow to what the next four bytes say. */
                        uint32_t len = 0;

                        (void) fuzz_take(d, &len, sizeof(len));
                        req->certs_len = len;
                        io->vmm_error = 1;
                        return -EIO;
                }
                if (mode & 2)
                        return -ENOTTY;
                (void) fuzz_take(d, (void *) (uintptr_t) req->certs_address, req->certs_len);
        }
        return (mode & 4) ? -EIO : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzDriver d = { .data = data, .size = size };
        TeeEvidence *e = NULL;
        uint8_t rd[TEE_REPORT_DATA_SIZE] = {};
        TeeError err;

        if (sev_guest_collect_with(fuzz_ioctl, &d, "fuzz", rd, 0, &e, &err) >= 0)
                tee_evidence_free(e);
        return 0;
}
