/* model: the replay.  Live blocks sit in an open-addressing table keyed by
 * address (no allocation per event); raw stacks are deduplicated by content
 * across threads; the heap peak is snapshotted lazily with an epoch counter
 * so memory never grows with the number of events. */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "grow.h"
#include "reader.h"
#include "faultprof/records.h"

/* MAP_ANONYMOUS on Linux (all architectures we trace): the trace carries the
 * program's flags as given */
#define MAP_ANONYMOUS_FLAG 0x20u

/* ---- live blocks ---- */

struct live {
    uint64_t addr;       /* 0: empty slot */
    uint64_t size;
    uint64_t t;
    uint64_t seq;        /* the owning thread's alloc_seq at allocation */
    uint32_t stack;      /* raw stack index */
    uint32_t thread;
    uint32_t chain;      /* reallocs that led to this block */
    uint32_t flags;      /* FP_ALLOC_MMAPPED and the LIVE_ bits */
};

#define LIVE_REPLACED 0x100u /* its stack had held this many bytes before: a kept
                                block could have served it */
#define LIVE_ZEROED   0x200u /* a calloc block of FP_BIG_ZEROED bytes or more */
#define LIVE_SAMPLED  0x400u /* sampled mode: the block stands for 1/p(size) blocks */
#define LIVE_AT_ONCE  0x1000u /* block_new's caller: its own thread frees it next */
#define LIVE_DISPLACED 0x800u /* out of the live table and the ordered tree (a wait's
                                copy, or a block freed as it is made) */
#define BIG_BLOCK     4096u  /* blocks this big go into the ordered tree too */
#define HEAP_GROWTH_SLACK (32u << 20)
#define MAIN_STACK_GAP (128ULL << 20)  /* mmap_base lies at least this far below the stack's top */  /* glibc's largest heap request (mmap threshold max) */

struct live_table {
    struct live *s;
    size_t mask, n;
    unsigned shift;      /* 64 - log2(slots): live_home takes the product's top bits */
};

/* A block's home slot: Fibonacci hashing (the top bits of the address
 * times 2^64 / phi), two instructions where hmap_hash takes nine; block
 * addresses differ in their middle bits, which the product carries up.
 * The live table alone: recent_free_at's slots must not change. */
static inline size_t live_home(const struct live_table *lt, uint64_t addr)
{
    return (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> lt->shift);
}

static int live_grow(struct live_table *lt)
{
    /* at most half full, and 4096 slots to start: probe chains stay short
     * (on alloc_heavy, 512 slots at most half full read 15% slower than
     * 1024 at most three quarters, and 4096 5% faster) */
    size_t cap = lt->s ? (lt->mask + 1) * 2 : 4096;
    struct live *ns = calloc(cap, sizeof(*ns));
    if (!ns)
        return -1;
    struct live_table nt = { ns, cap - 1, lt->n, 64u - (unsigned)__builtin_ctzll(cap) };
    for (size_t i = 0; lt->s && i <= lt->mask; i++) {
        if (!lt->s[i].addr)
            continue;
        size_t j = live_home(&nt, lt->s[i].addr);
        while (ns[j].addr)
            j = (j + 1) & nt.mask;
        ns[j] = lt->s[i];
    }
    free(lt->s);
    *lt = nt;
    return 0;
}

static struct live *live_find(struct live_table *lt, uint64_t addr)
{
    struct live *s = lt->s;
    if (!s)
        return NULL;
    size_t mask = lt->mask;
    for (size_t i = live_home(lt, addr);; i = (i + 1) & mask) {
        if (s[i].addr == addr)
            return &s[i];
        if (!s[i].addr)
            return NULL;
    }
}

/* The slot holding addr or, when addr is absent, the empty slot that ends
 * its probe (where live_insert would put it); NULL for an empty table. */
static inline struct live *live_probe(struct live_table *lt, uint64_t addr)
{
    struct live *s = lt->s;
    if (!s)
        return NULL;
    size_t mask = lt->mask, i = live_home(lt, addr);
    while (s[i].addr && s[i].addr != addr)
        i = (i + 1) & mask;
    return &s[i];
}

/* live_insert without a hint, or with a table to grow first */
static __attribute__((noinline)) struct live *live_insert_slow(struct live_table *lt,
                                                               uint64_t addr)
{
    if ((!lt->s || (lt->n + 1) * 2 > lt->mask + 1) && live_grow(lt) < 0)
        return NULL;
    size_t i = live_home(lt, addr);
    while (lt->s[i].addr)
        i = (i + 1) & lt->mask;
    lt->n++;
    lt->s[i].addr = addr;
    return &lt->s[i];
}

/* Inserts (addr must not be present); returns the slot or NULL.  hint:
 * the empty slot live_probe found for addr, or NULL; taken unless the table
 * has to grow first (out of line: the common insert is a few stores). */
