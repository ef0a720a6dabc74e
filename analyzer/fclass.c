/* fclass: the class of each sampled page fault, from the replayed memory
 * history.  A sample's class is the first rule that holds:
 *
 *   stack           the address is in a thread's stack
 *   file            in a file mapping or a loaded module
 *   other           nowhere the trace shows, or a major fault on anonymous
 *                   memory (swapped out and read back)
 *   copy_on_write   in a fork child: memory the child did not allocate or map
 *                   and whose page it had not faulted before; in the parent:
 *                   a page last faulted before the last fork (period > 1:
 *                   the page's 2 MiB extent was, and its block predates the
 *                   fork)
 *   protection      an mprotect covering the page came after its last fault
 *                   (period > 1: after the first sample in its 2 MiB extent,
 *                   when the mprotect made writable what a read-only
 *                   protection had held)
 *   refault_*       a release covering the page (a heap trim, munmap or the
 *                   free of an mmapped block, madvise DONTNEED/FREE/REMOVE)
 *                   came after its last fault (period > 1: after a sample
 *                   within the released range's 2 MiB extents); or the page
 *                   is in a block of its own mmap that replaced a freed one
 *                   of its site (refault_munmap, inferred)
 *   huge_page       THP applies (the mode is always and the block or mapping
 *                   covers the page's 2 MiB extent, or madvise(MADV_HUGEPAGE)
 *                   covered it) and its extent had no sample before
 *   zero_page_write the page faulted before and nothing was released,
 *                   protected or forked since: the first fault was a read,
 *                   which maps the shared zero page, this one the write
 *   first_touch     anything else on anonymous memory
 *
 * Period 1 samples every fault, so the page history is complete and the
 * rules are exact; with period N a page's earlier fault is sampled one time
 * in N, the rules fall back on the ranges' histories and zero_page_write is
 * seen only when both of a page's faults were sampled (faultprof-report(1)). */
#include "fclass.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "model.h"

#define EXTENT_SHIFT 21          /* a transparent huge page: 2 MiB */
#define MADV_DONTNEED_ 4
#define MADV_FREE_ 8
#define MADV_REMOVE_ 9
#define MADV_DONTNEED_LOCKED_ 24
#define PROT_WRITE_ 2
#define PROT_READ_ 1

static const char *const names[][2] = {
#define FP_X(n, k, t) { k, t },
    FP_FCLASS_LIST(FP_X)
#undef FP_X
};

const char *fp_fclass_name(int c)
{
    return c >= 0 && c < FP_FCLASS_COUNT ? names[c][0] : "?";
}

const char *fp_fclass_title(int c)
{
    return c >= 0 && c < FP_FCLASS_COUNT ? names[c][1] : "?";
}

int fp_fclass_of_name(const char *s)
{
    for (int c = 0; c < FP_FCLASS_COUNT; c++)
        if (!strcmp(s, names[c][0]))
            return c;
    return -1;
}

int fp_hist_init(struct fp_mem_history *h)
{
    memset(h, 0, sizeof(*h));
    h->page_shift = 12;
    h->period = 1;
    h->released = calloc(1, sizeof(*h->released));
    h->prot = calloc(1, sizeof(*h->prot));
    h->thp_advice = calloc(1, sizeof(*h->thp_advice));
    return h->released && h->prot && h->thp_advice ? 0 : -1;
}

void fp_hist_free(struct fp_mem_history *h)
{
    hmap_free(&h->pages);
    hmap_free(&h->extents);
    struct itree **t[] = { &h->released, &h->prot, &h->thp_advice };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (*t[i]) {
            itree_free(*t[i]);
            free(*t[i]);
            *t[i] = NULL;
        }
    }
    free(h->rel);
    h->rel = NULL;
    h->nrel = h->caprel = 0;
}

