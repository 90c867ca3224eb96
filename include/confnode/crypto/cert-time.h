#pragma once

/* Points in time as certificates and operators write them: RFC 3339 on
 * the command line and in verdicts, time_t inside. */

#include <time.h>

/* "2025-08-15T12:00:00Z", "2025-08-15T14:00:00+02:00", fractions of a
 * second allowed (and dropped), 't'/'z' and a space for 'T' too. -EINVAL if
 * s is not such a time or lies outside what time_t holds. */
int cert_time_parse_rfc3339(const char *s, time_t *ret);

/* UTC, "YYYY-MM-DDTHH:MM:SSZ". -EINVAL if t does not fit four digits of
 * year. */
int cert_time_format_rfc3339(time_t t, char buf[static 21]);
