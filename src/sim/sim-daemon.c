#include "sim-daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"

int sim_daemon_start(bool background, const char *pid_file, SimDaemon *d) {
        int fds[2], status;
        pid_t pid;
        char c;

        *d = SIM_DAEMON_INIT;
        if (pid_file && pid_file[0] != '/') {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);

                if (!cwd || asprintf(&d->pid_file, "%s/%s", cwd, pid_file) < 0) {
                        d->pid_file = NULL;
                        return -ENOMEM;
                }
        } else if (pid_file && !(d->pid_file = strdup(pid_file)))
                return -ENOMEM;
        if (!background)
                return 0;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;

                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid > 0) {
                ssize_t n;

                close(fds[1]);
                do
                        n = read(fds[0], &c, 1);
                while (n < 0 && errno == EINTR);
                close(fds[0]);
                if (n == 1)
                        _exit(0);
                /* The child ended before it was ready: its status is ours. */
                if (waitpid(pid, &status, 0) < 0)
                        _exit(1);
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        }
        close(fds[0]);
        d->notify_fd = fds[1];
        if (setsid() < 0)
                return -errno;
        return 0;
}

int sim_daemon_ready(SimDaemon *d) {
        int r;

        if (d->pid_file) {
                char text[32];

                snprintf(text, sizeof(text), "%d\n", (int)getpid());
                r = write_file_atomic(d->pid_file, text, strlen(text), 0644);
                if (r < 0)
                        return log_error_errno(r, "Cannot write the pid file '%s': %m",
                                               d->pid_file);
                d->pid_written = true;
        }
        if (d->notify_fd >= 0) {
                _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                /* Keep stderr: a test that redirected it sees our log. */
                if (null >= 0)
                        (void)dup2(null, STDIN_FILENO);
                if (chdir("/") < 0)
                        log_debug_errno(errno, "Cannot change to '/', ignoring: %m");
                if (write(d->notify_fd, "R", 1) != 1)
                        log_debug_errno(errno, "Cannot tell the parent we are ready, ignoring: %m");
                close(d->notify_fd);
                d->notify_fd = -1;
        }
        return 0;
}

void sim_daemon_done(SimDaemon *d) {
        if (d->pid_written && unlink(d->pid_file) < 0 && errno != ENOENT)
                log_debug_errno(errno, "Cannot remove the pid file '%s', ignoring: %m",
                                d->pid_file);
        d->pid_written = false;
        free(d->pid_file);
        d->pid_file = NULL;
        if (d->notify_fd >= 0) {
                close(d->notify_fd);
                d->notify_fd = -1;
        }
}
