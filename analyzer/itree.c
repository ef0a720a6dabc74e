/* itree: a treap keyed by range start; nodes live in one growing array and
 * are recycled through a free list, so memory follows the number of ranges
 * held, not the number ever inserted. */
#include "itree.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

static uint32_t next_prio(struct itree *t)
{
    /* xorshift64: priorities only need to look random */
    uint64_t x = t->rng ? t->rng : 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t->rng = x;
    return (uint32_t)(x >> 32);
}

static uint32_t node_new(struct itree *t)
{
    if (t->free_list) {
        uint32_t i = t->free_list;
        t->free_list = t->v[i].l;
        return i;
    }
    if (t->n == 0)
        t->n = 1;                /* slot 0 is "none" */
    if (FP_GROW(t->v, t->cap, (size_t)t->n + 1, 64) < 0)
        return 0;
    return t->n++;
}

/* Splits the subtree at i into keys < key (*l) and >= key (*r). */
static void split(struct itree *t, uint32_t i, uint64_t key, uint32_t *l, uint32_t *r)
{
    if (!i) {
        *l = *r = 0;
        return;
    }
    if (t->v[i].start < key) {
        split(t, t->v[i].r, key, &t->v[i].r, r);
        *l = i;
    } else {
        split(t, t->v[i].l, key, l, &t->v[i].l);
        *r = i;
    }
}

static uint32_t merge(struct itree *t, uint32_t a, uint32_t b)
{
    if (!a || !b)
        return a ? a : b;
    if (t->v[a].prio > t->v[b].prio) {
        t->v[a].r = merge(t, t->v[a].r, b);
        return a;
    }
    t->v[b].l = merge(t, a, t->v[b].l);
    return b;
}

int itree_insert(struct itree *t, uint64_t start, uint64_t end, uint64_t val)
{
    uint32_t k = node_new(t);
    if (!k)
        return -1;
    struct itree_node *x = &t->v[k];
    x->start = start, x->end = end, x->val = val;
    x->prio = next_prio(t);
    /* down to where its priority puts it, and the subtree there split
     * around it: the same treap as splitting the whole tree and merging
     * back, for a few nodes' work */
    uint32_t *link = &t->root;
    while (*link && t->v[*link].prio > x->prio)
        link = start < t->v[*link].start ? &t->v[*link].l : &t->v[*link].r;
    split(t, *link, start, &x->l, &x->r);
    *link = k;
    t->count++;
    return 0;
}

int itree_remove(struct itree *t, uint64_t start)
{
    uint32_t *link = &t->root;
    while (*link) {
        struct itree_node *x = &t->v[*link];
        if (x->start == start) {
            uint32_t k = *link;
            *link = merge(t, x->l, x->r);
            t->v[k].l = t->free_list;
            t->free_list = k;
            t->count--;
            return 1;
        }
        link = start < x->start ? &x->l : &x->r;
    }
    return 0;
}

const struct itree_node *itree_floor(const struct itree *t, uint64_t addr)
{
    const struct itree_node *best = NULL;
    for (uint32_t i = t->root; i;) {
        const struct itree_node *x = &t->v[i];
        if (x->start <= addr) {
            best = x;
            i = x->r;
        } else {
            i = x->l;
        }
    }
    return best;
}

const struct itree_node *itree_find(const struct itree *t, uint64_t addr)
{
    const struct itree_node *x = itree_floor(t, addr);
    return x && addr < x->end ? x : NULL;
}

int itree_cut(struct itree *t, uint64_t a, uint64_t b)
{
    if (b <= a)
        return 0;
    for (;;) {
        /* ranges are disjoint: the one with the largest start below b is
         * the only candidate; when it ends by a, nothing else overlaps */
        const struct itree_node *x = itree_floor(t, b - 1);
        if (!x || x->end <= a)
            return 0;
        struct itree_node c = *x;
        itree_remove(t, c.start);
        if (c.start < a && itree_insert(t, c.start, a, c.val) < 0)
            return -1;
        if (c.end > b && itree_insert(t, b, c.end, c.val) < 0)
            return -1;
    }
}

void itree_free(struct itree *t)
{
    free(t->v);
    memset(t, 0, sizeof(*t));
}
