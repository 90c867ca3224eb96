/* The sev-guest ioctl of a simulated guest, round by round: first the
 * ioctl structure, then the request it points at, then (for an extended
 * report that will get certificates) the certificate buffer. Each round
 * re-reads everything before it, so the answer depends only on what the
 * caller's memory held in the last round. */

#include "sev-guest-sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/log.h"
#include "confnode/basic/reader.h"

typedef enum SevGuestRound {
        SEV_GUEST_ROUND_IOCTL,   /* nothing read yet */
        SEV_GUEST_ROUND_REQUEST, /* the ioctl structure read */
        SEV_GUEST_ROUND_ANSWER,  /* the request read too */
        SEV_GUEST_ROUND_CERTS,   /* the certificate buffer is writable as well */
        _SEV_GUEST_ROUND_MAX,
        _SEV_GUEST_ROUND_INVALID = -EINVAL, /* what was read fits no round */
} SevGuestRound;

void sev_guest_sim_step_done(SevGuestStep *st) {
        free(st->certs);
        *st = (SevGuestStep){};
}

static size_t sev_guest_sim_req_size(unsigned long cmd) {
        switch (cmd) {
        case SNP_GET_REPORT:
                return sizeof(struct snp_report_req);
        case SNP_GET_EXT_REPORT:
                return sizeof(struct snp_ext_report_req);
        default:
                return 0;
        }
}

static void sev_guest_sim_range(SevGuestRange *r, size_t *n, uint64_t addr, size_t len) {
        r[*n] = (SevGuestRange){.addr = addr, .len = len};
        (*n)++;
}

static void sev_guest_sim_data(SevGuestStep *st, const void *p, size_t len) {
        st->data[st->n_data] = p;
        st->data_len[st->n_data] = len;
        st->n_data++;
}

/* The firmware's part: a report, or the status it refuses the request
 * with. The guest runs at snp->vmpl and may only ask for that or a less
 * privileged level. */
static int sev_guest_sim_firmware(const SevGuestSim *s, const struct snp_report_req *req,
                                  bool dry_run, uint8_t resp[static SNP_SIM_RESPONSE_SIZE]) {
        uint8_t report[SNP_REPORT_SIZE];
        bool reserved_zero = true;
        int r;

        for (size_t i = 0; i < sizeof(req->rsvd); i++)
                reserved_zero = reserved_zero && req->rsvd[i] == 0;
        if (!reserved_zero || req->vmpl > 3 || req->vmpl < s->snp->vmpl) {
                log_debug("The simulated firmware refuses a report request for VMPL %u%s",
                          req->vmpl, reserved_zero ? "" : " with reserved bytes set");
                snp_sim_response(SNP_SIM_STATUS_INVALID_PARAM, NULL, resp);
                return 0;
        }
        if (dry_run)
                return 0;
        r = snp_sim_report(s->snp, s->vcek_key, req->user_data, req->vmpl, report);
        if (r < 0)
                return r;
        snp_sim_response(SNP_SIM_STATUS_SUCCESS, report, resp);
        return 0;
}

/* The answer, once the request is known: what the kernel returns and
 * copies back. Nothing is signed in a dry run: it only decides which
 * ranges are written. */
static int sev_guest_sim_answer(const SevGuestSim *s, unsigned long cmd, bool dry_run,
                                SevGuestStep *st) {
        size_t req_size = sev_guest_sim_req_size(cmd);
        struct snp_ext_report_req *ext = &st->req.ext;
        uint64_t given = st->io.exitinfo2;
        bool want_certs = false;
        int r;

        /* The kernel writes the ioctl structure back whenever exitinfo2
         * is not zero; until the firmware ran it is 0xff. */
        st->io.exitinfo2 = SEV_GUEST_SIM_EXITINFO2_UNSET;
        if (cmd == SNP_GET_EXT_REPORT && ext->certs_len != 0 && ext->certs_address != 0) {
                if (ext->certs_len > SEV_GUEST_SIM_CERTS_MAX ||
                    ext->certs_len % SEV_GUEST_SIM_PAGE_SIZE != 0) {
                        st->result = -EINVAL;
                        sev_guest_sim_data(st, &st->io, sizeof(st->io));
                        return 0;
                }
                want_certs = true;
                if (s->certs_size > ext->certs_len) {
                        /* The host needs more pages: the kernel repeats the
                         * request without certificates (so the sequence
                         * number moves on), then reports the length. */
                        st->io.fw_error = 0;
                        st->io.vmm_error = SEV_GUEST_SIM_VMM_ERR_INVALID_LEN;
                        ext->certs_len =
                                (uint32_t)((s->certs_size + SEV_GUEST_SIM_PAGE_SIZE - 1) /
                                           SEV_GUEST_SIM_PAGE_SIZE * SEV_GUEST_SIM_PAGE_SIZE);
                        st->result = -EIO;
                        sev_guest_sim_data(st, &st->io, sizeof(st->io));
                        sev_guest_sim_data(st, ext, req_size);
                        return 0;
                }
        }

        r = sev_guest_sim_firmware(s, &st->req.report, dry_run, st->resp);
        if (r < 0)
                return r;
        st->result = 0;
        /* exitinfo2 is zero now, so the kernel leaves the caller's ioctl
         * structure and request alone; they are written back as they were
         * read only because the response lies behind them in the order of
         * the ranges. */
        st->io.exitinfo2 = given;
        sev_guest_sim_data(st, &st->io, sizeof(st->io));
        sev_guest_sim_data(st, &st->req, req_size);
        sev_guest_sim_data(st, st->resp, sizeof(st->resp));
        if (!want_certs)
                return 0;
        if (!dry_run) {
                /* The whole buffer: the table, then zeros, as the kernel
                 * copies its zeroed bounce buffer. */
                st->certs = calloc(1, ext->certs_len);
                if (!st->certs)
                        return -ENOMEM;
                memcpy(st->certs, s->certs, s->certs_size);
        }
        sev_guest_sim_data(st, st->certs, ext->certs_len);
        return 0;
}

