/* map.h: a string-keyed hash map (open addressing) for topics, symbols, ids */
#ifndef TS_MAP_H
#define TS_MAP_H

#include <stddef.h>
#include <stdint.h>

/* An entry's value is either a pointer or a number, the caller's choice.
 * The map owns copies of the keys; it never frees values. */
struct ts_map_entry {
	char *key;
	uint64_t hash;
	union {
		void *p;
		uint64_t u;
	} v;
};

struct ts_map {
	struct ts_map_entry *e;
	size_t cap, len, tombs;
};

/* Zero-initialise a struct ts_map to use it; ts_map_clear frees its memory. */
void ts_map_clear(struct ts_map *m);
/* The entry for key, or NULL. */
struct ts_map_entry *ts_map_get(const struct ts_map *m, const char *key);
/* The entry for key, created (with a zero value) when absent; *created says
 * which, when not NULL. */
struct ts_map_entry *ts_map_put(struct ts_map *m, const char *key, int *created);
/* Remove key; returns 1 if it was present. */
int ts_map_del(struct ts_map *m, const char *key);
/* Iterate: start with *i = 0; returns the next live entry or NULL. Entries
 * may be deleted while iterating, not added. */
struct ts_map_entry *ts_map_next(const struct ts_map *m, size_t *i);

uint64_t ts_hash(const char *s, size_t n);

#endif
