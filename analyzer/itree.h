/* itree: an ordered set of disjoint address ranges [start, end) with a value
 * each, as a treap in one array (no allocation per node once grown).  The
 * model keeps its live blocks of a page or more and the program's own
 * mappings in one, so that a sampled fault address finds its range in
 * O(log n). */
#ifndef FP_ITREE_H
#define FP_ITREE_H

#include <stdint.h>

struct itree_node {
    uint64_t start, end, val;
    uint32_t l, r, prio;         /* children: node index, 0 = none */
};

struct itree {
    struct itree_node *v;        /* v[0] unused: index 0 means none */
    uint32_t n, cap, root, free_list;
    uint32_t count;
    uint64_t rng;
};

/* Adds [start, end) (start must not be present).  Returns 0 or -1 (OOM). */
int itree_insert(struct itree *t, uint64_t start, uint64_t end, uint64_t val);
/* Removes the range starting at start; returns 1 when there was one. */
int itree_remove(struct itree *t, uint64_t start);
/* The range with the largest start <= addr, or NULL. */
const struct itree_node *itree_floor(const struct itree *t, uint64_t addr);
/* The range containing addr, or NULL. */
const struct itree_node *itree_find(const struct itree *t, uint64_t addr);
/* Cuts [a, b) out of every range it overlaps (their remainders stay, with
 * their values).  Returns 0 or -1 (OOM). */
int itree_cut(struct itree *t, uint64_t a, uint64_t b);
void itree_free(struct itree *t);

#endif
