/* map.c: open addressing with linear probing and tombstones */
#include "map.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static char tomb[1];

uint64_t
ts_hash(const char *s, size_t n)
{
	/* FNV-1a, 64 bit */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
ts_map_clear(struct ts_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->e[i].key && m->e[i].key != tomb)
			free(m->e[i].key);
	free(m->e);
	memset(m, 0, sizeof *m);
}

static struct ts_map_entry *
find(const struct ts_map *m, const char *key, uint64_t h)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct ts_map_entry *e = &m->e[i];
		if (!e->key)
			return NULL;
		if (e->key != tomb && e->hash == h && !strcmp(e->key, key))
			return e;
	}
}

struct ts_map_entry *
ts_map_get(const struct ts_map *m, const char *key)
{
	return find(m, key, ts_hash(key, strlen(key)));
}

static void
rehash(struct ts_map *m, size_t cap)
{
	struct ts_map_entry *old = m->e;
	size_t oldcap = m->cap;

	m->e = ts_xcalloc(cap, sizeof *m->e);
	m->cap = cap;
	m->tombs = 0;
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;
		if (!old[i].key || old[i].key == tomb)
			continue;
		for (j = old[i].hash & (cap - 1); m->e[j].key; j = (j + 1) & (cap - 1))
			;
		m->e[j] = old[i];
	}
	free(old);
}

struct ts_map_entry *
ts_map_put(struct ts_map *m, const char *key, int *created)
{
	uint64_t h = ts_hash(key, strlen(key));
	struct ts_map_entry *e = find(m, key, h);
	size_t i;

	if (created)
		*created = !e;
	if (e)
		return e;
	if ((m->len + m->tombs + 1) * 4 >= m->cap * 3)
		rehash(m, m->cap ? (m->len * 2 >= m->cap ? m->cap * 2 : m->cap) : 16);
	for (i = h & (m->cap - 1); m->e[i].key && m->e[i].key != tomb;
	    i = (i + 1) & (m->cap - 1))
		;
	e = &m->e[i];
	if (e->key == tomb)
		m->tombs--;
	e->key = ts_xstrdup(key);
	e->hash = h;
	e->v.u = 0;
	m->len++;
	return e;
}

int
ts_map_del(struct ts_map *m, const char *key)
{
	struct ts_map_entry *e = find(m, key, ts_hash(key, strlen(key)));

	if (!e)
		return 0;
	free(e->key);
	e->key = tomb;
	m->len--;
	m->tombs++;
	return 1;
}

struct ts_map_entry *
ts_map_next(const struct ts_map *m, size_t *i)
{
	for (; *i < m->cap; (*i)++)
		if (m->e[*i].key && m->e[*i].key != tomb)
			return &m->e[(*i)++];
	return NULL;
}