/* The first sample's clock in any 2 MiB extent of [lo, hi), 0: none. */
static uint32_t extents_first(const struct fp_mem_history *h, uint64_t lo, uint64_t hi)
{
    if (!h->extents.n || hi <= lo)
        return 0;
    uint64_t a = lo >> EXTENT_SHIFT, b = (hi - 1) >> EXTENT_SHIFT;
    uint32_t best = 0;
    if (b - a < h->extents.n) {
        for (uint64_t g = a; g <= b; g++) {
            const uint32_t *v = hmap_get(&h->extents, g + 1);
            if (v && (!best || *v < best))
                best = *v;
        }
        return best;
    }
    /* a range wider than the extents seen: look at those */
    for (size_t i = 0; i <= h->extents.mask; i++) {
        const struct hmap_slot *s = &h->extents.s[i];
        if (s->key && s->key - 1 >= a && s->key - 1 <= b && (!best || s->val < best))
            best = s->val;
    }
    return best;
}

static int madv_group(int advice)
{
    return advice == MADV_FREE_ ? FP_MADV_G_FREE
         : advice == MADV_DONTNEED_ || advice == MADV_DONTNEED_LOCKED_ ? FP_MADV_G_DONTNEED
         : FP_MADV_G_OTHER;
}

int fp_hist_release(struct fp_mem_history *h, uint64_t lo, uint64_t hi, int kind, int advice,
                    int by_alloc)
{
    uint64_t page = (uint64_t)1 << h->page_shift;
    lo &= ~(page - 1);
    hi = (hi + page - 1) & ~(page - 1);
    if (hi <= lo)
        return 0;
    if (FP_GROW(h->rel, h->caprel, h->nrel + 1, 64) < 0)
        return -1;
    struct fp_release *r = &h->rel[h->nrel];
    r->clock = ++h->clock;
    r->kind = (uint8_t)kind;
    r->madv = (uint8_t)(kind == FP_REL_MADVISE ? madv_group(advice) : 0);
    r->by_alloc = by_alloc != 0;
    r->touched = extents_first(h, lo, hi) != 0;
    if (itree_cut(h->released, lo, hi) < 0 || itree_insert(h->released, lo, hi, h->nrel) < 0)
        return -1;
    h->nrel++;
    return 0;
}

int fp_hist_protect(struct fp_mem_history *h, uint64_t lo, uint64_t hi, uint64_t prot)
{
    if (hi <= lo)
        return 0;
    /* raised: made writable where a read-only protection was */
    const struct itree_node *was = itree_find(h->prot, lo);
    int raised = (prot & PROT_WRITE_) && was && (was->val & 1);
    uint64_t val = (uint64_t)++h->clock << 2 | (uint64_t)raised << 1 |
                   ((prot & (PROT_READ_ | PROT_WRITE_)) == PROT_READ_);
    if (itree_cut(h->prot, lo, hi) < 0 || itree_insert(h->prot, lo, hi, val) < 0)
        return -1;
    return 0;
}

int fp_hist_remap(struct fp_mem_history *h, uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return 0;
    return itree_cut(h->prot, lo, hi) < 0 || itree_cut(h->thp_advice, lo, hi) < 0 ? -1 : 0;
}

int fp_hist_thp(struct fp_mem_history *h, uint64_t lo, uint64_t hi, int huge)
{
    if (hi <= lo)
        return 0;
    if (itree_cut(h->thp_advice, lo, hi) < 0 ||
        itree_insert(h->thp_advice, lo, hi, huge ? 1 : 2) < 0)
        return -1;
    return 0;
}

void fp_hist_fork(struct fp_mem_history *h, uint64_t t)
{
    h->fork_clock = ++h->clock;
    h->fork_t = t;
}

/* Does a transparent huge page serve addr's extent? */
static int thp_applies(const struct fp_mem_history *h, uint64_t addr,
                       const struct fp_fclass_mem *mem)
{
    if (h->thp == FP_THP_NEVER)
        return 0;
    const struct itree_node *adv = itree_find(h->thp_advice, addr);
    if (adv)
        return adv->val == 1;
    uint64_t ext = (uint64_t)1 << EXTENT_SHIFT;
    uint64_t e = addr & ~(ext - 1);
    return h->thp == FP_THP_ALWAYS && mem->hi > mem->lo && e >= mem->lo && e + ext <= mem->hi;
}

