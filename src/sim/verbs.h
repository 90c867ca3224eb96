#pragma once

/* The verbs of confnode-sim. */

enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,  /* the operation ran and failed */
        EXIT_USAGE = 2, /* bad command line */
};

/* argv[0] is the verb. */
int verb_measure_boot(int argc, char *argv[]);
