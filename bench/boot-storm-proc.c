/* The verifier's own cost, read from /proc by its PID: CPU time (utime +
 * stime of the whole process, exited threads included, in clock ticks)
 * and memory (VmRSS now, VmHWM the peak since it started). */

#include "boot-storm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int storm_proc_stat(pid_t pid, StormProc *p) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], buf[2048], *s;
        unsigned long long utime, stime;
        long threads;
        long tick = sysconf(_SC_CLK_TCK);

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(buf, sizeof(buf), f))
                return -EIO;
        /* The command name may hold spaces and parentheses: fields start
         * after the last ')'. Then state (3) ... utime (14), stime (15),
         * num_threads (20). */
        s = strrchr(buf, ')');
        if (!s || tick <= 0)
                return -EBADMSG;
        if (sscanf(s + 1,
                   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld",
                   &utime, &stime, &threads) != 3)
                return -EBADMSG;
        p->user_s = (double)utime / (double)tick;
        p->sys_s = (double)stime / (double)tick;
        p->cpu_s = p->user_s + p->sys_s;
        p->threads = threads;
        return 0;
}

static int storm_proc_status(pid_t pid, StormProc *p) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], line[256];

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        p->rss_kib = p->hwm_kib = -1;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "VmRSS:", 6) == 0)
                        p->rss_kib = strtol(line + 6, NULL, 10);
                else if (strncmp(line, "VmHWM:", 6) == 0)
                        p->hwm_kib = strtol(line + 6, NULL, 10);
        }
        return p->rss_kib >= 0 && p->hwm_kib >= 0 ? 0 : -EBADMSG;
}

int storm_proc_read(pid_t pid, StormProc *ret) {
        StormProc p = {};
        int r;

        r = storm_proc_stat(pid, &p);
        if (r < 0)
                return r;
        r = storm_proc_status(pid, &p);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}