static inline struct live *live_insert(struct live_table *lt, uint64_t addr, struct live *hint)
{
    if (__builtin_expect(!hint || (lt->n + 1) * 2 > lt->mask + 1, 0))
        return live_insert_slow(lt, addr);
    lt->n++;
    hint->addr = addr;
    return hint;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static __attribute__((noinline)) void live_remove_shift(struct live_table *lt, struct live *e)
{
    size_t i = (size_t)(e - lt->s);
    for (;;) {
        lt->s[i].addr = 0;
        size_t j = i;
        for (;;) {
            j = (j + 1) & lt->mask;
            if (!lt->s[j].addr) {
                lt->n--;
                return;
            }
            size_t home = live_home(lt, lt->s[j].addr);
            /* the entry at j must stay when its home lies cyclically in (i, j] */
            int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        lt->s[i] = lt->s[j];
        i = j;
    }
}

/* Removes e.  Inline when the next slot is empty (the table is at most
 * half full, most often far less): no entry has to move back, and the
 * slot's index (a division by the entry's size) is not needed. */
static inline void live_remove(struct live_table *lt, struct live *e)
{
    const struct live *next = e != &lt->s[lt->mask] ? e + 1 : lt->s;
    if (__builtin_expect(next->addr != 0, 0)) {
        live_remove_shift(lt, e);
        return;
    }
    e->addr = 0;
    lt->n--;
}

/* ---- model ---- */

struct fp_model *fp_model_new(void)
{
    struct fp_model *m = calloc(1, sizeof(*m));
    if (m)
        m->warn = stderr;
    return m;
}

static void proc_release_replay(struct fp_proc *p)
{
    hmap_free(&p->replay.tids);
    p->replay.tid_last = 0;
    hmap_free(&p->replay.arena_units);
    if (p->replay.big) {
        itree_free(p->replay.big);
        free(p->replay.big);
        p->replay.big = NULL;
    }
    struct itree **trees[] = { &p->replay.maps, &p->replay.stacks, &p->replay.snap };
    for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
        if (*trees[i]) {
            itree_free(*trees[i]);
            free(*trees[i]);
            *trees[i] = NULL;
        }
    }
    fp_hist_free(&p->replay.hist);
    hmap_free(&p->replay.pend);
    hmap_free(&p->replay.disp);
    hmap_free(&p->replay.taken);
    free(p->replay.recent);
    p->replay.recent = NULL;
    free(p->replay.wq);
    p->replay.wq = NULL;
    p->replay.wq_n = p->replay.wq_cap = p->replay.wq_head = 0;
    if (p->replay.live) {
        free(p->replay.live->s);
        free(p->replay.live);
        p->replay.live = NULL;
    }
}

void fp_model_free(struct fp_model *m)
{
    if (!m)
        return;
    if (m->prewarm_free)
        m->prewarm_free(m->prewarm);
    for (uint32_t i = 0; i < m->nprocs; i++) {
        struct fp_proc *p = &m->procs[i];
        proc_release_replay(p);
        fp_tl_free(p->tl);
        free(p->trace_path);
        free(p->exe);
        free(p->cmdline);
        for (uint32_t k = 0; k < p->nmods; k++) {
            free(p->mods[k].path);
            free(p->mods[k].build_id);
        }
        free(p->mods);
        for (uint32_t k = 0; k < p->nfiles; k++)
            free(p->files[k].path);
        free(p->files);
        while (p->notes) {
            struct fp_note *n = p->notes->next;
            free(p->notes->key);
            free(p->notes->value);
            free(p->notes);
            p->notes = n;
        }
    }
    for (uint32_t i = 0; i < m->nthreads; i++)
        hmap_free(&m->threads[i].stacks);
    free(m->procs);
    free(m->threads);
    free(m->stacks);
    free(m->frames);
    free(m->stack_tab);
    hmap_free(&m->fault_pairs);
    free(m);
}

double fp_sample_prob(uint64_t size, uint64_t n)
{
    if (!n)
        return 1;
    /* -expm1(-x) keeps its precision when size is tiny next to n */
    return -expm1(-(double)size / (double)n);
}

/* A block's weight: the blocks it stands for (*w) and their bytes (returned).
 * A block recorded whatever its size (not sampled, or of size 0, which the
 * countdown never reaches) stands for itself. */
static uint64_t block_weight(const struct fp_proc *p, uint64_t size, uint32_t flags, double *w)
{
    double pr = (flags & LIVE_SAMPLED) && size ? fp_sample_prob(size, p->sample_bytes) : 1;
    *w = 1 / pr;
    return pr == 1 ? size : (uint64_t)llround((double)size / pr);
}

unsigned fp_size_class(uint64_t size)
{
    unsigned k = size ? 64 - (unsigned)__builtin_clzll(size) : 0;
    return k < FP_SIZE_CLASSES ? k : FP_SIZE_CLASSES - 1;
}

const struct fp_module *fp_module_at(const struct fp_proc *p, uint64_t addr, uint32_t gen,
                                     uint32_t *idx)
{
    for (uint32_t i = p->nmods; i-- > 0;) {
        const struct fp_module *md = &p->mods[i];
        if (addr >= md->start && addr < md->end &&
            (gen == UINT32_MAX ? !md->unloaded : md->load_gen <= gen && gen < md->unload_gen)) {
            *idx = i;
            return md;
        }
    }
    return NULL;
}

static uint64_t stack_hash(uint32_t proc, uint32_t kind, uint32_t gen, const uint64_t *f,
                           uint32_t n)
{
    uint64_t h = hmap_hash(proc + 0x9e3779b97f4a7c15ULL * (n + 1) + ((uint64_t)kind << 40) +
                           ((uint64_t)gen << 44));
    for (uint32_t i = 0; i < n; i++)
        h = hmap_hash(h ^ f[i]) + i;
    return h;
}

static int stack_tab_grow(struct fp_model *m)
{
    size_t cap = m->stack_tab ? (m->stack_tab_mask + 1) * 2 : 256;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (!t)
        return -1;
    for (uint32_t i = 0; i < m->nstacks; i++) {
        const struct fp_rawstack *s = &m->stacks[i];
        size_t j = stack_hash(s->proc, s->kind, s->mod_gen, m->frames + s->frames_off, s->n) &
                   (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = i + 1;
    }
    free(m->stack_tab);
    m->stack_tab = t;
    m->stack_tab_mask = cap - 1;
    return 0;
}

/* Returns the raw stack index for these frames of this kind in this process,
 * adding it.  The same addresses after a module unload are another stack:
 * they may be another module's. */
static int64_t stack_intern(struct fp_model *m, uint32_t proc, uint32_t kind, const uint64_t *f,
                            uint32_t n)
{
    if (!m->stack_tab || (size_t)(m->nstacks + 1) * 2 > m->stack_tab_mask + 1)
        if (stack_tab_grow(m) < 0)
            return -1;
    uint32_t gen = m->procs[proc].replay.unloads;
    size_t j = stack_hash(proc, kind, gen, f, n) & m->stack_tab_mask;
    for (; m->stack_tab[j]; j = (j + 1) & m->stack_tab_mask) {
        struct fp_rawstack *s = &m->stacks[m->stack_tab[j] - 1];
        if (s->proc == proc && s->n == n && s->kind == kind && s->mod_gen == gen &&
            (!n || !memcmp(m->frames + s->frames_off, f, n * sizeof(*f))))
            return m->stack_tab[j] - 1;
    }
    if (FP_GROW(m->stacks, m->capstacks, m->nstacks + 1, 16) < 0)
        return -1;
    if (FP_GROW(m->frames, m->capframes, m->nframes + n, 4096) < 0)
        return -1;
    struct fp_rawstack *s = &m->stacks[m->nstacks];
    memset(s, 0, sizeof(*s));
    s->proc = proc;
    s->n = n;
    s->kind = kind;
    s->mod_gen = gen;
    s->frames_off = m->nframes;
    s->epoch_seen = m->procs[proc].replay.peak_epoch;
    if (n)
        memcpy(m->frames + m->nframes, f, n * sizeof(*f));
    m->nframes += n;
    m->stack_tab[j] = m->nstacks + 1;
    return m->nstacks++;
}

static int64_t thread_find(struct fp_model *m, uint32_t pi, uint32_t tid);

/* The model's index of the process's thread tid (0: its main thread), made
 * when new; -1 out of memory.  Inline: the last one asked for. */
static inline __attribute__((always_inline)) int64_t thread_get(struct fp_model *m, uint32_t pi,
                                                                uint32_t tid)
{
    struct fp_proc *p = &m->procs[pi];
    if (tid == 0)
        tid = (uint32_t)p->pid;
    if (tid && tid == p->replay.tid_last)
        return p->replay.ti_last;
    return thread_find(m, pi, tid);
}

static __attribute__((noinline)) int64_t thread_find(struct fp_model *m, uint32_t pi, uint32_t tid)
{
    struct fp_proc *p = &m->procs[pi];
    uint32_t *v = hmap_get(&p->replay.tids, (uint64_t)tid + 1);
    if (v) {
        p->replay.tid_last = tid, p->replay.ti_last = *v;
        return *v;
    }
    if (FP_GROW_ZERO(m->threads, m->capthreads, m->nthreads + 1, 16) < 0 ||
        hmap_put(&p->replay.tids, (uint64_t)tid + 1, m->nthreads) < 0)
        return -1;
    struct fp_model_thread *t = &m->threads[m->nthreads];
    memset(t, 0, sizeof(*t));
    t->proc = pi;
    t->tid = tid;
    t->pause_epoch = p->pause_epoch;
    p->replay.tid_last = tid, p->replay.ti_last = m->nthreads;
    return m->nthreads++;
}

/* stack_of past its two entries: the thread's table */
static __attribute__((noinline)) int64_t stack_lookup(struct fp_model *m, uint32_t pi,
                                                      struct fp_model_thread *t, uint64_t id)
{
    uint32_t *v = id ? hmap_get(&t->stacks, id) : NULL;
    if (v) {
        t->sid_prev = t->sid_last, t->si_prev = t->si_last;
        t->sid_last = id, t->si_last = *v;
        return *v;
    }
    return stack_intern(m, pi, FP_STACK_ALLOC, NULL, 0);
}

/* The raw stack a record's stack id names in this thread; the empty stack
 * for id 0 or an id the thread never defined.  The two ids looked up last
 * are cached (most records repeat one of them). */
static inline int64_t stack_of(struct fp_model *m, uint32_t pi, struct fp_model_thread *t, uint64_t id)
{
    if (id && id == t->sid_last)
        return t->si_last;
    if (id && id == t->sid_prev) {
        /* the two swap, so that two call sites taking turns hit (inline:
         * the call had cost as much again as the swap) */
        uint32_t si = t->si_prev;
        t->sid_prev = t->sid_last, t->si_prev = t->si_last;
        t->sid_last = id, t->si_last = si;
        return si;
    }
    return stack_lookup(m, pi, t, id);
}

/* live_change's rare halves, out of line so that the common change is a
 * few adds inline: a new heap peak, and the timeline's buckets */
static __attribute__((noinline)) void live_peak(struct fp_proc *p, uint64_t t)
{
    p->peak_bytes = p->replay.live_bytes;
    p->peak_blocks = p->sample_bytes ? (uint64_t)llround(p->replay.est_live_blocks) : p->replay.live_blocks;
    p->peak_t = t;
    p->replay.peak_epoch++;
}

static __attribute__((noinline)) void live_change_tl(struct fp_proc *p, uint32_t owner,
                                                     int64_t delta, uint64_t t)
{
    fp_tl_heap(p->tl, owner, delta, p->replay.live_bytes, t);
}

/* Changes a stack's live bytes, snapshotting lazily at heap peaks: a stack
 * whose last change predates the latest peak had, at that peak, the value it
 * still holds.  owner: the thread that allocated the block. */
static inline __attribute__((always_inline)) void
live_change(struct fp_proc *p, struct fp_rawstack *s, int64_t delta, int64_t dblocks,
            uint32_t owner, uint64_t t)
{
    if (s->epoch_seen != p->replay.peak_epoch) {
        s->c.peak_bytes = s->cur_live;
        s->epoch_seen = p->replay.peak_epoch;
    }
    s->cur_live += (uint64_t)delta;
    p->replay.live_bytes += (uint64_t)delta;
    p->replay.live_blocks += (uint64_t)dblocks;
    if (__builtin_expect(p->tl != NULL, 0))
        live_change_tl(p, owner, delta, t);
    if (__builtin_expect(p->replay.live_bytes > p->peak_bytes, 0))
        live_peak(p, t);
}

/* Forgets a live block: the ordered tree too, then the table slot. */
static inline __attribute__((always_inline)) void live_drop(struct fp_proc *p, struct live *e)
{
    if (e->flags & LIVE_DISPLACED)
        return;             /* a wait's copy: taken already */
    if (e->size >= BIG_BLOCK)
        itree_remove(p->replay.big, e->addr);
    live_remove(p->replay.live, e);
}

static void block_drop(struct fp_model *m, struct fp_proc *p, uint32_t ti, struct live *e,
                       uint64_t t, int explicit_free, uint32_t *chain, uint64_t *size,
                       uint32_t *flags);

/* A block freed behind our back (before the shim was ready, during a
 * pause): forget it. */
static void block_forget(struct fp_model *m, struct fp_proc *p, struct live *e, uint64_t t)
{
    double w = 1;
    uint64_t size = p->sample_bytes ? block_weight(p, e->size, e->flags, &w) : e->size;
    p->replay.est_live_blocks -= w;
    live_change(p, &m->stacks[e->stack], -(int64_t)size, -1, e->thread, t);
    live_drop(p, e);
}

/* ---- Two threads within a step.  Short records (format 2.0) carry their
 * thread's time rounded down to the clock step (PROCESS clock_step), so two
 * threads' records less than a step apart may come in either order; a
 * thread's own records always come in order.  Only one address used by two
 * threads changes the result, and it resolves the one way the allocator
 * allows:
 *   - a FREE of an address no block has waits a step for another thread's
 *     ALLOC of it: that block was freed at once;
 *   - an ALLOC at the address of a live block keeps the old block a step
 *     for another thread's FREE, which frees the oldest such block.
 * After the step, a waiting FREE is an unknown free and a displaced block
 * one freed behind our back, as they are with exact times.  The waits of
 * one address form a list, oldest first (the next field); all of them are
 * a ring in the order they began, which is the order they end. */
struct fp_wait {
    struct live b;             /* the displaced block; a FREE's addr, t, thread */
    uint64_t since;
    uint32_t next;             /* the address's next wait: its number + 1, 0 none */
    uint32_t by;               /* WAIT_TAKEN: the thread that freed b */
    uint8_t kind, done;        /* WAIT_*; taken before its end */
};
/* WAIT_TAKEN: a thread (by) freed a block at b.addr less than a step before
 * another's FREE found none there: that free may have been of the next block
 * there (see wait_alloc) */
enum { WAIT_FREE, WAIT_BLOCK, WAIT_TAKEN };

static inline struct hmap *wait_heads(struct fp_replay *r, uint8_t kind)
{
    return kind == WAIT_FREE ? &r->pend : kind == WAIT_BLOCK ? &r->disp : &r->taken;
}

static inline struct fp_wait *wait_at(struct fp_replay *r, uint32_t n)
{
    return &r->wq[n % r->wq_cap];
}

/* A new wait (number r->wq_head + r->wq_n), at the end of addr's list of
 * its kind. */
static struct fp_wait *wait_push(struct fp_proc *p, const struct live *b, uint64_t t,
                                 uint8_t kind)
{
    struct fp_replay *r = &p->replay;
    if (r->wq_n == r->wq_cap) {
        size_t cap = r->wq_cap ? 2 * r->wq_cap : 64;
        struct fp_wait *q = malloc(cap * sizeof(*q));
        if (!q)
            return NULL;
        for (size_t i = r->wq_head; i < r->wq_head + r->wq_n; i++)
            q[i % cap] = r->wq[i % r->wq_cap];
        free(r->wq);
        r->wq = q;
        r->wq_cap = cap;
    }
    struct hmap *heads = wait_heads(r, kind);
    uint32_t n = (uint32_t)(r->wq_head + r->wq_n);
    uint32_t *h = hmap_get(heads, b->addr);
    if (!h || !*h) {
        if (hmap_put(heads, b->addr, n + 1) < 0)
            return NULL;
    } else {
        struct fp_wait *w = wait_at(r, *h - 1);
        while (w->next)
            w = wait_at(r, w->next - 1);
        w->next = n + 1;
    }
    struct fp_wait *w = wait_at(r, n);
    *w = (struct fp_wait){ .b = *b, .since = t, .kind = kind };
    r->wq_n++;
    return w;
}

/* Takes the wait number n out of its address's list. */
static void wait_unlink(struct fp_replay *r, uint32_t n)
{
    struct fp_wait *w = wait_at(r, n);
    uint32_t *h = hmap_get(wait_heads(r, w->kind), w->b.addr);
    if (!h)
        return;
    if (*h == n + 1) {
        *h = w->next;
    } else {
        for (struct fp_wait *v = wait_at(r, *h - 1); v->next; v = wait_at(r, v->next - 1)) {
            if (v->next == n + 1) {
                v->next = w->next;
                break;
            }
        }
    }
    w->done = 1;
}

/* Waits that began a step or more before now end (all: every one). */
static void wait_expire(struct fp_model *m, struct fp_proc *p, uint64_t now, int all)
{
    struct fp_replay *r = &p->replay;
    while (r->wq_n) {
        uint32_t n = (uint32_t)r->wq_head;
        struct fp_wait *w = wait_at(r, n);
        if (!all && now - w->since < p->clock_step)
            return;
        if (!w->done) {
            wait_unlink(r, n);
            if (w->kind == WAIT_BLOCK)
                block_forget(m, p, &w->b, all ? w->since + p->clock_step : now);
            else if (w->kind == WAIT_FREE && !p->sample_bytes)
                p->unknown_frees++;
        }
        r->wq_head++;
        r->wq_n--;
    }
}

/* The first wait of kind at addr not made by thread skip (UINT32_MAX: any):
 * its number, or -1. */
static int64_t wait_find(struct fp_replay *r, uint8_t kind, uint64_t addr, uint32_t skip)
{
    uint32_t *h = hmap_get(wait_heads(r, kind), addr);
    for (uint32_t k = h ? *h : 0; k; k = wait_at(r, k - 1)->next)
        if (wait_at(r, k - 1)->b.thread != skip)
            return (int64_t)k - 1;
    return -1;
}

/* The last free of each address (a direct-mapped table): a FREE that
 * finds no block asks whether another thread freed one there within the
 * step, whose free may have been of a block yet to come (wait_alloc). */
struct fp_recent_free {
    uint64_t addr, t;
    uint32_t by;
};
#define RECENT_FREES 4096u

static inline struct fp_recent_free *recent_free_at(struct fp_proc *p, uint64_t addr)
{
    if (!p->replay.recent && !(p->replay.recent = calloc(RECENT_FREES, sizeof(*p->replay.recent))))
        return NULL;
    return &p->replay.recent[hmap_hash(addr) & (RECENT_FREES - 1)];
}

static inline void recent_free_put(struct fp_proc *p, uint64_t addr, uint64_t t, uint32_t by)
{
    struct fp_recent_free *f = recent_free_at(p, addr);
    if (f)
        *f = (struct fp_recent_free){ addr, t, by };
}

static void recent_free_taken(struct fp_proc *p, uint32_t ti, uint64_t addr, uint64_t t)
{
    struct fp_recent_free *f = recent_free_at(p, addr);
    if (!f || f->addr != addr || f->by == ti || t - f->t >= p->clock_step)
        return;
    struct live b = { .addr = addr, .t = f->t, .thread = f->by };
    struct fp_wait *w = wait_push(p, &b, t, WAIT_TAKEN);
    if (w)
        w->by = f->by;
}

/* A FREE by ti of addr, which no block has: 0 when it waits. */
static int wait_free(struct fp_proc *p, uint32_t ti, uint64_t addr, uint64_t t)
{
    struct live b = { .addr = addr, .t = t, .thread = ti };
    return wait_push(p, &b, t, WAIT_FREE) ? 0 : -1;
}

/* An ALLOC by ti of addr: the FREE by another thread waiting there, taken
 * (addr 0: none).  When only ti's own FREE waits there, and another thread
 * freed the block there less than a step before it, the two frees came in
 * the wrong order: ti's was of that block, and the other thread's is of
 * this one. */
static struct live wait_alloc(struct fp_proc *p, uint32_t ti, uint64_t addr)
{
    struct fp_replay *r = &p->replay;
    struct live none = { 0 };
    int64_t n = wait_find(r, WAIT_FREE, addr, ti);
    if (n >= 0) {
        struct live b = wait_at(r, (uint32_t)n)->b;
        wait_unlink(r, (uint32_t)n);
        return b;
    }
    int64_t own = wait_find(r, WAIT_FREE, addr, UINT32_MAX);
    if (own < 0)
        return none;
    int64_t taken = wait_find(r, WAIT_TAKEN, addr, ti);
    if (taken < 0)
        return none;
    struct live b = wait_at(r, (uint32_t)taken)->b;
    wait_unlink(r, (uint32_t)taken);
    wait_unlink(r, (uint32_t)own);
    return b;
}

/* The live block old is displaced by an ALLOC at its address: 0 when it
 * now waits, out of the live table. */
static int wait_displace(struct fp_proc *p, struct live *old, uint64_t t)
{
    struct fp_wait *w = wait_push(p, old, t, WAIT_BLOCK);
    if (!w)
        return -1;
    w->b.flags |= LIVE_DISPLACED;
    if (old->size >= BIG_BLOCK)
        itree_remove(p->replay.big, old->addr);
    live_remove(p->replay.live, old);
    return 0;
}

/* The live block at addr was freed while an older one waits displaced
 * there: the two ALLOCs may have come in the wrong order (the one read
 * second was made and freed first), so the displaced block is live again.
 * If it was freed first after all, its free finds it live. */
static void wait_restore(struct fp_proc *p, uint64_t addr)
{
    int64_t n = wait_find(&p->replay, WAIT_BLOCK, addr, UINT32_MAX);
    if (n < 0)
        return;
    struct live b = wait_at(&p->replay, (uint32_t)n)->b;
    struct live *slot = live_probe(p->replay.live, addr);
    if (slot && slot->addr)
        return;
    if (b.size >= BIG_BLOCK && itree_insert(p->replay.big, addr, addr + b.size, addr) < 0)
        return;     /* out of memory: it waits on, and is forgotten */
    struct live *e = live_insert(p->replay.live, addr, slot);
    if (!e)
        return;
    wait_unlink(&p->replay, (uint32_t)n);
    b.flags &= ~LIVE_DISPLACED;
    *e = b;
}

/* A FREE by ti of addr, whose live block (if any) is e: the oldest block
 * displaced there is the one another thread frees.  Returns the block to
 * free (a displaced one is taken out of its list). */
static struct live *wait_displaced(struct fp_proc *p, uint32_t ti, uint64_t addr,
                                   struct live *e)
{
    if (e && e->thread == ti)
        return e;
    int64_t n = wait_find(&p->replay, WAIT_BLOCK, addr, UINT32_MAX);
    if (n < 0)
        return e;
    wait_unlink(&p->replay, (uint32_t)n);
    return &wait_at(&p->replay, (uint32_t)n)->b;
}

/* The parts of block_new that block_fresh shares with it. */

/* The replaced and zeroed counts of a new block of wsize bytes: its flags
 * with LIVE_REPLACED when its stack had held that many bytes before */
static inline __attribute__((always_inline)) uint32_t
alloc_kinds(struct fp_rawstack *s, uint64_t wsize, uint32_t flags)
{
    if (s->cur_live + wsize <= s->live_bytes_max) {
        flags |= LIVE_REPLACED;
        s->c.replaced_allocs++;
    }
    if (flags & LIVE_ZEROED) {
        s->c.zeroed_allocs++;
        s->c.zeroed_bytes += wsize;
    }
    return flags;
}

static __attribute__((noinline)) int arena_unit_new(struct fp_proc *p, struct fp_model_thread *th,
                                                    uint64_t unit)
{
    th->arena_last = unit;
    if (!hmap_get(&p->replay.arena_units, unit) && hmap_put(&p->replay.arena_units, unit, 1) < 0)
        return -1;
    return 0;
}

/* The allocator's heap units: a fault there outside any block is the
 * allocator's own (headers, arena growth after a trim).  Each thread
 * remembers its last one (threads allocate from their arenas), which most
 * allocations repeat.  0 or -1 (out of memory). */
static inline __attribute__((always_inline)) int
arena_unit(struct fp_proc *p, struct fp_model_thread *th, uint64_t addr)
{
    uint64_t unit = (addr >> FP_ARENA_SHIFT) + 1;
    return __builtin_expect(unit == th->arena_last, 1) ? 0 : arena_unit_new(p, th, unit);
}

/* A new block's counts: wsize bytes standing for w blocks */
static inline __attribute__((always_inline)) void
alloc_counts(struct fp_model *m, struct fp_proc *p, struct fp_model_thread *th,
             struct fp_rawstack *s, uint64_t size, uint64_t wsize, double w, uint32_t flags)
{
    s->c.allocs++;
    s->c.bytes += wsize;
    p->allocs++;
    p->bytes += wsize;
    th->allocs++;
    th->bytes += wsize;
    if (flags & FP_ALLOC_MMAPPED) {
        s->c.mmapped++;
        s->c.mmapped_bytes += wsize;
        p->mmapped++;
        p->mmapped_bytes += wsize;
    }
    unsigned k = fp_size_class(size);
    m->size_class_allocs[k] += w == 1 ? 1 : (uint64_t)llround(w);
    m->size_class_bytes[k] += wsize;
}

static int block_new(struct fp_model *m, struct fp_proc *p, uint32_t ti, uint32_t si,
                     uint64_t addr, uint64_t size, uint32_t flags, uint32_t chain, uint64_t t)
{
    struct fp_model_thread *th = &m->threads[ti];
    struct fp_rawstack *s = &m->stacks[si];
    /* one probe finds a block still there or the slot the new one takes */
    struct live *slot = live_probe(p->replay.live, addr);
    struct live *old = slot && slot->addr ? slot : NULL;
    struct live pend = { 0 };
    if (__builtin_expect(p->replay.wq_n != 0, 0)) {
        wait_expire(m, p, t, 0);
        pend = wait_alloc(p, ti, addr);
        slot = live_probe(p->replay.live, addr);
        old = slot && slot->addr ? slot : NULL;
    }
    /* a block freed as it is made (its free came first, by a clock step,
     * or it is freed next by its own thread) never enters the tables, and
     * a live block at its address stays */
    uint32_t freer = pend.addr ? pend.thread : (flags & LIVE_AT_ONCE) ? ti : UINT32_MAX;
    flags &= ~LIVE_AT_ONCE;
    if (old && freer == UINT32_MAX) {
        slot = NULL;
        /* another thread's free of it may come a clock step late; else it
         * was freed behind our back (e.g. before the shim was ready) */
        if (!p->clock_step || wait_displace(p, old, t) < 0)
            block_forget(m, p, old, t);
    }
    struct live transient;
    if (freer != UINT32_MAX) {
        slot = &transient;
        memset(slot, 0, sizeof(*slot));
        slot->addr = addr;
        flags |= LIVE_DISPLACED;
    }
    /* sampled mode: what the block stands for; else the block itself */
    double w = 1;
    uint64_t wsize = size;
    if (p->sample_bytes) {
        wsize = block_weight(p, size, flags, &w);
        s->est_allocs += w;
        th->est_allocs += w;
        p->replay.est_live_blocks += w;
        if (flags & FP_ALLOC_MMAPPED)
            s->est_mmapped += w;
    }
    flags = alloc_kinds(s, wsize, flags);
    if (size >= BIG_BLOCK && freer == UINT32_MAX &&
        itree_insert(p->replay.big, addr, addr + size, addr) < 0)
        return -1;
    if (!(flags & FP_ALLOC_MMAPPED) && arena_unit(p, th, addr) < 0)
        return -1;
    struct live *e = freer != UINT32_MAX ? slot : live_insert(p->replay.live, addr, slot);
    if (!e)
        return -1;
    th->alloc_seq++;
    e->size = size;
    e->t = t;
    e->seq = th->alloc_seq;
    e->stack = si;
    e->thread = ti;
    e->chain = chain;
    e->flags = flags;
    alloc_counts(m, p, th, s, size, wsize, w, flags);
    if (p->tl)
        fp_tl_alloc(p->tl, si, w, wsize, t);
    live_change(p, s, (int64_t)wsize, 1, ti, t);
    if (s->cur_live > s->live_bytes_max)
        s->live_bytes_max = s->cur_live;
    if (freer != UINT32_MAX) {
        if (!pend.addr) {   /* a waiting free was counted when it came */
            p->frees++;
            th->frees++;
        }
        block_drop(m, p, freer, e, t, 1, NULL, NULL, NULL);
    }
    return 0;
}

/* block_new's common case, with its tests folded away: no clock-step
 * waits, not sampled, no timeline, not of its own mmap, not freed at once
 * (on_alloc has seen to those), and no block at addr in a table that has
 * room (else block_new, which probes again).  Inline in read_records: the
 * call, its eight arguments and its saved registers had cost some thirty
 * instructions an allocation. */
static inline __attribute__((always_inline)) int
block_fresh(struct fp_model *m, struct fp_proc *p, uint32_t ti, uint32_t si, uint64_t addr,
            uint64_t size, uint32_t flags, uint64_t t)
{
    struct live_table *lt = p->replay.live;
    struct live *e = live_probe(lt, addr);
    if (__builtin_expect(!e || e->addr || (lt->n + 1) * 2 > lt->mask + 1, 0))
        return block_new(m, p, ti, si, addr, size, flags, 0, t);
    struct fp_model_thread *th = &m->threads[ti];
    struct fp_rawstack *s = &m->stacks[si];
    flags = alloc_kinds(s, size, flags);
    if (size >= BIG_BLOCK && itree_insert(p->replay.big, addr, addr + size, addr) < 0)
        return -1;
    if (arena_unit(p, th, addr) < 0)
        return -1;
    lt->n++;
    th->alloc_seq++;
    *e = (struct live){ .addr = addr, .size = size, .t = t, .seq = th->alloc_seq,
                        .stack = si, .thread = ti, .chain = 0, .flags = flags };
    alloc_counts(m, p, th, s, size, size, 1, flags);
    live_change(p, s, (int64_t)size, 1, ti, t);
    if (s->cur_live > s->live_bytes_max)
        s->live_bytes_max = s->cur_live;
    return 0;
}

/* A block its own thread frees at once (an ALLOC_SHORT fused with its
 * FREE_BACK 1): the accounting of block_new then block_drop, without the
 * tables it never enters.  The stack's and the process's live bytes come
 * back to what they were; only a new heap peak, reached while the block
 * lived, leaves a trace.  The caller takes the rare cases (clock-step waits,
 * sampled mode, a timeline, a block of its own mmap) to block_new. */
static inline __attribute__((always_inline)) int
block_pair(struct fp_model *m, struct fp_proc *p, uint32_t ti, uint32_t si, uint64_t addr,
           uint64_t size, uint32_t flags, uint64_t t)
{
    struct fp_model_thread *th = &m->threads[ti];
    struct fp_rawstack *s = &m->stacks[si];
    struct fp_replay *r = &p->replay;
    uint64_t live = s->cur_live + size;      /* the stack's, while the block lives */
    if (live <= s->live_bytes_max)
        s->c.replaced_allocs++;
    if (flags & LIVE_ZEROED) {
        s->c.zeroed_allocs++;
        s->c.zeroed_bytes += size;
    }
    if (arena_unit(p, th, addr) < 0)
        return -1;
    th->alloc_seq++;
    s->c.allocs++, s->c.bytes += size;
    p->allocs++, p->bytes += size;
    th->allocs++, th->bytes += size;
    unsigned k = fp_size_class(size);
    m->size_class_allocs[k]++;
    m->size_class_bytes[k] += size;
    /* live_change up, then down */
    if (s->epoch_seen != r->peak_epoch) {
        s->c.peak_bytes = s->cur_live;
        s->epoch_seen = r->peak_epoch;
    }
    if (r->live_bytes + size > p->peak_bytes) {
        p->peak_bytes = r->live_bytes + size;
        p->peak_blocks = r->live_blocks + 1;
        p->peak_t = t;
        r->peak_epoch++;
        s->c.peak_bytes = live;
        s->epoch_seen = r->peak_epoch;
    }
    if (live > s->live_bytes_max)
        s->live_bytes_max = live;
    p->frees++, th->frees++;
    /* block_drop: freed by its thread before its next allocation */
    s->c.frees++;
    s->c.lifetime_n++;
    p->lifetime_n++;
    s->c.temporary++, p->temporary++, th->temporary++;
    return 0;            /* (the estimates are sampled mode's, never here) */
}

/* The accounting of a free of the block e (in the live table, or
 * displaced) by thread ti.  Inline in block_free_at; block_drop elsewhere. */
static inline __attribute__((always_inline)) void
block_drop_at(struct fp_model *m, struct fp_proc *p, uint32_t ti, struct live *e, uint64_t t,
              int explicit_free, uint32_t *chain, uint64_t *size, uint32_t *flags)
{
    struct fp_model_thread *th = &m->threads[ti];
    struct fp_rawstack *s = &m->stacks[e->stack];
    double w = 1;
    uint64_t wsize = e->size;
    if (p->sample_bytes) {
        wsize = block_weight(p, e->size, e->flags, &w);
        s->est_frees += w;
        th->est_frees += w;
        p->replay.est_live_blocks -= w;
    }
    s->c.frees++;
    uint64_t life = t >= e->t ? t - e->t : 0;
    s->c.lifetime_ns += life;
    s->c.lifetime_n++;
    p->lifetime_ns += life;
    p->lifetime_n++;
    if (explicit_free && e->thread == ti && e->seq == th->alloc_seq) {
        s->c.temporary++;
        p->temporary++;
        th->temporary++;
        s->est_temporary += w;   /* read in sampled mode only; a test here costs more */
        th->est_temporary += w;
    }
    if (chain)
        *chain = e->chain;
    if (size)
        *size = e->size;
    if (flags)
        *flags = e->flags;
    /* a block of its own mmap goes back to the kernel at free */
    if (explicit_free && (e->flags & FP_ALLOC_MMAPPED) &&
        fp_hist_release(&p->replay.hist, e->addr, e->addr + e->size, FP_REL_MUNMAP, 0, 1) < 0)
        p->replay.hist_oom = 1;
    live_change(p, s, -(int64_t)wsize, -1, e->thread, t);
    live_drop(p, e);
}

static void block_drop(struct fp_model *m, struct fp_proc *p, uint32_t ti, struct live *e,
                       uint64_t t, int explicit_free, uint32_t *chain, uint64_t *size,
                       uint32_t *flags)
{
    block_drop_at(m, p, ti, e, t, explicit_free, chain, size, flags);
}

/* Frees addr; *chain gets the block's realloc chain, *size its size and
 * *flags its flags.  explicit_free: a free() or realloc(p, 0), which may be
 * temporary.  Inline in block_free and free_explicit, which give the
 * constants of a free(). */
static inline __attribute__((always_inline)) void
block_free_at(struct fp_model *m, struct fp_proc *p, uint32_t ti, uint64_t addr, uint64_t t,
              int explicit_free, uint32_t *chain, uint64_t *size, uint32_t *flags)
{
    struct fp_model_thread *th = &m->threads[ti];
    p->frees++;
    th->frees++;
    if (__builtin_expect(p->replay.wq_n != 0, 0))
        wait_expire(m, p, t, 0);
    struct live *e = live_find(p->replay.live, addr);
    if (chain)
        *chain = 0;
    if (size)
        *size = 0;
    if (flags)
        *flags = 0;
    if (__builtin_expect(p->replay.wq_n != 0, 0))
        e = wait_displaced(p, ti, addr, e);
    if (!e) {
        /* sampled mode records the frees of sampled blocks, and the old
         * block of a sampled realloc may not have been */
        if (p->clock_step && explicit_free) {
            recent_free_taken(p, ti, addr, t);
            if (wait_free(p, ti, addr, t) == 0)
                return;
        }
        if (!p->sample_bytes)
            p->unknown_frees++;
        return;
    }
    int was_live = !(e->flags & LIVE_DISPLACED);
    if (p->clock_step && explicit_free)
        recent_free_put(p, addr, t, ti);
    block_drop_at(m, p, ti, e, t, explicit_free, chain, size, flags);
    if (__builtin_expect(p->replay.wq_n != 0, 0) && was_live)
        wait_restore(p, addr);
}

static void block_free(struct fp_model *m, struct fp_proc *p, uint32_t ti, uint64_t addr,
                       uint64_t t, int explicit_free, uint32_t *chain, uint64_t *size,
                       uint32_t *flags)
{
    block_free_at(m, p, ti, addr, t, explicit_free, chain, size, flags);
}

/* A free() of addr */
static __attribute__((noinline)) void free_explicit(struct fp_model *m, struct fp_proc *p,
                                                    uint32_t ti, uint64_t addr, uint64_t t)
{
    block_free_at(m, p, ti, addr, t, 1, NULL, NULL, NULL);
}

/* Sampled mode: the estimates become the counts (rounded once, per raw
 * stack), and the exact totals of COUNTS the process's and threads'. */
static void proc_finish_sampled(struct fp_model *m, uint32_t pi)
{
    struct fp_proc *p = &m->procs[pi];
    double temporary = 0, mmapped = 0, reallocs = 0;
    for (uint32_t i = 0; i < m->nstacks; i++) {
        struct fp_rawstack *s = &m->stacks[i];
        if (s->proc != pi || s->kind != FP_STACK_ALLOC)
            continue;
        s->c.allocs = (uint64_t)llround(s->est_allocs);
        s->c.frees = (uint64_t)llround(s->est_frees);
        s->c.temporary = (uint64_t)llround(s->est_temporary);
        s->c.mmapped = (uint64_t)llround(s->est_mmapped);
        s->c.reallocs = (uint64_t)llround(s->est_reallocs);
        s->c.leaked_blocks = (uint64_t)llround(s->est_leaked);
        temporary += s->est_temporary;
        mmapped += s->est_mmapped;
        reallocs += s->est_reallocs;
    }
    p->temporary = (uint64_t)llround(temporary);
    p->mmapped = (uint64_t)llround(mmapped);
    p->reallocs = (uint64_t)llround(reallocs);
    p->allocs = p->bytes = p->frees = 0;
    for (uint32_t i = 0; i < m->nthreads; i++) {
        struct fp_model_thread *th = &m->threads[i];
        if (th->proc != pi)
            continue;
        /* a thread without COUNTS (a truncated trace) keeps its estimates */
        if (th->has_counts) {
            th->allocs = th->cnt_allocs;
            th->bytes = th->cnt_bytes;
            th->frees = th->cnt_frees;
        } else {
            th->allocs = (uint64_t)llround(th->est_allocs);
            th->frees = (uint64_t)llround(th->est_frees);
        }
        th->temporary = (uint64_t)llround(th->est_temporary);
        th->leaked_blocks = (uint64_t)llround(th->est_leaked);
        p->allocs += th->allocs;
        p->bytes += th->bytes;
        p->frees += th->frees;
    }
    /* estimates against exact totals: never more temporary than allocated */
    if (p->temporary > p->allocs)
        p->temporary = p->allocs;
}

static int cmp_live_addr(const void *a, const void *b)
{
    uint64_t x = (*(struct live *const *)a)->addr, y = (*(struct live *const *)b)->addr;
    return x < y ? -1 : x > y;
}

/* Returns 0, or -1 out of memory. */
static int proc_finish(struct fp_model *m, uint32_t pi)
{
    struct fp_proc *p = &m->procs[pi];
    double leaked_est = 0;
    wait_expire(m, p, 0, 1);
    /* by address, so that the sums of sampled weights do not depend on
     * where the table put each block */
    size_t nleft = 0;
    struct live **left = p->replay.live && p->replay.live->n ? malloc(p->replay.live->n * sizeof(*left)) : NULL;
    if (p->replay.live && p->replay.live->n && !left)
        return -1;
    if (left) {
        for (size_t i = 0; i <= p->replay.live->mask; i++)
            if (p->replay.live->s[i].addr)
                left[nleft++] = &p->replay.live->s[i];
        qsort(left, nleft, sizeof(*left), cmp_live_addr);
    }
    for (size_t i = 0; i < nleft; i++) {
        struct live *e = left[i];
        struct fp_rawstack *s = &m->stacks[e->stack];
        double w = 1;
        uint64_t wsize = p->sample_bytes ? block_weight(p, e->size, e->flags, &w) : e->size;
        s->c.leaked_blocks++;
        s->c.leaked_bytes += wsize;
        s->est_leaked += w;
        m->threads[e->thread].leaked_blocks++;
        m->threads[e->thread].leaked_bytes += wsize;
        m->threads[e->thread].est_leaked += w;
        p->leaked_blocks++;
        p->leaked_bytes += wsize;
        leaked_est += w;
    }
    free(left);
    if (p->sample_bytes)
        p->leaked_blocks = (uint64_t)llround(leaked_est);
    /* rusage mode: an allocation site's faults are the counts that grew
     * while its call was the thread's last one */
    int rusage_mode = p->fault_samples == 0;
    for (uint32_t i = 0; i < m->nstacks; i++) {
        struct fp_rawstack *s = &m->stacks[i];
        if (s->proc != pi)
            continue;
        if (s->epoch_seen != p->replay.peak_epoch) {
            s->c.peak_bytes = s->cur_live;
            s->epoch_seen = p->replay.peak_epoch;
        }
        if (rusage_mode && s->kind == FP_STACK_ALLOC) {
            s->c.minor_faults += s->c.minflt;
            s->c.major_faults += s->c.majflt;
        }
    }
    if (p->sample_bytes)
        proc_finish_sampled(m, pi);
    if (p->tl)
        fp_tl_finish(p->tl);
    for (uint32_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].proc == pi)
            hmap_free(&m->threads[i].stacks);
    proc_release_replay(p);
    return 0;
}

static char *strndup0(struct fp_str s)
{
    char *d = malloc(s.len + 1);
    if (d) {
        memcpy(d, s.s, s.len);
        d[s.len] = 0;
    }
    return d;
}

/* The program break moved to b (HEAP_BREAK after a heap call, or brk). */
static void heap_break_set(struct fp_proc *p, uint64_t b)
{
    if (b < p->replay.brk_cur) {
        p->brk_shrinks++;
        /* the trimmed top went back to the kernel */
        if (fp_hist_release(&p->replay.hist, b, p->replay.brk_cur, FP_REL_TRIM, 0, 1) < 0)
            p->replay.hist_oom = 1;
    }
    else if (b > p->replay.brk_cur && p->replay.brk_cur < p->brk_max)
        p->brk_regrown += (b < p->brk_max ? b : p->brk_max) - p->replay.brk_cur;
    p->replay.brk_cur = b;
    if (b > p->brk_max)
        p->brk_max = b;
}

static const char *const region_names[][2] = {
#define FP_X(n, s, d) { s, d },
    FP_REGION_LIST(FP_X)
#undef FP_X
};

const char *fp_region_name(int r)
{
    return r >= 0 && r < FP_REGION_COUNT ? region_names[r][0] : "?";
}

const char *fp_region_desc(int r)
{
    return r >= 0 && r < FP_REGION_COUNT ? region_names[r][1] : "?";
}

/* The live block holding addr.  Blocks of a page or more are in an ordered
 * tree; a smaller block holding addr starts less than a page below it, at
 * the allocator's alignment, so the nearest block start at or below addr is
 * probed for in the address table, stepping down by the alignment.  Blocks
 * don't overlap, so the first start found is the only candidate.  This keeps
 * allocation and free at one hash operation for small blocks (the common
 * case) and costs at most page/alignment probes per sample. */
static struct live *block_at(struct fp_model *m, struct fp_proc *p, uint64_t addr)
{
    const struct itree_node *b = itree_find(p->replay.big, addr);
    if (b)
        return live_find(p->replay.live, b->start);
    uint64_t step = (p->flags & FP_PROC_PTMALLOC) ? 16 : 8;
    uint64_t page = p->page_size ? p->page_size : 4096;
    uint64_t a = addr & ~(step - 1);
    for (uint64_t back = 0; back < page && a >= back; back += step) {
        struct live *e = live_find(p->replay.live, a - back);
        if (e) {
            m->fault_lookups_small++;
            return addr < e->addr + (e->size ? e->size : 1) ? e : NULL;
        }
    }
    return NULL;
}

/* A MAPS record: /proc/self/maps lines "lo-hi perms offset dev inode path".
 * Keeps [heap]'s start, [stack] and the file mappings (the last snapshot
 * replaces the one before). */
static int maps_snapshot(struct fp_proc *p, struct fp_str text)
{
    itree_free(p->replay.snap);
    const char *s = text.s, *end = text.s + text.len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        char line[512];
        size_t n = (size_t)(le - s) < sizeof(line) - 1 ? (size_t)(le - s) : sizeof(line) - 1;
        memcpy(line, s, n);
        line[n] = 0;
        s = le + 1;
        unsigned long long lo, hi;
        int off = 0;
        if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &lo, &hi, &off) < 2 || hi <= lo)
            continue;
        const char *path = off > 0 ? line + off : "";
        if (!strcmp(path, "[heap]")) {
            p->replay.heap_lo = lo;
        } else if (!strcmp(path, "[stack]")) {
            /* the main stack grows down from here: the kernel keeps at
             * least MAIN_STACK_GAP below its top free for it */
            if (hi - lo < MAIN_STACK_GAP && hi > MAIN_STACK_GAP)
                lo = hi - MAIN_STACK_GAP;
            if (itree_cut(p->replay.stacks, lo, hi) < 0 || itree_insert(p->replay.stacks, lo, hi, p->pid) < 0)
                return -1;
        } else if (path[0] == '/') {
            uint32_t k;
            for (k = 0; k < p->nfiles && strcmp(p->files[k].path, path); k++)
                ;
            if (k == p->nfiles) {
                if (FP_GROW_ZERO(p->files, p->capfiles, p->nfiles + 1, 16) < 0 ||
                    !(p->files[k].path = strdup(path)))
                    return -1;
                p->nfiles++;
            }
            if (itree_insert(p->replay.snap, lo, hi, k) < 0)
                return -1;
        }
    }
    return 0;
}

