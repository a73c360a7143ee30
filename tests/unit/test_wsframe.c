/* test_wsframe: RFC 6455 frame headers: what ts_ws_hdr_write writes ts_ws_hdr_read reads back, and the headers no peer may send */
#include <stdint.h>

#include "t.h"
#include "wsframe.h"

static void
test_round_trip(void)
{
	static const uint64_t sizes[] = { 0, 1, 125, 126, 65535, 65536, (uint64_t)1 << 32 };
	static const size_t plain[] = { 2, 2, 2, 4, 4, 10, 10 };
	const unsigned char mask[4] = { 9, 8, 7, 6 };
	unsigned char b[TS_WS_HDR_MAX];

	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
		for (int client = 0; client < 2; client++) {
			struct ts_ws_hdr h;
			const char *err = NULL;
			size_t n = ts_ws_hdr_write(b, TS_WS_TEXT, sizes[k], client ? mask : NULL);
			CHECK_INT(n, plain[k] + (client ? 4 : 0));
			/* one byte short is "more bytes", never a wrong answer */
			CHECK_INT(ts_ws_hdr_read(b, n - 1, client, &h, &err), 0);
			CHECK_INT(ts_ws_hdr_read(b, n, client, &h, &err), (int)n);
			CHECK_INT(h.fin, 1);
			CHECK_INT(h.opcode, TS_WS_TEXT);
			CHECK_INT(h.masked, client);
			CHECK_INT(h.hlen, n);
			CHECK(h.len == sizes[k]);
			CHECK(!client || memcmp(h.mask, mask, 4) == 0);
			/* the other side's frames are refused */
			CHECK_INT(ts_ws_hdr_read(b, n, !client, &h, &err), -1);
			CHECK(strstr(err, "masked") != NULL);
		}
}

static void
test_refused(void)
{
	struct ts_ws_hdr h;
	const char *err = NULL;
	const unsigned char huge[10] = { 0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	const unsigned char rsv[] = { 0xc1, 0 }, longping[] = { 0x89, 126, 0, 200 };
	const unsigned char fragping[] = { 0x09, 0 }, op3[] = { 0x83, 0 }, op11[] = { 0x8b, 0 };
	const unsigned char cont[] = { 0x00, 3 };

	CHECK_INT(ts_ws_hdr_read(huge, sizeof huge, 0, &h, &err), -1);
	CHECK(strstr(err, "2^63") != NULL);
	CHECK_INT(ts_ws_hdr_read(rsv, sizeof rsv, 0, &h, &err), -1);
	CHECK(strstr(err, "reserved") != NULL);
	/* a control frame is refused from its first two bytes */
	CHECK_INT(ts_ws_hdr_read(longping, 2, 0, &h, &err), -1);
	CHECK_INT(ts_ws_hdr_read(fragping, sizeof fragping, 0, &h, &err), -1);
	CHECK_INT(ts_ws_hdr_read(op3, sizeof op3, 0, &h, &err), -1);
	CHECK_INT(ts_ws_hdr_read(op11, sizeof op11, 0, &h, &err), -1);
	CHECK_INT(ts_ws_hdr_read(cont, sizeof cont, 0, &h, &err), 2);
	CHECK_INT(h.fin, 0);
	CHECK_INT(h.opcode, TS_WS_CONT);
	CHECK_INT(h.len, 3);
}

int
main(void)
{
	RUN(test_round_trip);
	RUN(test_refused);
	return DONE();
}
