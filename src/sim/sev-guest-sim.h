#pragma once

/* The sev-guest driver of a simulated SEV-SNP guest, without the device:
 * what SNP_GET_REPORT and SNP_GET_EXT_REPORT do in the kernel
 * (drivers/virt/coco/sev-guest) and, below it, in the host and the AMD
 * Secure Processor, as a function of the caller's request.
 *
 * The ioctl argument holds pointers into the caller's memory (the request,
 * the response, the certificate buffer), so whoever serves the device
 * learns what to read in steps: sev_guest_sim_step() is given what was
 * read so far and says either which ranges of the caller's memory to read
 * and to write next (CUSE's unrestricted-ioctl retry), or the ioctl's
 * result and the bytes to write into those ranges, in order. The CUSE
 * glue moves the bytes; a unit test can move them within its own memory.
 *
 * Kernel behaviour kept: a zero msg_version is -EINVAL; a missing request
 * or response pointer is -EINVAL with exitinfo2 0xff written back; a
 * certificate buffer that is not whole pages or larger than 16 KiB is
 * -EINVAL; one too small for the host's certificates is -EIO with
 * vmm_error 1 (SNP_GUEST_VMM_ERR_INVALID_LEN) and certs_len set to the
 * length needed; a request the firmware refuses (a VMPL below the guest's
 * or above 3, non-zero reserved bytes) answers status INVALID_PARAM in the
 * response with the ioctl succeeding; exitinfo2 is written back only when
 * it is not zero. SNP_GET_DERIVED_KEY is not simulated (-ENOTTY). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h> /* the kernel header's _IOWR() */

#include <linux/sev-guest.h>
#include <openssl/evp.h>

#include "sim-config.h"
#include "snp-sim.h"

#define SEV_GUEST_SIM_PAGE_SIZE 4096u
/* SEV_FW_BLOB_MAX_SIZE: the largest certificate buffer the kernel takes. */
#define SEV_GUEST_SIM_CERTS_MAX (16u * 1024)
/* vmm_error (exitinfo2 bits 63:32) when the certificate buffer is short. */
#define SEV_GUEST_SIM_VMM_ERR_INVALID_LEN 1u
/* What the kernel puts in exitinfo2 before it calls anything. */
#define SEV_GUEST_SIM_EXITINFO2_UNSET 0xffu

typedef struct SevGuestSim {
        const SimSnp *snp;
        EVP_PKEY *vcek_key;
        const uint8_t *certs; /* the host's certificate table */
        size_t certs_size;
} SevGuestSim;

/* A range of the caller's memory. */
typedef struct SevGuestRange {
        uint64_t addr;
        size_t len;
} SevGuestRange;

#define SEV_GUEST_SIM_MAX_RANGES 4

typedef struct SevGuestStep {
        bool retry;
        /* retry: the ranges to read and to write in the next round. */
        SevGuestRange in[SEV_GUEST_SIM_MAX_RANGES];
        size_t n_in;
        SevGuestRange out[SEV_GUEST_SIM_MAX_RANGES];
        size_t n_out;
        /* reply: the ioctl's result (0 or -errno) and what to write into
         * the first n_data out ranges of the last retry. */
        int result;
        const void *data[SEV_GUEST_SIM_MAX_RANGES];
        size_t data_len[SEV_GUEST_SIM_MAX_RANGES];
        size_t n_data;

        /* Storage the data points into. */
        struct snp_guest_request_ioctl io;
        union {
                struct snp_report_req report;
                struct snp_ext_report_req ext;
        } req;
        uint8_t resp[sizeof(struct snp_report_resp)];
        uint8_t *certs; /* malloc()ed, certs_len bytes */
} SevGuestStep;

void sev_guest_sim_step_done(SevGuestStep *st);

/* One round of an ioctl: cmd and arg as the caller gave them, in the bytes
 * of the in ranges of the last retry (none the first time), out_size the
 * bytes the out ranges of the last retry hold. Fills *ret (to be cleared
 * with sev_guest_sim_step_done()). Returns -ENOMEM or -EIO when the
 * simulator itself fails, and -EPROTO when in_size fits no round (the
 * caller's memory changed between rounds); the ioctl should then fail
 * with that error. */
int sev_guest_sim_step(const SevGuestSim *s, unsigned long cmd, uint64_t arg, const void *in,
                       size_t in_size, size_t out_size, SevGuestStep *ret);