/* Where addr is when no live block holds it. */
static int region_of(struct fp_proc *p, uint64_t addr, struct fp_module **mod,
                     struct fp_fault_file **file, const struct itree_node **map)
{
    *mod = NULL;
    *file = NULL;
    const struct itree_node *mp = itree_find(p->replay.maps, addr);
    *map = mp;
    if (mp)
        return (mp->val & 3) == 1 ? FP_REGION_ANON : FP_REGION_FILE;
    if (itree_find(p->replay.stacks, addr))
        return FP_REGION_STACK;
    if (!p->replay.heap_lo) {
        /* the brk heap begins after the executable's last segment, at a
         * random offset; nothing else is mapped in between */
        p->replay.heap_lo = p->brk_first;
        for (uint32_t i = 0; i < p->nmods; i++)
            if (p->mods[i].path[0] != '[') {
                if (p->mods[i].end < p->replay.heap_lo || !p->replay.heap_lo)
                    p->replay.heap_lo = p->mods[i].end;
                break;
            }
    }
    /* a fault inside malloc precedes the HEAP_BREAK that shows the heap's
     * growth: allow for one growth beyond the last break seen */
    if (p->replay.brk_cur && addr >= p->replay.heap_lo && addr < p->replay.brk_cur + HEAP_GROWTH_SLACK)
        return FP_REGION_BRK;
    uint64_t top = 0;
    for (uint32_t i = 0; i < p->nmods; i++) {
        struct fp_module *md = &p->mods[i];
        if (md->unloaded)
            continue;
        if (addr >= md->start && addr < md->end) {
            *mod = md;
            return FP_REGION_MODULE;
        }
        if (md->end > top)
            top = md->end;
    }
    const struct itree_node *fm = itree_find(p->replay.snap, addr);
    if (fm) {
        *file = &p->files[fm->val];
        return FP_REGION_FILE;
    }
    if (hmap_get(&p->replay.arena_units, (addr >> FP_ARENA_SHIFT) + 1))
        return FP_REGION_ARENA;
    if (p->replay.stacks->count)
        return FP_REGION_OTHER;    /* the stacks are known: this is none of them */
    /* above every module and mapping: the main thread's stack (mmap places
     * everything else below the libraries) */
    const struct itree_node *hi = itree_floor(p->replay.maps, UINT64_MAX);
    if (top && addr > top && (!hi || hi->end <= addr))
        return FP_REGION_STACK;
    return FP_REGION_OTHER;
}

