/* fuzz_topic.c: ts_topic_parse, ts_topic_valid_sub and ts_topic_match.
 * Input: a subscription, optionally a newline and a topic to match it with. */
#include <string.h>

#include "fuzz.h"
#include "tm.h"
#include "topic.h"

static int
is_market(const char *kind)
{
	return !strcmp(kind, "trades") || !strcmp(kind, "book") ||
	    !strcmp(kind, "candles") || !strcmp(kind, "alerts");
}

static void
check_topic(const char *s)
{
	struct ts_topic t;
	const char *why = NULL;
	size_t len = strlen(s);

	if (ts_topic_parse(s, &t, &why)) {
		FUZZ_ASSERT(why && *why);
		return;
	}
	/* a complete topic is also a valid subscription, and matches itself only */
	FUZZ_ASSERT(len > 0 && len < TS_TOPIC_MAX && s[len - 1] != '/');
	FUZZ_ASSERT(!ts_topic_valid_sub(s, NULL));
	FUZZ_ASSERT(ts_topic_match(s, s, len));
	{
		char longer[TS_TOPIC_MAX + 2];
		memcpy(longer, s, len);
		longer[len] = 'T';
		FUZZ_ASSERT(!ts_topic_match(s, longer, len + 1));
		FUZZ_ASSERT(!ts_topic_match(s, s, len - 1));
	}
	if (is_market(t.kind)) {
		char buf[TS_TOPIC_MAX];
		int candles = !strcmp(t.kind, "candles");
		FUZZ_ASSERT(ts_ex_valid(t.ex) && ts_sym_valid(t.sym));
		FUZZ_ASSERT(candles ? ts_tf_us(t.tf) > 0 : !t.tf[0]);
		/* building it from its parts gives the same text */
		FUZZ_ASSERT(ts_topic_build(buf, sizeof buf, t.kind, t.ex, t.sym,
		    candles ? t.tf : NULL) == len);
		FUZZ_ASSERT(!strcmp(buf, s));
	} else {
		FUZZ_ASSERT(t.kind[0] >= 'a' && t.kind[0] <= 'z' && t.ex[0]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl;
	const char *sub, *topic, *why = NULL;
	size_t sl, tl;
	int valid;

	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	sub = s;
	topic = nl ? nl + 1 : s;
	check_topic(sub);
	if (nl)
		check_topic(topic);
	valid = !ts_topic_valid_sub(sub, &why);
	FUZZ_ASSERT(valid || (why && *why));
	sl = strlen(sub);
	tl = strlen(topic);
	/* matching is exact, or a prefix when the subscription ends in '/' */
	FUZZ_ASSERT(ts_topic_match(sub, topic, tl) ==
	    (sl <= tl && !memcmp(sub, topic, sl) && (sl == tl || (sl && sub[sl - 1] == '/'))));
	/* a valid wildcard accepts exactly the complete topics under it */
	if (valid && sl && sub[sl - 1] == '/' && !ts_topic_parse(topic, NULL, NULL) &&
	    ts_topic_match(sub, topic, tl)) {
		FUZZ_ASSERT(tl > sl);
	}
	free(s);
	return 0;
}
