/* A chained hash set of strings for the make row of the compatibility matrix. */
#include <stdlib.h>
#include <string.h>
#include "compat_make.h"

struct entry {
    struct entry *next;
    char *key;
};

struct compat_table {
    size_t buckets, count;
    struct entry **slot;
};

static size_t hash(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

struct compat_table *compat_table_new(size_t buckets)
{
    struct compat_table *t = malloc(sizeof *t);
    t->buckets = buckets;
    t->count = 0;
    t->slot = calloc(buckets, sizeof *t->slot);
    return t;
}

void compat_table_add(struct compat_table *t, const char *key)
{
    size_t b = hash(key) % t->buckets;
    for (struct entry *e = t->slot[b]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return;
    struct entry *e = malloc(sizeof *e);
    e->key = strdup(key);
    e->next = t->slot[b];
    t->slot[b] = e;
    t->count++;
}

size_t compat_table_count(const struct compat_table *t)
{
    return t->count;
}

void compat_table_free(struct compat_table *t)
{
    for (size_t b = 0; b < t->buckets; b++)
        for (struct entry *e = t->slot[b], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e);
        }
    free(t->slot);
    free(t);
}