/* The fault stack of a sample: the faulting ip, then its callers. */
static int64_t fault_stack(struct fp_model *m, uint32_t pi, struct fp_model_thread *th,
                           const __typeof__(((struct fp_event *)0)->u.fault) *x)
{
    int64_t cs = stack_of(m, pi, th, x->stack);
    if (cs < 0)
        return -1;
    static uint64_t frames[FP_MAX_DEPTH + 1];
    const struct fp_rawstack *callers = &m->stacks[cs];
    uint32_t n = callers->n < FP_MAX_DEPTH ? callers->n : FP_MAX_DEPTH;
    frames[0] = x->ip;
    if (n)
        memcpy(frames + 1, fp_rawstack_frames(m, callers), n * sizeof(*frames));
    return stack_intern(m, pi, FP_STACK_FAULT, frames, n + 1);
}

/* Faults of weight w (major or not, of class cls) charged to counters c. */
static inline void charge_sample(struct fp_counts *c, uint64_t w, int major, int cls)
{
    c->fault_samples++;
    if (major)
        c->major_faults += w;
    else
        c->minor_faults += w;
    c->class_faults[cls] += w;
}

/* The allocation stack (raw stack) whose memory took a sample, remembered
 * with the fault stack that touched it. */
static int pair_add(struct fp_model *m, uint32_t as, int64_t fs)
{
    if (fs < 0)
        return 0;
    uint64_t key = ((uint64_t)as + 1) << 32 | ((uint64_t)fs + 1);
    uint32_t *v = hmap_get(&m->fault_pairs, key);
    if (v)
        ++*v;
    else if (hmap_put(&m->fault_pairs, key, 1) < 0)
        return -1;
    return 0;
}

