/* RFC 3339 times. Parsed by hand rather than with strptime(), whose %z
 * does not take "Z" or "+02:00" everywhere and which says nothing about
 * trailing text. */

#include "confnode/crypto/cert-time.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

static bool cert_time_digits(const char **s, int n, int *ret) {
        int v = 0;

        for (int i = 0; i < n; i++) {
                char c = (*s)[i];

                if (c < '0' || c > '9')
                        return false;
                v = v * 10 + (c - '0');
        }
        *s += n;
        *ret = v;
        return true;
}

static bool cert_time_expect(const char **s, const char *any) {
        for (const char *a = any; *a; a++)
                if (**s == *a) {
                        (*s)++;
                        return true;
                }
        return false;
}

static bool cert_time_leap(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cert_time_parse_rfc3339(const char *s, time_t *ret) {
        static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int year, mon, day, hour, min, sec, off = 0;
        struct tm tm = {};
        time_t t;

        if (!s)
                return -EINVAL;
        if (!cert_time_digits(&s, 4, &year) || !cert_time_expect(&s, "-") ||
            !cert_time_digits(&s, 2, &mon) || !cert_time_expect(&s, "-") ||
            !cert_time_digits(&s, 2, &day) || !cert_time_expect(&s, "Tt ") ||
            !cert_time_digits(&s, 2, &hour) || !cert_time_expect(&s, ":") ||
            !cert_time_digits(&s, 2, &min) || !cert_time_expect(&s, ":") ||
            !cert_time_digits(&s, 2, &sec))
                return -EINVAL;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                while (*s >= '0' && *s <= '9')
                        s++;
        }
        if (cert_time_expect(&s, "Zz"))
                off = 0;
        else if (*s == '+' || *s == '-') {
                int sign = *s == '-' ? -1 : 1, oh, om;

                s++;
                if (!cert_time_digits(&s, 2, &oh) || !cert_time_expect(&s, ":") ||
                    !cert_time_digits(&s, 2, &om) || oh > 23 || om > 59)
                        return -EINVAL;
                off = sign * (oh * 3600 + om * 60);
        } else
                return -EINVAL;
        if (*s != 0)
                return -EINVAL;

        /* A leap second (":60") is the last second of its minute here:
         * certificates cannot express it either. */
        if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 60)
                return -EINVAL;
        if (day > mdays[mon - 1] + (mon == 2 && cert_time_leap(year)))
                return -EINVAL;
        tm = (struct tm){
                .tm_year = year - 1900,
                .tm_mon = mon - 1,
                .tm_mday = day,
                .tm_hour = hour,
                .tm_min = min,
                .tm_sec = sec > 59 ? 59 : sec,
        };
        t = timegm(&tm);
        if (t == (time_t) -1 && !(year == 1969 && mon == 12 && day == 31))
                return -EINVAL;
        *ret = t - off;
        return 0;
}

int cert_time_format_rfc3339(time_t t, char buf[static 21]) {
        struct tm tm;

        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
                return -EINVAL;
        if (strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
                return -EINVAL;
        return 0;
}
