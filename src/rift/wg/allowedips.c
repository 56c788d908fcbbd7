/* allowedips.c - longest-prefix match on a binary trie (contract in allowedips.h). */
#include "rift/wg/allowedips.h"

#include <glib.h>
#include <string.h>

#include "core/err.h"

/* One bit of the address per level; a node holds a peer when a prefix ends there. */
struct node {
	struct node *child[2];
	void *peer;
};

/* A lookup's answer, kept for the next lookup of the same address. */
struct cached {
	int family; /* 0: empty */
	uint8_t addr[16];
	void *peer;
};

#define CACHE 2 /* a tunnel's hot addresses: where it sends, where it hears from */

struct rg_allowedips {
	struct node *root4, *root6;
	size_t count;
	struct cached cache[CACHE]; /* emptied by every change */
	unsigned victim;	    /* the entry a miss replaces */
};

static unsigned addr_bits(int family)
{
	return family == 4 ? 32 : 128;
}

static unsigned bit_at(const uint8_t *addr, unsigned i)
{
	return (addr[i / 8] >> (7 - i % 8)) & 1;
}

struct rg_allowedips *rg_allowedips_new(void)
{
	return g_new0(struct rg_allowedips, 1);
}

static void node_free(struct node *n)
{
	if (n == NULL)
		return;
	node_free(n->child[0]);
	node_free(n->child[1]);
	g_free(n);
}

void rg_allowedips_free(struct rg_allowedips *t)
{
	if (t == NULL)
		return;
	node_free(t->root4);
	node_free(t->root6);
	g_free(t);
}

static struct node **root_of(struct rg_allowedips *t, int family)
{
	return family == 4 ? &t->root4 : &t->root6;
}

int rg_allowedips_insert(struct rg_allowedips *t, int family, const uint8_t *addr, unsigned cidr,
			 void *peer)
{
	struct node **slot;

	if ((family != 4 && family != 6) || cidr > addr_bits(family) || peer == NULL)
		return CORE_ERR_INVALID_ARG;
	slot = root_of(t, family);
	for (unsigned i = 0;; i++) {
		if (*slot == NULL)
			*slot = g_new0(struct node, 1);
		if (i == cidr)
			break;
		slot = &(*slot)->child[bit_at(addr, i)];
	}
	if ((*slot)->peer == NULL)
		t->count++;
	(*slot)->peer = peer;
	memset(t->cache, 0, sizeof(t->cache));
	return CORE_OK;
}

/* The trie's answer. */
static void *walk_lookup(const struct rg_allowedips *t, int family, const uint8_t *addr)
{
	const struct node *n;
	void *best = NULL;

	n = family == 4 ? t->root4 : t->root6;
	for (unsigned i = 0; n != NULL; i++) {
		if (n->peer != NULL)
			best = n->peer;
		if (i == addr_bits(family))
			break;
		n = n->child[bit_at(addr, i)];
	}
	return best;
}

void *rg_allowedips_lookup(struct rg_allowedips *t, int family, const uint8_t *addr)
{
	size_t alen = family == 4 ? 4 : 16;
	struct cached *c;

	if (family != 4 && family != 6)
		return NULL;
	for (unsigned i = 0; i < CACHE; i++) {
		c = &t->cache[i];
		if (c->family == family && memcmp(c->addr, addr, alen) == 0) {
			t->victim = (i + 1) % CACHE;
			return c->peer;
		}
	}
	c = &t->cache[t->victim];
	t->victim = (t->victim + 1) % CACHE;
	c->family = family;
	memcpy(c->addr, addr, alen);
	c->peer = walk_lookup(t, family, addr);
	return c->peer;
}

/* Remove peer's prefixes below n; prune empty nodes. Returns n, or NULL if freed. */
static struct node *prune(struct node *n, const void *peer, size_t *removed)
{
	if (n == NULL)
		return NULL;
	n->child[0] = prune(n->child[0], peer, removed);
	n->child[1] = prune(n->child[1], peer, removed);
	if (n->peer == peer) {
		n->peer = NULL;
		(*removed)++;
	}
	if (n->peer == NULL && n->child[0] == NULL && n->child[1] == NULL) {
		g_free(n);
		return NULL;
	}
	return n;
}

size_t rg_allowedips_remove_peer(struct rg_allowedips *t, const void *peer)
{
	size_t removed = 0;

	t->root4 = prune(t->root4, peer, &removed);
	t->root6 = prune(t->root6, peer, &removed);
	t->count -= removed;
	memset(t->cache, 0, sizeof(t->cache));
	return removed;
}

size_t rg_allowedips_count(const struct rg_allowedips *t)
{
	return t->count;
}

static void walk(const struct node *n, int family, uint8_t *addr, unsigned depth, const void *peer,
		 rg_allowedips_visit_fn fn, void *data)
{
	if (n == NULL)
		return;
	if (n->peer == peer)
		fn(family, addr, depth, data);
	for (unsigned b = 0; b < 2; b++) {
		if (n->child[b] == NULL)
			continue;
		if (b)
			addr[depth / 8] |= (uint8_t)(0x80 >> (depth % 8));
		walk(n->child[b], family, addr, depth + 1, peer, fn, data);
		addr[depth / 8] &= (uint8_t) ~(0x80 >> (depth % 8));
	}
}

void rg_allowedips_foreach(const struct rg_allowedips *t, const void *peer,
			   rg_allowedips_visit_fn fn, void *data)
{
	uint8_t addr[16] = { 0 };

	walk(t->root4, 4, addr, 0, peer, fn, data);
	memset(addr, 0, sizeof(addr));
	walk(t->root6, 6, addr, 0, peer, fn, data);
}