/* The sample's class (fclass.c), counted for the process. */
static int sample_class(struct fp_proc *p, const __typeof__(((struct fp_event *)0)->u.fault) *x,
                        const struct fp_fclass_mem *mem, uint64_t w)
{
    struct fp_fclass_why why;
    int cls = fp_fclass_classify(&p->replay.hist, x->addr, mem, &why);
    if (cls < 0 || p->replay.hist_oom)
        return -1;
    p->class_faults[cls] += w;
    p->class_samples[cls]++;
    if (cls == FP_FCLASS_REFAULT_MADVISE)
        p->madv_refaults[why.madv] += w;
    if (cls >= FP_FCLASS_REFAULT_TRIM && cls <= FP_FCLASS_REFAULT_MADVISE) {
        p->alloc_release_refaults += why.by_alloc ? w : 0;
        p->inferred_refaults += why.inferred ? w : 0;
    }
    return cls;
}

/* A FAULT sample: charged to the code that took it (a fault stack: the ip,
 * then its callers) and to the memory it touched (the live block's site or
 * the program's mmap call, else a region), with its class. */
static int fault_sample(struct fp_model *m, uint32_t pi, struct fp_model_thread *th, uint64_t t,
                        const __typeof__(((struct fp_event *)0)->u.fault) *x)
{
    struct fp_proc *p = &m->procs[pi];
    uint64_t w = x->weight ? x->weight : 1;
    int major = x->kind == FP_FAULT_MAJOR;
    p->fault_samples++;
    th->fault_samples++;
    if (major)
        p->fault_major_w += w;
    else
        p->fault_minor_w += w;
    int64_t fs = -1;
    if (x->ip == 0 && x->stack == 0) {
        /* a late sample (SIGTRAP was blocked where it faulted): no code to
         * charge, only the memory */
        p->fault_late++;
    } else {
        fs = fault_stack(m, pi, th, x);
        if (fs < 0)
            return -1;
    }

    struct fp_fclass_mem mem = { .region = FP_REGION_BLOCK, .major = major };
    int64_t site = -1;           /* the raw stack whose memory it is */
    struct live *e = block_at(m, p, x->addr);
    struct fp_module *md = NULL;
    struct fp_fault_file *ff = NULL;
    if (e) {
        site = e->stack;
        mem.made_here = 1;
        mem.lo = e->addr, mem.hi = e->addr + e->size;
        mem.mmapped_replaced = (e->flags & FP_ALLOC_MMAPPED) && (e->flags & LIVE_REPLACED);
        mem.born_before_fork = p->replay.hist.fork_clock && e->t < p->replay.hist.fork_t;
    } else {
        const struct itree_node *map;
        mem.region = region_of(p, x->addr, &md, &ff, &map);
        if (map) {
            site = (int64_t)(map->val >> 2) - 1;
            mem.made_here = 1;
            mem.lo = map->start, mem.hi = map->end;
        }
    }
    if (p->tl)
        fp_tl_fault(p->tl, (uint32_t)(th - m->threads), fs, site, w, t);
    int cls = sample_class(p, x, &mem, w);
    if (cls < 0)
        return -1;
    if (fs >= 0)
        charge_sample(&m->stacks[fs].c, w, major, cls);
    if (site >= 0) {
        struct fp_counts *c = &m->stacks[site].c;
        charge_sample(c, w, major, cls);
        if (e) {
            if (e->flags & FP_ALLOC_MMAPPED)
                c->mmap_faults += w;
            if (e->flags & LIVE_REPLACED)
                c->refaults += w;
            if ((e->flags & LIVE_REPLACED) && (e->flags & FP_ALLOC_MMAPPED))
                c->mmap_refaults += w;
            if (e->flags & LIVE_ZEROED)
                c->zeroed_faults += w;
        }
        if (pair_add(m, (uint32_t)site, fs) < 0)
            return -1;
    }
    if (md) {
        if (major)
            md->major_faults += w;
        else
            md->minor_faults += w;
    }
    if (ff) {
        if (major)
            ff->major_faults += w;
        else
            ff->minor_faults += w;
    }
    p->region_samples[mem.region]++;
    if (major)
        p->region_major[mem.region] += w;
    else
        p->region_minor[mem.region] += w;
    return 0;
}

