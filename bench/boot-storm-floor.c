/* The crypto floor of one attestation, from `openssl speed` run in the same
 * process group as the storm: what the verifier cannot avoid spending per
 * node, whatever else it does.
 *   cached chain: 1 ECDSA P-384 verify (the SNP report, with a VCEK whose
 *                 chain was verified before and is cached)
 *                 + 1 ECDSA P-256 verify (the vTPM quote, signed by the AK)
 *                 + 2 ECDH P-256 (ECDH-ES for the JWE of each of the two
 *                 resources)
 *   cold chain:   the above + 3 RSA-4096 PSS verify (ARK self-signature,
 *                 ARK -> ASK, ASK -> VCEK)
 * floor/s = 1 / sum(1 / rate_i).
 *
 * By default openssl times each operation in CPU seconds of its own
 * process, which is what "per core" means and what the verifier's side is
 * measured in (N / its CPU seconds). With -elapsed (elapsed = true) it
 * counts wall seconds instead: the same on an idle core, but on a machine
 * other work shares it understates the floor, so the ratio comes out too
 * good. How much of a core openssl got is measured either way. */

#include "boot-storm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define STORM_FLOOR_ALGORITHMS "ecdsap384 ecdsap256 rsa4096 ecdhp256"

/* The per-second figures of a result line: numbers not ending in 's' after
 * the algorithm's name (the ones ending in 's' are seconds per operation).
 * Works for OpenSSL 3.0's "sign verify sign/s verify/s" and 3.2's RSA line
 * with encrypt/decrypt columns alike: verify/s is always the second rate. */
static size_t storm_floor_rates(const char *after, double *rates, size_t max) {
        _cleanup_free_ char *copy = strdup(after);
        char *save = NULL, *tok;
        size_t n = 0;

        if (!copy)
                return 0;
        for (tok = strtok_r(copy, " \t\n", &save); tok && n < max;
             tok = strtok_r(NULL, " \t\n", &save)) {
                size_t len = strlen(tok);
                char *end;
                double v;

                if (len == 0 || tok[len - 1] == 's' || tok[len - 1] == ')')
                        continue;
                v = strtod(tok, &end);
                if (*end == '\0')
                        rates[n++] = v;
        }
        return n;
}

static void storm_floor_line(const char *line, StormFloor *f) {
        const char *p;
        double rates[8];
        size_t n;

        if ((p = strstr(line, "ecdsa (nistp384)"))) {
                n = storm_floor_rates(p + strlen("ecdsa (nistp384)"), rates, 8);
                if (n >= 2)
                        f->p384_verify = rates[1];
        } else if ((p = strstr(line, "ecdsa (nistp256)"))) {
                n = storm_floor_rates(p + strlen("ecdsa (nistp256)"), rates, 8);
                if (n >= 2)
                        f->p256_verify = rates[1];
        } else if ((p = strstr(line, "ecdh (nistp256)"))) {
                n = storm_floor_rates(p + strlen("ecdh (nistp256)"), rates, 8);
                if (n >= 1)
                        f->ecdh_p256 = rates[0];
        } else if (strncmp(line, "rsa", 3) == 0 && (p = strstr(line, "4096 bits"))) {
                n = storm_floor_rates(p + strlen("4096 bits"), rates, 8);
                if (n >= 2)
                        f->rsa4096_verify = rates[1];
        }
}

static double storm_floor_children_cpu_s(void) {
        struct rusage ru;

        if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
                return 0;
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double storm_floor_now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int storm_floor_measure(bool elapsed, StormFloor *ret) {
        StormFloor f = {};
        char line[1024], cmd[512];
        double cached_us, cpu0, t0;
        FILE *pipe;

        snprintf(f.command, sizeof(f.command), "openssl speed -seconds 1 %s" STORM_FLOOR_ALGORITHMS,
                 elapsed ? "-elapsed " : "");
        f.elapsed = elapsed;
        snprintf(cmd, sizeof(cmd), "%s 2>/dev/null", f.command);
        fflush(stdout);
        cpu0 = storm_floor_children_cpu_s();
        t0 = storm_floor_now_s();
        pipe = popen(cmd, "r");
        if (!pipe)
                return -errno;
        while (fgets(line, sizeof(line), pipe))
                storm_floor_line(line, &f);
        (void)pclose(pipe);
        /* With -elapsed the rates are per core only if openssl had a core
         * to itself, which this tells. */
        f.wall_s = storm_floor_now_s() - t0;
        f.cpu_s = storm_floor_children_cpu_s() - cpu0;
        if (f.p384_verify <= 0 || f.p256_verify <= 0 || f.ecdh_p256 <= 0 || f.rsa4096_verify <= 0)
                return -ENODATA;
        cached_us = 1e6 / f.p384_verify + 1e6 / f.p256_verify + 2 * 1e6 / f.ecdh_p256;
        f.cached = 1e6 / cached_us;
        f.cold = 1e6 / (cached_us + 3 * 1e6 / f.rsa4096_verify);
        *ret = f;
        return 0;
}

double storm_floor_between(const StormFloor *a, const StormFloor *b) {
        return 2.0 / (1.0 / a->cached + 1.0 / b->cached);
}
