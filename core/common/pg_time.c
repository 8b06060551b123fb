#include "common/pg_time.h"
#include "common/pg_err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t pg_time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pg_time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pg_time_format(int64_t ms, char *buf, size_t len)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

int pg_time_parse(const char *s, int64_t *out_ms)
{
	struct tm tm = {0};
	int frac_ms = 0;
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return PG_EINVAL;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
		if (digits == 0)
			return PG_EINVAL;
		for (; digits < 3; digits++)
			frac_ms *= 10;
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59 || strlen(p) != 6)
			return PG_EINVAL;
		offset = (hh * 3600L + mm * 60L) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return PG_EINVAL;
	}
	if (*p != '\0')
		return PG_EINVAL;
	/* strptime takes 2030-02-30 and timegm makes it March 2: refuse a
	 * date that does not come back as written */
	struct tm given = tm, back;
	time_t t = timegm(&tm);
	if (!gmtime_r(&t, &back) || back.tm_year != given.tm_year || back.tm_mon != given.tm_mon ||
	    back.tm_mday != given.tm_mday || back.tm_hour != given.tm_hour ||
	    back.tm_min != given.tm_min || back.tm_sec != given.tm_sec)
		return PG_EINVAL;
	*out_ms = ((int64_t)t - offset) * 1000 + frac_ms;
	return 0;
}

void pg_time_after(clockid_t clock, int64_t ms, struct timespec *ts)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