static void charge_faults(struct fp_model *m, struct fp_proc *p, struct fp_model_thread *th,
                          uint64_t minflt, uint64_t majflt)
{
    uint64_t dmin = minflt > th->minflt ? minflt - th->minflt : 0;
    uint64_t dmaj = majflt > th->majflt ? majflt - th->majflt : 0;
    if (p->tl && dmin + dmaj)
        fp_tl_rusage(p->tl, (uint32_t)(th - m->threads), dmin + dmaj, th->t_last);
    /* the first counts after a pause hold the pause's faults: no site's */
    int after_pause = th->pause_epoch != p->pause_epoch;
    th->pause_epoch = p->pause_epoch;
    if (th->last_stack && !after_pause) {
        m->stacks[th->last_stack - 1].c.minflt += dmin;
        m->stacks[th->last_stack - 1].c.majflt += dmaj;
    } else {
        p->unattributed_minflt += dmin;
        p->unattributed_majflt += dmaj;
    }
    if (minflt > th->minflt)
        th->minflt = minflt;
    if (majflt > th->majflt)
        th->majflt = majflt;
}

/* What every event does first: its thread (-1: out of memory), whose and
 * the process's time ranges it extends. */
static inline __attribute__((always_inline)) int64_t
event_thread(struct fp_model *m, uint32_t pi, uint32_t tid, uint64_t t)
{
    struct fp_proc *p = &m->procs[pi];
    int64_t ti = thread_get(m, pi, tid);
    if (ti < 0)
        return -1;
    struct fp_model_thread *th = &m->threads[ti];
    if (!th->t_first && !th->allocs)
        th->t_first = t;
    if (t > th->t_last)
        th->t_last = t;
    if (t > p->t_last)
        p->t_last = t;
    return ti;
}

/* One handler per record type, each after event_thread: they return 0 or
 * -1 (out of memory). */

/* The raw stack of a call record's stack id, which is now the thread's last
 * call (the next RUSAGE charges its faults there); -1: out of memory. */
static inline int64_t call_stack(struct fp_model *m, uint32_t pi, uint32_t ti, uint64_t id)
{
    int64_t si = stack_of(m, pi, &m->threads[ti], id);
    if (si >= 0)
        m->threads[ti].last_stack = (uint32_t)si + 1;
    return si;
}

static int on_process(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.process) *x = &ev->u.process;
    p->pid = x->pid, p->ppid = x->ppid, p->flags = x->flags, p->t0_real = x->t0_realtime;
    p->page_size = x->page_size, p->depth_limit = x->depth_limit;
    p->rusage_every = x->rusage_every;
    p->sample_bytes = x->sample_bytes;
    p->clock_step = x->clock_step;
    p->replay.hist.fork_child = (x->flags & FP_PROC_FORK_CHILD) != 0;
    if (x->page_size && !(x->page_size & (x->page_size - 1)))
        p->replay.hist.page_shift = (uint64_t)__builtin_ctzll(x->page_size);
    free(p->exe);
    free(p->cmdline);
    p->exe = strndup0(x->exe);
    p->cmdline = strndup0(x->cmdline);
    if (!p->exe || !p->cmdline)
        return -1;
    /* arguments are NUL-terminated: show them space-separated */
    for (uint32_t i = 0; i < x->cmdline.len; i++)
        if (!p->cmdline[i])
            p->cmdline[i] = i + 1 == x->cmdline.len ? 0 : ' ';
    /* the first member's records belong to the main thread */
    m->threads[ti].tid = (uint32_t)p->pid;
    if (hmap_put(&p->replay.tids, (uint64_t)p->pid + 1, ti) < 0)
        return -1;
    p->replay.tid_last = 0;
    return 0;
}

static int on_module(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.module) *x = &ev->u.module;
    if (FP_GROW_ZERO(p->mods, p->capmods, p->nmods + 1, 16) < 0)
        return -1;
    struct fp_module *md = &p->mods[p->nmods];
    md->path = strndup0(x->path);
    md->build_id = malloc(x->build_id.len + 1);
    if (!md->path || !md->build_id)
        return -1;
    memcpy(md->build_id, x->build_id.s, x->build_id.len);
    md->build_id_len = x->build_id.len;
    md->base = x->base, md->start = x->start, md->end = x->end;
    md->load_gen = p->replay.unloads;
    md->unload_gen = UINT32_MAX;
    p->nmods++;
    return 0;
}

static int on_module_unload(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    /* every dlopen reports the loaded modules again: each record of the
     * module goes */
    p->replay.unloads++;
    for (uint32_t i = p->nmods; i-- > 0;)
        if (p->mods[i].base == ev->u.module_unload.base && !p->mods[i].unloaded) {
            p->mods[i].unloaded = 1;
            p->mods[i].unload_gen = p->replay.unloads;
        }
    return 0;
}

static int on_stack(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    int64_t si = stack_intern(m, pi, FP_STACK_ALLOC, ev->u.stack.frames.v,
                              (uint32_t)ev->u.stack.frames.n);
    if (si < 0)
        return -1;
    struct fp_model_thread *th = &m->threads[ti];
    if (ev->u.stack.id && hmap_put(&th->stacks, ev->u.stack.id, (uint32_t)si) < 0)
        return -1;
    th->sid_last = th->sid_prev = 0;     /* id may have named another stack */
    return 0;
}

static int on_thread_start(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    struct fp_model_thread *th = &m->threads[ti];
    const __typeof__(ev->u.thread_start) *x = &ev->u.thread_start;
    th->started = 1;
    th->t_first = ev->t;
    /* a new thread's stack may reuse a dead one's */
    if (x->stack_hi > x->stack_lo &&
        (itree_cut(p->replay.stacks, x->stack_lo, x->stack_hi) < 0 ||
         itree_insert(p->replay.stacks, x->stack_lo, x->stack_hi, th->tid) < 0))
        return -1;
    return 0;
}

static int on_thread_end(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_model_thread *th = &m->threads[ti];
    const __typeof__(ev->u.thread_end) *x = &ev->u.thread_end;
    charge_faults(m, &m->procs[pi], th, x->minflt, x->majflt);
    th->utime_ns = x->utime_ns, th->stime_ns = x->stime_ns;
    size_t n = x->name.len < sizeof(th->name) - 1 ? x->name.len : sizeof(th->name) - 1;
    memcpy(th->name, x->name.s, n);
    th->name[n] = 0;
    th->ended = 1;
    return 0;
}

static int on_resume(struct fp_proc *p, uint64_t t, const struct fp_rec_resume *x);

static int on_process_end(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.process_end) *x = &ev->u.process_end;
    p->has_end = 1;
    p->end_reason = x->reason, p->wall_ns = x->wall_ns, p->utime_ns = x->utime_ns;
    p->stime_ns = x->stime_ns, p->maxrss_kb = x->maxrss_kb, p->minflt = x->minflt;
    p->majflt = x->majflt, p->nvcsw = x->nvcsw, p->nivcsw = x->nivcsw;
    p->threads_total = x->threads_total, p->threads_peak = x->threads_peak;
    p->c_utime_ns = x->c_utime_ns, p->c_stime_ns = x->c_stime_ns;
    p->c_maxrss_kb = x->c_maxrss_kb, p->c_minflt = x->c_minflt, p->c_majflt = x->c_majflt;
    p->dropped = x->dropped;
    if (p->pause_since) {     /* ended paused */
        struct fp_rec_resume r = { .minflt = x->minflt, .majflt = x->majflt };
        on_resume(p, ev->t, &r);
    }
    if (p->attached) {        /* the totals since the attach */
        p->minflt = p->minflt > p->attach_minflt ? p->minflt - p->attach_minflt : 0;
        p->majflt = p->majflt > p->attach_majflt ? p->majflt - p->attach_majflt : 0;
        p->utime_ns = p->utime_ns > p->attach_utime_ns ? p->utime_ns - p->attach_utime_ns : 0;
        p->stime_ns = p->stime_ns > p->attach_stime_ns ? p->stime_ns - p->attach_stime_ns : 0;
    }
    return 0;
}

static int on_counts(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    /* running totals: the last one holds the thread's */
    struct fp_model_thread *th = &m->threads[ti];
    th->has_counts = 1;
    th->cnt_allocs = ev->u.counts.allocations;
    th->cnt_bytes = ev->u.counts.bytes;
    th->cnt_frees = ev->u.counts.frees;
    return 0;
}

/* PAUSE, RESUME: the time and the process's faults spent paused.  A block
 * freed while paused stays live in the replay: nothing saw the free. */
static int on_pause(struct fp_proc *p, uint64_t t, const struct fp_rec_pause *x)
{
    /* faultprof -p's own pauses, until gdb has left and at the detach,
     * are no pause of the user's */
    if (p->pause_since || (p->attached && x->how != FP_PAUSE_TOGGLE))
        return 0;
    p->pauses++;
    p->pause_since = t ? t : 1;
    p->pause_minflt = x->minflt, p->pause_majflt = x->majflt;
    return 0;
}

static int on_resume(struct fp_proc *p, uint64_t t, const struct fp_rec_resume *x)
{
    if (!p->pause_since)
        return 0;
    p->paused_ns += t > p->pause_since ? t - p->pause_since : 0;
    p->pause_since = 0;
    p->pause_epoch++;
    if (x->minflt > p->pause_minflt)
        p->paused_minflt += x->minflt - p->pause_minflt;
    if (x->majflt > p->pause_majflt)
        p->paused_majflt += x->majflt - p->pause_majflt;
    return 0;
}