/* The next round reads the ioctl structure and the request, and may write
 * them, the response and (certs) the certificate buffer. */
static void sev_guest_sim_retry(SevGuestStep *st, uint64_t arg, size_t req_size, bool certs) {
        size_t io = sizeof(struct snp_guest_request_ioctl);

        st->retry = true;
        sev_guest_sim_range(st->in, &st->n_in, arg, io);
        sev_guest_sim_range(st->in, &st->n_in, st->io.req_data, req_size);
        sev_guest_sim_range(st->out, &st->n_out, arg, io);
        sev_guest_sim_range(st->out, &st->n_out, st->io.req_data, req_size);
        sev_guest_sim_range(st->out, &st->n_out, st->io.resp_data, sizeof(struct snp_report_resp));
        if (certs)
                sev_guest_sim_range(st->out, &st->n_out, st->req.ext.certs_address,
                                    st->req.ext.certs_len);
}

static SevGuestRound sev_guest_sim_round(unsigned long cmd, size_t in_size, size_t out_size) {
        size_t io = sizeof(struct snp_guest_request_ioctl);
        size_t req = sev_guest_sim_req_size(cmd);

        if (in_size == 0)
                return SEV_GUEST_ROUND_IOCTL;
        if (in_size == io)
                return SEV_GUEST_ROUND_REQUEST;
        if (req > 0 && in_size == io + req)
                return out_size > io + req + sizeof(struct snp_report_resp)
                               ? SEV_GUEST_ROUND_CERTS
                               : SEV_GUEST_ROUND_ANSWER;
        return _SEV_GUEST_ROUND_INVALID;
}

int sev_guest_sim_step(const SevGuestSim *s, unsigned long cmd, uint64_t arg, const void *in,
                       size_t in_size, size_t out_size, SevGuestStep *ret) {
        SevGuestStep *st = ret;
        size_t io = sizeof(struct snp_guest_request_ioctl);
        size_t req_size = sev_guest_sim_req_size(cmd);
        SevGuestRound round = sev_guest_sim_round(cmd, in_size, out_size);
        Reader rd;
        int r;

        *st = (SevGuestStep){};
        switch (round) {
        case SEV_GUEST_ROUND_IOCTL:
                st->retry = true;
                sev_guest_sim_range(st->in, &st->n_in, arg, io);
                sev_guest_sim_range(st->out, &st->n_out, arg, io);
                return 0;
        case SEV_GUEST_ROUND_REQUEST:
        case SEV_GUEST_ROUND_ANSWER:
        case SEV_GUEST_ROUND_CERTS:
                break;
        default:
                return -EPROTO;
        }

        /* What was read is the caller's memory: through the Reader, the
         * ioctl structure and then the request behind it. */
        reader_init(&rd, in, in_size, NULL);
        r = reader_copy(&rd, &st->io, io);
        if (r < 0)
                return -EPROTO;
        if (st->io.msg_version == 0) {
                st->result = -EINVAL;
                return 0;
        }
        if (req_size == 0 || st->io.req_data == 0 || st->io.resp_data == 0) {
                st->io.exitinfo2 = SEV_GUEST_SIM_EXITINFO2_UNSET;
                st->result = req_size == 0 ? -ENOTTY : -EINVAL;
                sev_guest_sim_data(st, &st->io, io);
                return 0;
        }
        if (round == SEV_GUEST_ROUND_REQUEST) {
                sev_guest_sim_retry(st, arg, req_size, false);
                return 0;
        }

        r = reader_copy(&rd, &st->req, req_size);
        if (r < 0)
                return -EPROTO;
        if (round == SEV_GUEST_ROUND_ANSWER) {
                SevGuestStep dry = {};

                dry.io = st->io;
                dry.req = st->req;
                r = sev_guest_sim_answer(s, cmd, true, &dry);
                if (r < 0)
                        return r;
                if (dry.n_data == 4) {
                        /* Certificates will be written: one more round
                         * with the caller's buffer among the outputs. */
                        sev_guest_sim_retry(st, arg, req_size, true);
                        return 0;
                }
        } else if (out_size !=
                   io + req_size + sizeof(struct snp_report_resp) + st->req.ext.certs_len)
                return -EPROTO; /* the buffer's length changed between rounds */
        return sev_guest_sim_answer(s, cmd, false, st);
}
