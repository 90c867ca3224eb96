/* confnode-sim sev-guest: /dev/sev-guest of a simulated SEV-SNP guest, a
 * character device in user space (CUSE) with the real ioctl ABI. The
 * argument of SNP_GET_(EXT_)REPORT points at more of the caller's memory,
 * so the device takes unrestricted ioctls and asks the kernel, round by
 * round, for the ranges sev-guest-sim.c names; all the behaviour lives
 * there, this file only moves bytes. Needs /dev/cuse (a QEMU guest here;
 * the build host has none). */

#define FUSE_USE_VERSION 35

#include <cuse_lowlevel.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"
#include "sev-guest-sim.h"
#include "sim-args.h"
#include "sim-daemon.h"
#include "verbs.h"

#define CUSE_SEV_GUEST_NAME_MAX 64

typedef struct CuseSevGuest {
        SevGuestSim sim;
        SimDaemon *daemon;
        bool ready_failed;
} CuseSevGuest;

static void cuse_sev_guest_open(fuse_req_t req, struct fuse_file_info *fi) {
        fuse_reply_open(req, fi);
}

static void cuse_sev_guest_iov(const SevGuestRange *r, size_t n, struct iovec *ret) {
        for (size_t i = 0; i < n; i++)
                ret[i] = (struct iovec){.iov_base = (void *)(uintptr_t)r[i].addr,
                                        .iov_len = r[i].len};
}

static void cuse_sev_guest_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi,
                                 unsigned flags, const void *in, size_t in_size, size_t out_size) {
        CuseSevGuest *c = fuse_req_userdata(req);
        struct iovec iov_in[SEV_GUEST_SIM_MAX_RANGES], iov_out[SEV_GUEST_SIM_MAX_RANGES];
        _cleanup_(sev_guest_sim_step_done) SevGuestStep st = {};
        int r;

        /* The structures hold 64-bit pointers; a 32-bit caller would need
         * their compat layout, which the real driver does not offer. */
        if (flags & FUSE_IOCTL_COMPAT) {
                fuse_reply_err(req, ENOTTY);
                return;
        }
        r = sev_guest_sim_step(&c->sim, (unsigned long)(unsigned int)cmd, (uint64_t)(uintptr_t)arg,
                               in, in_size, out_size, &st);
        if (r < 0) {
                log_debug_errno(r, "sev-guest ioctl 0x%x failed in the simulator: %m",
                                (unsigned)cmd);
                fuse_reply_err(req, -r);
                return;
        }
        if (st.retry) {
                cuse_sev_guest_iov(st.in, st.n_in, iov_in);
                cuse_sev_guest_iov(st.out, st.n_out, iov_out);
                fuse_reply_ioctl_retry(req, iov_in, st.n_in, iov_out, st.n_out);
                return;
        }
        for (size_t i = 0; i < st.n_data; i++)
                iov_out[i] =
                        (struct iovec){.iov_base = (void *)st.data[i], .iov_len = st.data_len[i]};
        log_debug("sev-guest ioctl 0x%x: %d", (unsigned)cmd, st.result);
        if (st.n_data == 0)
                fuse_reply_ioctl(req, st.result, NULL, 0);
        else
                fuse_reply_ioctl_iov(req, st.result, iov_out, (int)st.n_data);
}

static void cuse_sev_guest_init_done(void *userdata) {
        CuseSevGuest *c = userdata;

        /* The kernel has made the device: now a test may use it. */
        if (sim_daemon_ready(c->daemon) < 0)
                c->ready_failed = true;
}

static const struct cuse_lowlevel_ops cuse_sev_guest_ops = {
        .init_done = cuse_sev_guest_init_done,
        .open = cuse_sev_guest_open,
        .ioctl = cuse_sev_guest_ioctl,
};

static void cuse_sev_guest_help(void) {
        printf("Usage: confnode-sim sev-guest --dir DIR [--name NAME] [--daemon] [--pid-file "
               "FILE]\n"
               "\n"
               "Serves /dev/NAME (default sev-guest) with the sev-guest driver's ioctls,\n"
               "SNP_GET_REPORT and SNP_GET_EXT_REPORT, answered by the simulated platform in DIR.\n"
               "Needs CUSE (/dev/cuse). Runs until SIGTERM.\n"
               "\n"
               "  -d, --dir DIR        A directory made by 'confnode-sim init'\n"
               "  -n, --name NAME      Device name under /dev\n"
               "  -D, --daemon         Return once the device exists; serve in the background\n"
               "  -P, --pid-file FILE  Write the serving process's PID to FILE\n"
               "  -c, --config FILE    Values over DIR/sim.conf\n"
               "  -s, --set KEY=VALUE  One value (repeatable)\n");
}

