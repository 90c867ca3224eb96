#pragma once

/* Running a simulator in the background for a test: the command returns
 * only once the simulated interface is there (or with the error that kept
 * it from being), and the pid file then names the process to stop. */

#include <stdbool.h>

typedef struct SimDaemon {
        int notify_fd;  /* to the waiting parent; -1 in the foreground */
        char *pid_file; /* absolute: the daemon changes to / */
        bool pid_written;
} SimDaemon;

#define SIM_DAEMON_INIT ((SimDaemon){.notify_fd = -1})

/* With background set, forks: the parent waits until the child calls
 * sim_daemon_ready() and exits 0, or exits with the child's status if it
 * ends first; the child returns 0 in a session of its own. Otherwise
 * returns 0 at once. */
int sim_daemon_start(bool background, const char *pid_file, SimDaemon *d);

/* The interface is up: writes the pid file and lets the parent go. */
int sim_daemon_ready(SimDaemon *d);

/* Removes the pid file this process wrote; frees d's memory. */
void sim_daemon_done(SimDaemon *d);
