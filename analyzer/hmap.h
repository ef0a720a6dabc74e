/* hmap: an open-addressing map from a non-zero u64 key to a u32 value, with
 * linear probing.  Used for stack ids, thread ids and the symbol cache; the
 * live-block table in model.c has its own, wider slots. */
#ifndef FP_HMAP_H
#define FP_HMAP_H

#include <stdint.h>
#include <stdlib.h>

struct hmap_slot {
    uint64_t key;   /* 0: empty */
    uint32_t val;
};

struct hmap {
    struct hmap_slot *s;
    size_t mask, n;
};

static inline uint64_t hmap_hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline void hmap_free(struct hmap *h)
{
    free(h->s);
    h->s = NULL;
    h->mask = h->n = 0;
}

/* Returns a pointer to the value, or NULL. */
static inline uint32_t *hmap_get(const struct hmap *h, uint64_t key)
{
    if (!h->s)
        return NULL;
    for (size_t i = hmap_hash(key) & h->mask;; i = (i + 1) & h->mask) {
        if (h->s[i].key == key)
            return &h->s[i].val;
        if (h->s[i].key == 0)
            return NULL;
    }
}

static inline int hmap_grow(struct hmap *h)
{
    size_t cap = h->s ? (h->mask + 1) * 2 : 64;
    struct hmap_slot *ns = calloc(cap, sizeof(*ns));
    if (!ns)
        return -1;
    if (h->s) {
        for (size_t i = 0; i <= h->mask; i++) {
            if (!h->s[i].key)
                continue;
            size_t j = hmap_hash(h->s[i].key) & (cap - 1);
            while (ns[j].key)
                j = (j + 1) & (cap - 1);
            ns[j] = h->s[i];
        }
        free(h->s);
    }
    h->s = ns;
    h->mask = cap - 1;
    return 0;
}

/* Sets key to val (key != 0).  Returns 0 or -1 (out of memory). */
static inline int hmap_put(struct hmap *h, uint64_t key, uint32_t val)
{
    if (!h->s || (h->n + 1) * 4 > (h->mask + 1) * 3)
        if (hmap_grow(h) < 0)
            return -1;
    size_t i = hmap_hash(key) & h->mask;
    while (h->s[i].key && h->s[i].key != key)
        i = (i + 1) & h->mask;
    if (!h->s[i].key)
        h->n++;
    h->s[i].key = key;
    h->s[i].val = val;
    return 0;
}

#endif