/* ATTACH: what the process had done before; TASK_BASE: a thread's fault
 * counts then, so its later RUSAGE records charge only what came after. */
static int on_attach(struct fp_proc *p, uint64_t t, const struct fp_rec_attach *x)
{
    p->attached = 1;
    p->attach_t = t;
    p->attach_minflt = x->minflt, p->attach_majflt = x->majflt;
    p->attach_utime_ns = x->utime_ns, p->attach_stime_ns = x->stime_ns;
    p->attach_tasks = x->tasks;
    return 0;
}

static int on_task_base(struct fp_model *m, uint32_t pi, const struct fp_rec_task_base *x)
{
    int64_t ti = thread_get(m, pi, (uint32_t)x->tid);
    if (ti < 0)
        return -1;
    struct fp_model_thread *th = &m->threads[ti];
    th->minflt = x->minflt;
    th->majflt = x->majflt;
    return 0;
}

/* A NOTE is kept as it came; the fault sampler's notes also set figures. */
static int on_note(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    struct fp_note *n = calloc(1, sizeof(*n));
    if (!n)
        return -1;
    n->key = strndup0(ev->u.note.key);
    n->value = strndup0(ev->u.note.value);
    struct fp_note **pp = &p->notes;
    while (*pp)
        pp = &(*pp)->next;
    *pp = n;
    if (!n->key || !n->value)
        return -1;
    if (!strcmp(n->key, "fault_mode"))
        p->fault_mode = !strcmp(n->value, "perf") ? FP_FAULTS_PERF
                      : !strcmp(n->value, "rusage") ? FP_FAULTS_RUSAGE : FP_FAULTS_UNKNOWN;
    else if (!strcmp(n->key, "fault_period"))
        p->fault_period = p->replay.hist.period = strtoull(n->value, NULL, 10);
    else if (!strcmp(n->key, "thp_enabled"))
        p->thp_mode = p->replay.hist.thp = !strcmp(n->value, "always") ? FP_THP_ALWAYS
                                         : !strcmp(n->value, "madvise") ? FP_THP_MADVISE
                                         : !strcmp(n->value, "never") ? FP_THP_NEVER
                                         : FP_THP_UNKNOWN;
    else if (!strcmp(n->key, "fault_samples_unrecorded"))
        p->fault_unrecorded = strtoull(n->value, NULL, 10);
    else if (!strcmp(n->key, "fault_error"))
        p->fault_error = n->value;
    return 0;
}

/* A new block's live flags from its record's: served by its own mmap, and
 * in sampled mode whether the recorder drew it as a sample. */
static inline uint32_t live_flags(const struct fp_proc *p, uint64_t flags)
{
    uint32_t fl = (uint32_t)flags & FP_ALLOC_MMAPPED;
    if (p->sample_bytes && (flags & FP_ALLOC_SAMPLED))
        fl |= LIVE_SAMPLED;
    return fl;
}

/* ALLOC; read_reader calls it straight from the record (inlined there: it
 * runs for most records), apply from an event. */
static inline __attribute__((always_inline)) int
on_alloc(struct fp_model *m, uint32_t pi, uint32_t ti, uint64_t t, const struct fp_rec_alloc *x,
         uint32_t at_once)
{
    struct fp_proc *p = &m->procs[pi];
    int64_t si = call_stack(m, pi, ti, x->stack);
    if (si < 0)
        return -1;
    if (!x->addr) {
        p->failed_allocs++;
        return 0;
    }
    uint32_t fl = live_flags(p, x->flags);
    if (x->func == FP_FUNC_CALLOC && x->size >= FP_BIG_ZEROED)
        fl |= LIVE_ZEROED;
    if (!p->replay.wq_n && !p->sample_bytes && !p->tl && !(fl & FP_ALLOC_MMAPPED))
        return at_once ? block_pair(m, p, ti, (uint32_t)si, x->addr, x->size, fl, t)
                       : block_fresh(m, p, ti, (uint32_t)si, x->addr, x->size, fl, t);
    return block_new(m, p, ti, (uint32_t)si, x->addr, x->size, fl | at_once, 0, t);
}

/* FREE, the same way */
static inline void on_free(struct fp_model *m, uint32_t pi, uint32_t ti, uint64_t t, uint64_t addr)
{
    if (addr)
        free_explicit(m, &m->procs[pi], ti, addr, t);
}

/* A realloc that moved or resized a live block: the old block's end, the
 * copy and the chain it continues.  Returns the new block's chain length. */
static uint32_t realloc_resize(struct fp_model *m, struct fp_proc *p, uint32_t ti, int64_t si,
                               const struct fp_event *ev)
{
    const __typeof__(ev->u.realloc) *x = &ev->u.realloc;
    uint32_t chain = 0;
    uint64_t old_size;
    uint32_t old_flags;
    block_free(m, p, ti, x->old_addr, ev->t, 0, &chain, &old_size, &old_flags);
    struct fp_rawstack *rs = &m->stacks[si];
    /* glibc moves an mmapped chunk with mremap: nothing is copied */
    if (x->new_addr != x->old_addr &&
        !((old_flags & FP_ALLOC_MMAPPED) && (x->flags & FP_ALLOC_MMAPPED)))
        rs->c.realloc_copied += old_size < x->size ? old_size : x->size;
    rs->c.reallocs++;
    p->reallocs++;
    if (p->sample_bytes) {
        double w = 1;
        block_weight(p, x->size, (x->flags & FP_ALLOC_SAMPLED) ? LIVE_SAMPLED : 0, &w);
        rs->est_reallocs += w;
    }
    chain++;
    if (chain > rs->c.realloc_chain_max)
        rs->c.realloc_chain_max = chain;
    return chain;
}

static int on_realloc(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.realloc) *x = &ev->u.realloc;
    int64_t si = call_stack(m, pi, ti, x->stack);
    if (si < 0)
        return -1;
    if (x->new_addr) {
        uint32_t chain = x->old_addr ? realloc_resize(m, p, ti, si, ev) : 0;
        return block_new(m, p, ti, (uint32_t)si, x->new_addr, x->size, live_flags(p, x->flags),
                         chain, ev->t);
    }
    if (x->size == 0) {
        if (x->old_addr)
            block_free(m, p, ti, x->old_addr, ev->t, 1, NULL, NULL, NULL);
    } else {
        p->failed_allocs++;
    }
    return 0;
}

static int on_mmap(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.mmap) *x = &ev->u.mmap;
    int64_t si = call_stack(m, pi, ti, x->stack);
    if (si < 0)
        return -1;
    if (x->err || x->result == UINT64_MAX) {
        p->mmap_failed++;
        return 0;
    }
    p->mmap_calls++;
    p->mmap_bytes += x->length;
    /* MAP_FIXED may replace what was there; the faults on it are charged
     * to this call's stack */
    uint64_t kind = (x->flags & MAP_ANONYMOUS_FLAG) || x->fd < 0 ? 1 : 2;
    if (itree_cut(p->replay.maps, x->result, x->result + x->length) < 0 ||
        itree_insert(p->replay.maps, x->result, x->result + x->length,
                     kind | ((uint64_t)si + 1) << 2) < 0 ||
        fp_hist_remap(&p->replay.hist, x->result, x->result + x->length) < 0)
        return -1;
    m->stacks[si].c.map_calls++;
    m->stacks[si].c.map_bytes += x->length;
    return 0;
}

static int on_munmap(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.munmap) *x = &ev->u.munmap;
    if (call_stack(m, pi, ti, x->stack) < 0)
        return -1;
    if (x->err)
        return 0;
    p->munmap_calls++;
    p->munmap_bytes += x->length;
    if (fp_hist_release(&p->replay.hist, x->addr, x->addr + x->length, FP_REL_MUNMAP, 0, 0) < 0 ||
        fp_hist_remap(&p->replay.hist, x->addr, x->addr + x->length) < 0)
        return -1;
    return itree_cut(p->replay.maps, x->addr, x->addr + x->length) < 0 ? -1 : 0;
}

/* madvise: a release (DONTNEED, FREE, REMOVE), THP advice, or nothing the
 * classes need */
static int on_madvise(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.madvise) *x = &ev->u.madvise;
    int by_alloc = (x->flags & FP_MADV_BY_ALLOCATOR) != 0;
    if (!by_alloc && call_stack(m, pi, ti, x->stack) < 0)
        return -1;
    if (x->err)
        return 0;
    p->madvise_calls++;
    p->madvise_bytes += x->length;
    p->madvise_alloc_calls += (uint64_t)by_alloc;
    struct fp_mem_history *h = &p->replay.hist;
    uint64_t lo = x->addr, hi = x->addr + x->length;
    switch (x->advice) {
    case 4: case 8: case 9: case 24:    /* DONTNEED, FREE, REMOVE, DONTNEED_LOCKED */
        return fp_hist_release(h, lo, hi, FP_REL_MADVISE, (int)x->advice, by_alloc);
    case 14: case 15:                   /* HUGEPAGE, NOHUGEPAGE */
        return fp_hist_thp(h, lo, hi, x->advice == 14);
    }
    return 0;
}

static int on_mprotect(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.mprotect) *x = &ev->u.mprotect;
    if (call_stack(m, pi, ti, x->stack) < 0)
        return -1;
    if (x->err)
        return 0;
    p->mprotect_calls++;
    return fp_hist_protect(&p->replay.hist, x->addr, x->addr + x->length, x->prot);
}

static int on_mremap(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    const __typeof__(ev->u.mremap) *x = &ev->u.mremap;
    if (call_stack(m, pi, ti, x->stack) < 0)
        return -1;
    if (x->err || x->result == UINT64_MAX)
        return 0;
    const struct itree_node *old = itree_find(p->replay.maps, x->old_addr);
    uint64_t kind = old ? old->val : 0;
    p->mremap_calls++;
    if (itree_cut(p->replay.maps, x->old_addr, x->old_addr + x->old_length) < 0)
        return -1;
    if (kind && (itree_cut(p->replay.maps, x->result, x->result + x->new_length) < 0 ||
                 itree_insert(p->replay.maps, x->result, x->result + x->new_length, kind) < 0))
        return -1;
    return 0;
}

/* The heap break moved to brk; first_brk: where it was at the start, if
 * this is the first we hear of it. */
static void break_moved(struct fp_proc *p, uint64_t first_brk, uint64_t brk)
{
    if (!p->brk_first)
        p->brk_first = p->replay.brk_cur = first_brk;
    heap_break_set(p, brk);
}

static int on_brk(struct fp_model *m, uint32_t pi, uint32_t ti, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    if (call_stack(m, pi, ti, ev->u.brk.stack) < 0)
        return -1;
    p->brk_calls++;
    if (!ev->u.brk.err)
        break_moved(p, ev->u.brk.old_break, ev->u.brk.new_break);
    return 0;
}

