/* fuzz_tm.c: ts_rfc3339_parse against timegm(3), and the parse -> fmt ->
 * parse round trip; also ts_duration_parse. Input: one time text. */
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "tm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1), *z;
	char buf[64];
	int64_t us, us2, dur;
	size_t len;

	memcpy(s, data, size);
	if (!ts_rfc3339_parse(s, size, &us)) {
		int y, mo, d, h, mi, sec;
		struct tm tm = { 0 };
		time_t t;
		/* the fields the parser accepted, read again by sscanf */
		FUZZ_ASSERT(size >= 20);
		FUZZ_ASSERT(sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) == 3);
		FUZZ_ASSERT(sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &sec) == 3);
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = sec == 60 ? 59 : sec;
		t = timegm(&tm);
		/* the date is a real one: timegm does not have to normalise it */
		FUZZ_ASSERT(tm.tm_mday == d && tm.tm_mon == mo - 1);
		{
			/* us differs from the UTC wall time by the offset only */
			int64_t off = (int64_t)t - (us - (us % TS_US_PER_SEC + TS_US_PER_SEC) %
			    TS_US_PER_SEC) / TS_US_PER_SEC;
			FUZZ_ASSERT(off % 60 == 0 && off > -24 * 3600 && off < 24 * 3600);
		}
		len = ts_rfc3339_fmt(us, buf, sizeof buf);
		FUZZ_ASSERT(len > 0 && len < sizeof buf);
		/* years 0000-9999 write as RFC 3339 again and read back the same */
		if (buf[0] != '-' && len == 27) {
			FUZZ_ASSERT(!ts_rfc3339_parse(buf, len, &us2));
			FUZZ_ASSERT(us2 == us);
		}
	}
	z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	if (!ts_duration_parse(z, &dur))
		FUZZ_ASSERT(dur >= 0);
	free(z);
	free(s);
	return 0;
}