/* copy_on_write, protection or a refault, from what happened to addr since
 * its last sample (last, 0: none) or its extent's first (efirst) */
static int history_class(const struct fp_mem_history *h, uint64_t addr,
                         const struct fp_fclass_mem *mem, uint32_t last, uint32_t efirst,
                         struct fp_fclass_why *why)
{
    int sparse = h->period > 1 && !last;
    if (h->fork_child && !mem->made_here && !last)
        return FP_FCLASS_COW;
    if (h->fork_clock &&
        ((last && last < h->fork_clock) ||
         (sparse && mem->born_before_fork && efirst && efirst < h->fork_clock)))
        return FP_FCLASS_COW;
    const struct itree_node *pr = itree_find(h->prot, addr);
    if (pr) {
        uint32_t pc = (uint32_t)(pr->val >> 2);
        if ((last && last < pc) || (sparse && (pr->val & 2) && efirst && efirst < pc))
            return FP_FCLASS_PROTECTION;
    }
    const struct itree_node *rn = itree_find(h->released, addr);
    if (rn) {
        const struct fp_release *r = &h->rel[rn->val];
        if ((last && last < r->clock) || (sparse && r->touched)) {
            why->madv = r->madv;
            why->by_alloc = r->by_alloc;
            return r->kind == FP_REL_TRIM ? FP_FCLASS_REFAULT_TRIM
                 : r->kind == FP_REL_MUNMAP ? FP_FCLASS_REFAULT_MUNMAP
                 : FP_FCLASS_REFAULT_MADVISE;
        }
    }
    if (!last && mem->mmapped_replaced) {
        why->by_alloc = 1;
        why->inferred = 1;
        return FP_FCLASS_REFAULT_MUNMAP;
    }
    return -1;
}

static int classify(const struct fp_mem_history *h, uint64_t addr,
                    const struct fp_fclass_mem *mem, uint32_t last, uint32_t efirst,
                    struct fp_fclass_why *why)
{
    switch (mem->region) {
    case FP_REGION_STACK: return FP_FCLASS_STACK;
    case FP_REGION_FILE:
    case FP_REGION_MODULE: return FP_FCLASS_FILE;
    case FP_REGION_OTHER:
        if (!h->fork_child)
            return FP_FCLASS_OTHER;
        break;
    default: break;
    }
    if (mem->major)
        return FP_FCLASS_OTHER;
    int c = history_class(h, addr, mem, last, efirst, why);
    if (c >= 0)
        return c;
    if (mem->region == FP_REGION_OTHER)
        return FP_FCLASS_OTHER;
    if (!efirst && thp_applies(h, addr, mem))
        return FP_FCLASS_HUGE_PAGE;
    if (last)
        return FP_FCLASS_ZERO_PAGE;
    return FP_FCLASS_FIRST_TOUCH;
}

int fp_fclass_classify(struct fp_mem_history *h, uint64_t addr, const struct fp_fclass_mem *mem,
                       struct fp_fclass_why *why)
{
    memset(why, 0, sizeof(*why));
    uint64_t pkey = (addr >> h->page_shift) + 1, ekey = (addr >> EXTENT_SHIFT) + 1;
    uint32_t *pv = hmap_get(&h->pages, pkey), *ev = hmap_get(&h->extents, ekey);
    uint32_t last = pv ? *pv : 0, efirst = ev ? *ev : 0;
    int c = classify(h, addr, mem, last, efirst, why);
    uint32_t now = ++h->clock;
    if (pv)
        *pv = now;
    else if (hmap_put(&h->pages, pkey, now) < 0)
        return -1;
    if (!ev && hmap_put(&h->extents, ekey, now) < 0)
        return -1;
    return c;
}