/* Applies one decoded event.  Returns 0 or -1 (out of memory). */
static int apply(struct fp_model *m, uint32_t pi, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    int64_t sti = event_thread(m, pi, ev->tid, ev->t);
    if (sti < 0)
        return -1;
    uint32_t ti = (uint32_t)sti;
    switch (ev->type) {
    case FP_REC_ALLOC: return on_alloc(m, pi, ti, ev->t, &ev->u.alloc, 0);
    case FP_REC_FREE:
        on_free(m, pi, ti, ev->t, ev->u.free.addr);
        return 0;
    case FP_REC_REALLOC: return on_realloc(m, pi, ti, ev);
    case FP_REC_STACK: return on_stack(m, pi, ti, ev);
    case FP_REC_FAULT: return fault_sample(m, pi, &m->threads[ti], ev->t, &ev->u.fault);
    case FP_REC_RUSAGE:
        charge_faults(m, p, &m->threads[ti], ev->u.rusage.minflt, ev->u.rusage.majflt);
        return 0;
    case FP_REC_COUNTS: return on_counts(m, pi, ti, ev);
    case FP_REC_MMAP: return on_mmap(m, pi, ti, ev);
    case FP_REC_MUNMAP: return on_munmap(m, pi, ti, ev);
    case FP_REC_MREMAP: return on_mremap(m, pi, ti, ev);
    case FP_REC_BRK: return on_brk(m, pi, ti, ev);
    case FP_REC_HEAP_BREAK:
        break_moved(p, ev->u.heap_break.brk, ev->u.heap_break.brk);
        return 0;
    case FP_REC_PROCESS: return on_process(m, pi, ti, ev);
    case FP_REC_PROCESS_END: return on_process_end(m, pi, ti, ev);
    case FP_REC_THREAD_START: return on_thread_start(m, pi, ti, ev);
    case FP_REC_THREAD_END: return on_thread_end(m, pi, ti, ev);
    case FP_REC_MODULE: return on_module(m, pi, ti, ev);
    case FP_REC_MODULE_UNLOAD: return on_module_unload(m, pi, ti, ev);
    case FP_REC_MAPS: return maps_snapshot(p, ev->u.maps.text);
    case FP_REC_FORK:
        p->forks++;
        fp_hist_fork(&p->replay.hist, ev->t);
        return 0;
    case FP_REC_MADVISE: return on_madvise(m, pi, ti, ev);
    case FP_REC_MPROTECT: return on_mprotect(m, pi, ti, ev);
    case FP_REC_EXEC:
        if (ev->u.exec.err == 0)
            p->execs++;
        return 0;
    case FP_REC_NOTE: return on_note(m, pi, ti, ev);
    case FP_REC_PAUSE: return on_pause(p, ev->t, &ev->u.pause);
    case FP_REC_RESUME: return on_resume(p, ev->t, &ev->u.resume);
    case FP_REC_ATTACH: return on_attach(p, ev->t, &ev->u.attach);
    case FP_REC_TASK_BASE: return on_task_base(m, pi, &ev->u.task_base);
    default:
        return 0;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A new process for the trace at path: its index, or -1 (out of memory). */
static int64_t proc_new(struct fp_model *m, const char *path)
{
    if (FP_GROW_ZERO(m->procs, m->capprocs, m->nprocs + 1, 16) < 0)
        return -1;
    uint32_t pi = m->nprocs++;
    struct fp_proc *p = &m->procs[pi];
    memset(p, 0, sizeof(*p));
    p->trace_path = strdup(path);
    p->replay.live = calloc(1, sizeof(*p->replay.live));
    p->replay.big = calloc(1, sizeof(*p->replay.big));
    p->replay.maps = calloc(1, sizeof(*p->replay.maps));
    p->replay.stacks = calloc(1, sizeof(*p->replay.stacks));
    p->replay.snap = calloc(1, sizeof(*p->replay.snap));
    if (m->timeline)
        p->tl = fp_tl_new();
    if (!p->trace_path || !p->replay.live || !p->replay.big || !p->replay.maps ||
        !p->replay.stacks || !p->replay.snap || (m->timeline && !p->tl) ||
        fp_hist_init(&p->replay.hist) < 0)
        return -1;
    return pi;
}

/* The progress line (stderr is a terminal): the share of the trace read,
 * records per second and the time left, at most four times a second. */
struct progress {
    double start, last;
};

static void show_progress(struct fp_reader *r, const char *name, uint64_t n, struct progress *pg)
{
    double t = now_s();
    if (t - pg->last <= 0.25)
        return;
    uint64_t done, size;
    fp_reader_progress(r, &done, &size);
    double share = size ? (double)done / (double)size : 1.0, took = t - pg->start;
    double rate = took > 0 ? (double)n / took : 0;
    double left = share > 0.001 ? took * (1 - share) / share : 0;
    fprintf(stderr, "\rfaultprof-report: reading %s: %3.0f%% (%.1fM records, %.1fM/s, "
            "%d:%02d left)\033[K", name, 100.0 * share, (double)n / 1e6, rate / 1e6,
            (int)left / 60, (int)left % 60);
    pg->last = t;
}

/* The records r has for process pi; finish: the trace is read to its end
 * (its live blocks become leaks).  Returns 0, or -1 with the problem. */
static int read_records(struct fp_model *m, uint32_t pi, struct fp_reader *r, const char *name,
                        int finish, char *err, size_t errlen)
{
    struct fp_proc *p = &m->procs[pi];
    const struct fp_record *rec;
    struct fp_event ev;
    int rc;
    uint64_t n = 0;
    struct progress pg = { 0, 0 };
    if (m->progress)
        pg.start = pg.last = now_s();
    int modules_told = p->allocs > 0;   /* > 0: a live trace read on */
    fp_reader_fuse(r);
    while ((rc = fp_reader_next(r, &rec)) > 0) {
        n++;
        /* ALLOC and FREE, full or short, straight to the model; the rest
         * through apply */
        int short_alloc = fp_record_short_alloc(rec->type);
        if (short_alloc || rec->type == FP_REC_ALLOC) {
            if (__builtin_expect(!modules_told, 0)) {
                modules_told = 1;
                if (m->modules_known)
                    m->modules_known(m, pi);
                p = &m->procs[pi];
            }
            /* a short one's fields are read where the reader put them */
            struct fp_rec_alloc full;
            const struct fp_rec_alloc *x = &rec->x.alloc;
            if (short_alloc) {
                n += (uint64_t)rec->freed_next;     /* its FREE_BACK came along */
            } else {
                if (fp_dec_alloc(rec->p, rec->end, &full) < 0)
                    goto corrupt;
                x = &full;
            }
            int64_t ti = event_thread(m, pi, rec->tid, rec->t);
            if (ti < 0 || on_alloc(m, pi, (uint32_t)ti, rec->t, x,
                                   short_alloc && rec->freed_next
                                       ? LIVE_AT_ONCE : 0) < 0)
                goto oom;
        } else if (rec->type == FP_REC_FREE_SHORT || rec->type == FP_REC_FREE_BACK ||
                   rec->type == FP_REC_FREE) {
            struct fp_rec_free x;
            if (rec->type != FP_REC_FREE)
                x = rec->x.free;
            else if (fp_dec_free(rec->p, rec->end, &x) < 0)
                goto corrupt;
            int64_t ti = event_thread(m, pi, rec->tid, rec->t);
            if (ti < 0)
                goto oom;
            on_free(m, pi, (uint32_t)ti, rec->t, x.addr);
        } else if (rec->type == FP_REC_TIME || rec->type == FP_REC_SITE) {
            continue;       /* the reader has used them */
        } else {
            int d = fp_event_decode(rec, &ev);
            if (d < 0)
                goto corrupt;
            if (d == 0) {
                m->unknown_records++;
                continue;
            }
            if (apply(m, pi, &ev) < 0)
                goto oom;
        }
        p = &m->procs[pi];
        if (m->progress && (n & 0xffff) == 0)
            show_progress(r, name, n, &pg);
    }
    if (m->progress && n > 0xffff)
        fprintf(stderr, "\r\033[K");
    m->records += n;
    if (rc < 0) {
        snprintf(err, errlen, "%s", fp_reader_error(r));
        return -1;
    }
    if (!finish)
        return 0;
    if (proc_finish(m, pi) < 0)
        goto oom;
    if (fp_reader_truncation(r, &p->trunc_at, &p->trunc_last_end)) {
        p->truncated = 1;
        if (m->warn)
            fprintf(m->warn,
                    "faultprof-report: warning: %s: truncated at byte %llu (last complete member "
                    "ends at %llu); events after that are lost\n",
                    name, (unsigned long long)p->trunc_at, (unsigned long long)p->trunc_last_end);
    }
    return 0;
corrupt:
    snprintf(err, errlen, "corrupt: %s record too short (member at byte %llu)",
             fp_record_name(rec->type), (unsigned long long)rec->member_off);
    return -1;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int read_reader(struct fp_model *m, struct fp_reader *r, const char *name,
                       char *err, size_t errlen)
{
    int64_t pi = proc_new(m, name);
    if (pi < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return read_records(m, (uint32_t)pi, r, name, 1, err, errlen);
}

int fp_model_read_file(struct fp_model *m, const char *path, char *err, size_t errlen)
{
    struct fp_reader *r;
    if (fp_reader_open(&r, path, FP_ORDER_TIME, err, errlen) < 0)
        return -1;
    int rc = read_reader(m, r, path, err, errlen);
    fp_reader_close(r);
    return rc;
}

int fp_model_read_mem(struct fp_model *m, const char *name, const void *buf, size_t len,
                      char *err, size_t errlen)
{
    struct fp_reader *r;
    if (fp_reader_open_mem(&r, buf, len, FP_ORDER_TIME, err, errlen) < 0)
        return -1;
    int rc = read_reader(m, r, name, err, errlen);
    fp_reader_close(r);
    return rc;
}

/* ---- a trace read as it is written (model.h: fp_feed) ---- */

struct fp_feed {
    struct fp_model *m;
    struct fp_reader *r;             /* NULL once finished */
    uint32_t pi;
    size_t told;                     /* members fp_feed_read has counted */
};

int fp_feed_open(struct fp_model *m, const char *path, struct fp_feed **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    struct fp_feed *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (fp_reader_open_live(&f->r, path, err, errlen) < 0) {
        free(f);
        return -1;
    }
    int64_t pi = proc_new(m, path);
    if (pi < 0) {
        snprintf(err, errlen, "out of memory");
        fp_reader_close(f->r);
        free(f);
        return -1;
    }
    f->m = m;
    f->pi = (uint32_t)pi;
    *out = f;
    return 0;
}

int fp_feed_read(struct fp_feed *f, int all, int finish, char *err, size_t errlen)
{
    if (!f->r)
        return 0;
    if (fp_reader_live_update(f->r, FP_FEED_GRACE_NS, all || finish) < 0) {
        snprintf(err, errlen, "%s", fp_reader_error(f->r));
        return -1;
    }
    /* the members indexed at the open count at the first read */
    int added = (int)(fp_reader_members(f->r) - f->told);
    f->told = fp_reader_members(f->r);
    const char *name = f->m->procs[f->pi].trace_path;
    if (read_records(f->m, f->pi, f->r, name, finish, err, errlen) < 0)
        return -1;
    if (finish) {
        fp_reader_close(f->r);
        f->r = NULL;
    }
    return added;
}

uint32_t fp_feed_proc(const struct fp_feed *f)
{
    return f->pi;
}

int fp_feed_finished(const struct fp_feed *f)
{
    return !f->r;
}

void fp_feed_close(struct fp_feed *f)
{
    if (!f)
        return;
    fp_reader_close(f->r);
    free(f);
}

void fp_model_live_by_thread(const struct fp_model *m, uint32_t pi, uint64_t *bytes)
{
    const struct fp_proc *p = &m->procs[pi];
    const struct live_table *lt = p->replay.live;
    for (size_t i = 0; lt && lt->s && i <= lt->mask; i++) {
        const struct live *e = &lt->s[i];
        if (!e->addr)
            continue;
        double w = 1;
        bytes[e->thread] += p->sample_bytes ? block_weight(p, e->size, e->flags, &w) : e->size;
    }
}