int verb_sev_guest(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"dir", required_argument, NULL, 'd'},
                {"name", required_argument, NULL, 'n'},
                {"daemon", no_argument, NULL, 'D'},
                {"pid-file", required_argument, NULL, 'P'},
                SIM_ARGS_CONFIG_LONG,
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(sim_ca_freep) SimCa *ca = NULL;
        _cleanup_free_ uint8_t *certs = NULL;
        _cleanup_(sim_daemon_done) SimDaemon daemon = SIM_DAEMON_INIT;
        const char *dir = NULL, *name = "sev-guest", *pid_file = NULL;
        char devname[sizeof("DEVNAME=") + CUSE_SEV_GUEST_NAME_MAX];
        const char *dev_info[] = {devname};
        char *cuse_argv[] = {argv[0], (char *)"-f", (char *)"-s", NULL};
        struct cuse_info ci = {
                .dev_info_argc = 1,
                .dev_info_argv = dev_info,
                .flags = CUSE_UNRESTRICTED_IOCTL,
        };
        SimArgsConfig config = {};
        struct fuse_session *se;
        bool background = false;
        CuseSevGuest c = {};
        size_t certs_size;
        SimConfig cfg;
        int opt, multithreaded, r;

        while ((opt = getopt_long(argc, argv, "d:n:DP:c:s:h", opts, NULL)) >= 0) {
                switch (opt) {
                case 'd':
                        dir = optarg;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'D':
                        background = true;
                        break;
                case 'P':
                        pid_file = optarg;
                        break;
                case 'h':
                        cuse_sev_guest_help();
                        return EXIT_OK;
                default:
                        if (sim_args_config_option(&config, opt, optarg) <= 0)
                                return EXIT_USAGE;
                        break;
                }
        }
        if (!dir || optind != argc) {
                log_error("sev-guest needs --dir DIR and takes no arguments; see 'confnode-sim "
                          "sev-guest --help'");
                return EXIT_USAGE;
        }
        if (!*name || strlen(name) > CUSE_SEV_GUEST_NAME_MAX || strchr(name, '/')) {
                log_error("--name '%s' is not a device name", name);
                return EXIT_USAGE;
        }
        snprintf(devname, sizeof(devname), "DEVNAME=%s", name);
        if (access("/dev/cuse", F_OK) < 0)
                return log_error_errno(
                               errno,
                               "No /dev/cuse (load the cuse module; the build host has none): %m"),
                       EXIT_FAIL;
        if (sim_args_load(dir, &config, &cfg, &ca) < 0)
                return EXIT_FAIL;
        r = snp_sim_cert_table(ca, &certs, &certs_size);
        if (r < 0)
                return log_error_errno(r, "Cannot make the certificate table: %m"), EXIT_FAIL;
        c.sim = (SevGuestSim){.snp = &cfg.snp,
                              .vcek_key = ca->vcek_key,
                              .certs = certs,
                              .certs_size = certs_size};
        c.daemon = &daemon;

        r = sim_daemon_start(background, pid_file, &daemon);
        if (r < 0)
                return log_error_errno(r, "Cannot start in the background: %m"), EXIT_FAIL;
        se = cuse_lowlevel_setup((int)ELEMENTSOF(cuse_argv) - 1, cuse_argv, &ci,
                                 &cuse_sev_guest_ops, &multithreaded, &c);
        if (!se) {
                log_error("Cannot set up the CUSE device '/dev/%s'", name);
                return EXIT_FAIL;
        }
        log_info("/dev/%s of the simulated SEV-SNP platform in '%s'", name, dir);
        r = fuse_session_loop(se);
        cuse_lowlevel_teardown(se);
        if (c.ready_failed)
                return EXIT_FAIL;
        if (r < 0)
                return log_error_errno(r, "Serving /dev/%s failed: %m", name), EXIT_FAIL;
        log_info("/dev/%s stopped", name);
        return EXIT_OK;
}
