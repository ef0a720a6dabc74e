/* model: the replay.  Live blocks sit in an open-addressing table keyed by
 * address (no allocation per event); raw stacks are deduplicated by content
 * across threads; the heap peak is snapshotted lazily with an epoch counter
 * so memory never grows with the number of events. */
#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "reader.h"
#include "faultprof/trace.h"

/* ---- live blocks ---- */

struct live {
    uint64_t addr;       /* 0: empty slot */
    uint64_t size;
    uint64_t t;
    uint64_t seq;        /* the owning thread's alloc_seq at allocation */
    uint32_t stack;      /* raw stack index */
    uint32_t thread;
    uint32_t chain;      /* reallocs that led to this block */
    uint32_t flags;
};

struct live_table {
    struct live *s;
    size_t mask, n;
};

static int live_grow(struct live_table *lt)
{
    size_t cap = lt->s ? (lt->mask + 1) * 2 : 1024;
    struct live *ns = calloc(cap, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; lt->s && i <= lt->mask; i++) {
        if (!lt->s[i].addr)
            continue;
        size_t j = hmap_hash(lt->s[i].addr) & (cap - 1);
        while (ns[j].addr)
            j = (j + 1) & (cap - 1);
        ns[j] = lt->s[i];
    }
    free(lt->s);
    lt->s = ns;
    lt->mask = cap - 1;
    return 0;
}

static struct live *live_find(struct live_table *lt, uint64_t addr)
{
    if (!lt->s)
        return NULL;
    for (size_t i = hmap_hash(addr) & lt->mask;; i = (i + 1) & lt->mask) {
        if (lt->s[i].addr == addr)
            return &lt->s[i];
        if (!lt->s[i].addr)
            return NULL;
    }
}

/* Inserts (addr must not be present); returns the slot or NULL. */
static struct live *live_insert(struct live_table *lt, uint64_t addr)
{
    if (!lt->s || (lt->n + 1) * 4 > (lt->mask + 1) * 3)
        if (live_grow(lt) < 0)
            return NULL;
    size_t i = hmap_hash(addr) & lt->mask;
    while (lt->s[i].addr)
        i = (i + 1) & lt->mask;
    lt->n++;
    lt->s[i].addr = addr;
    return &lt->s[i];
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void live_remove(struct live_table *lt, struct live *e)
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
            size_t home = hmap_hash(lt->s[j].addr) & lt->mask;
            /* the entry at j must stay when its home lies cyclically in (i, j] */
            int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        lt->s[i] = lt->s[j];
        i = j;
    }
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
    hmap_free(&p->tids);
    if (p->live) {
        free(p->live->s);
        free(p->live);
        p->live = NULL;
    }
}

void fp_model_free(struct fp_model *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->nprocs; i++) {
        struct fp_proc *p = &m->procs[i];
        proc_release_replay(p);
        free(p->trace_path);
        free(p->exe);
        free(p->cmdline);
        for (uint32_t k = 0; k < p->nmods; k++) {
            free(p->mods[k].path);
            free(p->mods[k].build_id);
        }
        free(p->mods);
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
    free(m);
}

unsigned fp_size_class(uint64_t size)
{
    unsigned k = size ? 64 - (unsigned)__builtin_clzll(size) : 0;
    return k < FP_SIZE_CLASSES ? k : FP_SIZE_CLASSES - 1;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np)
        return -1;
    memset((char *)np + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
    *p = np;
    *cap = nc;
    return 0;
}

static uint64_t stack_hash(uint32_t proc, const uint64_t *f, uint32_t n)
{
    uint64_t h = hmap_hash(proc + 0x9e3779b97f4a7c15ULL * (n + 1));
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
        size_t j = stack_hash(s->proc, m->frames + s->frames_off, s->n) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = i + 1;
    }
    free(m->stack_tab);
    m->stack_tab = t;
    m->stack_tab_mask = cap - 1;
    return 0;
}

/* Returns the raw stack index for these frames in this process, adding it. */
static int64_t stack_intern(struct fp_model *m, uint32_t proc, const uint64_t *f, uint32_t n)
{
    if (!m->stack_tab || (size_t)(m->nstacks + 1) * 2 > m->stack_tab_mask + 1)
        if (stack_tab_grow(m) < 0)
            return -1;
    size_t j = stack_hash(proc, f, n) & m->stack_tab_mask;
    for (; m->stack_tab[j]; j = (j + 1) & m->stack_tab_mask) {
        struct fp_rawstack *s = &m->stacks[m->stack_tab[j] - 1];
        if (s->proc == proc && s->n == n && !memcmp(m->frames + s->frames_off, f, n * sizeof(*f)))
            return m->stack_tab[j] - 1;
    }
    if (grow((void **)&m->stacks, &m->capstacks, m->nstacks + 1, sizeof(*m->stacks)) < 0)
        return -1;
    if (m->nframes + n > m->capframes) {
        uint64_t nc = m->capframes ? m->capframes * 2 : 4096;
        while (nc < m->nframes + n)
            nc *= 2;
        uint64_t *nf = realloc(m->frames, nc * sizeof(*nf));
        if (!nf)
            return -1;
        m->frames = nf, m->capframes = nc;
    }
    struct fp_rawstack *s = &m->stacks[m->nstacks];
    memset(s, 0, sizeof(*s));
    s->proc = proc;
    s->n = n;
    s->frames_off = m->nframes;
    s->epoch_seen = m->procs[proc].peak_epoch;
    memcpy(m->frames + m->nframes, f, n * sizeof(*f));
    m->nframes += n;
    m->stack_tab[j] = m->nstacks + 1;
    return m->nstacks++;
}

static int64_t thread_get(struct fp_model *m, uint32_t pi, uint32_t tid)
{
    struct fp_proc *p = &m->procs[pi];
    if (tid == 0)
        tid = (uint32_t)p->pid;
    uint32_t *v = hmap_get(&p->tids, (uint64_t)tid + 1);
    if (v)
        return *v;
    if (grow((void **)&m->threads, &m->capthreads, m->nthreads + 1, sizeof(*m->threads)) < 0 ||
        hmap_put(&p->tids, (uint64_t)tid + 1, m->nthreads) < 0)
        return -1;
    struct fp_thread *t = &m->threads[m->nthreads];
    memset(t, 0, sizeof(*t));
    t->proc = pi;
    t->tid = tid;
    return m->nthreads++;
}

/* The raw stack a record's stack id names in this thread; the empty stack
 * for id 0 or an id the thread never defined. */
static int64_t stack_of(struct fp_model *m, uint32_t pi, struct fp_thread *t, uint64_t id)
{
    uint32_t *v = id ? hmap_get(&t->stacks, id) : NULL;
    if (v)
        return *v;
    return stack_intern(m, pi, NULL, 0);
}

/* Changes a stack's live bytes, snapshotting lazily at heap peaks: a stack
 * whose last change predates the latest peak had, at that peak, the value it
 * still holds. */
static inline void live_change(struct fp_proc *p, struct fp_rawstack *s, int64_t delta,
                               int64_t dblocks, uint64_t t)
{
    if (s->epoch_seen != p->peak_epoch) {
        s->c.peak_bytes = s->cur_live;
        s->epoch_seen = p->peak_epoch;
    }
    s->cur_live += (uint64_t)delta;
    p->live_bytes += (uint64_t)delta;
    p->live_blocks += (uint64_t)dblocks;
    if (p->live_bytes > p->peak_bytes) {
        p->peak_bytes = p->live_bytes;
        p->peak_blocks = p->live_blocks;
        p->peak_t = t;
        p->peak_epoch++;
    }
}

static int block_new(struct fp_model *m, struct fp_proc *p, uint32_t ti, uint32_t si,
                     uint64_t addr, uint64_t size, uint32_t flags, uint32_t chain, uint64_t t)
{
    struct fp_thread *th = &m->threads[ti];
    struct fp_rawstack *s = &m->stacks[si];
    struct live *old = live_find(p->live, addr);
    if (old) {
        /* freed behind our back (e.g. before the shim was ready): forget it */
        live_change(p, &m->stacks[old->stack], -(int64_t)old->size, -1, t);
        live_remove(p->live, old);
    }
    struct live *e = live_insert(p->live, addr);
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
    s->c.allocs++;
    s->c.bytes += size;
    p->allocs++;
    p->bytes += size;
    th->allocs++;
    th->bytes += size;
    if (flags & FP_ALLOC_MMAPPED) {
        s->c.mmapped++;
        s->c.mmapped_bytes += size;
        p->mmapped++;
        p->mmapped_bytes += size;
    }
    unsigned k = fp_size_class(size);
    m->size_class_allocs[k]++;
    m->size_class_bytes[k] += size;
    live_change(p, s, (int64_t)size, 1, t);
    return 0;
}

/* Frees addr; *chain gets the block's realloc chain.  explicit_free: a free()
 * or realloc(p, 0), which may be temporary. */
static void block_free(struct fp_model *m, struct fp_proc *p, uint32_t ti, uint64_t addr,
                       uint64_t t, int explicit_free, uint32_t *chain)
{
    struct fp_thread *th = &m->threads[ti];
    p->frees++;
    th->frees++;
    struct live *e = live_find(p->live, addr);
    if (chain)
        *chain = 0;
    if (!e) {
        p->unknown_frees++;
        return;
    }
    struct fp_rawstack *s = &m->stacks[e->stack];
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
    }
    if (chain)
        *chain = e->chain;
    live_change(p, s, -(int64_t)e->size, -1, t);
    live_remove(p->live, e);
}

static void proc_finish(struct fp_model *m, uint32_t pi)
{
    struct fp_proc *p = &m->procs[pi];
    if (p->live && p->live->s) {
        for (size_t i = 0; i <= p->live->mask; i++) {
            struct live *e = &p->live->s[i];
            if (!e->addr)
                continue;
            struct fp_rawstack *s = &m->stacks[e->stack];
            s->c.leaked_blocks++;
            s->c.leaked_bytes += e->size;
            m->threads[e->thread].leaked_blocks++;
            m->threads[e->thread].leaked_bytes += e->size;
            p->leaked_blocks++;
            p->leaked_bytes += e->size;
        }
    }
    for (uint32_t i = 0; i < m->nstacks; i++) {
        struct fp_rawstack *s = &m->stacks[i];
        if (s->proc == pi && s->epoch_seen != p->peak_epoch) {
            s->c.peak_bytes = s->cur_live;
            s->epoch_seen = p->peak_epoch;
        }
    }
    for (uint32_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].proc == pi)
            hmap_free(&m->threads[i].stacks);
    proc_release_replay(p);
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

static void charge_faults(struct fp_model *m, struct fp_proc *p, struct fp_thread *th,
                          uint64_t minflt, uint64_t majflt)
{
    uint64_t dmin = minflt > th->minflt ? minflt - th->minflt : 0;
    uint64_t dmaj = majflt > th->majflt ? majflt - th->majflt : 0;
    if (th->last_stack) {
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

#define TRY(x) do { if ((x) < 0) goto oom; } while (0)

/* Applies one decoded event.  Returns 0 or -1 (out of memory). */
static int apply(struct fp_model *m, uint32_t pi, const struct fp_event *ev)
{
    struct fp_proc *p = &m->procs[pi];
    int64_t ti = thread_get(m, pi, ev->tid);
    if (ti < 0)
        goto oom;
    struct fp_thread *th = &m->threads[ti];
    if (!th->t_first && !th->allocs)
        th->t_first = ev->t;
    if (ev->t > th->t_last)
        th->t_last = ev->t;
    if (ev->t > p->t_last)
        p->t_last = ev->t;
    int64_t si;
    switch (ev->type) {
    case FP_REC_PROCESS: {
        const __typeof__(ev->u.process) *x = &ev->u.process;
        p->pid = x->pid, p->ppid = x->ppid, p->flags = x->flags, p->t0_real = x->t0_real;
        p->page_size = x->page_size, p->depth_limit = x->depth_limit;
        p->rusage_every = x->rusage_every;
        free(p->exe);
        free(p->cmdline);
        p->exe = strndup0(x->exe);
        p->cmdline = strndup0(x->cmdline);
        if (!p->exe || !p->cmdline)
            goto oom;
        /* arguments are NUL-terminated: show them space-separated */
        for (uint32_t i = 0; i < x->cmdline.len; i++)
            if (!p->cmdline[i])
                p->cmdline[i] = i + 1 == x->cmdline.len ? 0 : ' ';
        /* the first member's records belong to the main thread */
        th->tid = (uint32_t)p->pid;
        TRY(hmap_put(&p->tids, (uint64_t)p->pid + 1, (uint32_t)ti));
        break;
    }
    case FP_REC_MODULE: {
        const __typeof__(ev->u.module) *x = &ev->u.module;
        if (grow((void **)&p->mods, &p->capmods, p->nmods + 1, sizeof(*p->mods)) < 0)
            goto oom;
        struct fp_module *md = &p->mods[p->nmods];
        md->path = strndup0(x->path);
        md->build_id = malloc(x->build_id.len + 1);
        if (!md->path || !md->build_id)
            goto oom;
        memcpy(md->build_id, x->build_id.s, x->build_id.len);
        md->build_id_len = x->build_id.len;
        md->base = x->base, md->start = x->start, md->end = x->end;
        p->nmods++;
        break;
    }
    case FP_REC_MODULE_UNLOAD:
        for (uint32_t i = p->nmods; i-- > 0;)
            if (p->mods[i].base == ev->u.module_unload.base && !p->mods[i].unloaded) {
                p->mods[i].unloaded = 1;
                break;
            }
        break;
    case FP_REC_STACK:
        si = stack_intern(m, pi, ev->u.stack.frames, (uint32_t)ev->u.stack.n);
        if (si < 0)
            goto oom;
        th = &m->threads[ti];
        if (ev->u.stack.id)
            TRY(hmap_put(&th->stacks, ev->u.stack.id, (uint32_t)si));
        break;
    case FP_REC_THREAD_START:
        th->started = 1;
        th->t_first = ev->t;
        break;
    case FP_REC_THREAD_END: {
        const __typeof__(ev->u.thread_end) *x = &ev->u.thread_end;
        charge_faults(m, p, th, x->minflt, x->majflt);
        th->utime_ns = x->utime_ns, th->stime_ns = x->stime_ns;
        size_t n = x->name.len < sizeof(th->name) - 1 ? x->name.len : sizeof(th->name) - 1;
        memcpy(th->name, x->name.s, n);
        th->name[n] = 0;
        th->ended = 1;
        break;
    }
    case FP_REC_RUSAGE:
        charge_faults(m, p, th, ev->u.rusage.minflt, ev->u.rusage.majflt);
        break;
    case FP_REC_PROCESS_END: {
        const __typeof__(ev->u.process_end) *x = &ev->u.process_end;
        p->has_end = 1;
        p->end_reason = x->reason, p->wall_ns = x->wall_ns, p->utime_ns = x->utime_ns;
        p->stime_ns = x->stime_ns, p->maxrss_kb = x->maxrss_kb, p->minflt = x->minflt;
        p->majflt = x->majflt, p->nvcsw = x->nvcsw, p->nivcsw = x->nivcsw;
        p->threads_total = x->threads_total, p->threads_peak = x->threads_peak;
        p->c_utime_ns = x->c_utime_ns, p->c_stime_ns = x->c_stime_ns;
        p->c_maxrss_kb = x->c_maxrss_kb, p->c_minflt = x->c_minflt, p->c_majflt = x->c_majflt;
        break;
    }
    case FP_REC_FORK:
        p->forks++;
        break;
    case FP_REC_EXEC:
        if (ev->u.exec.err == 0)
            p->execs++;
        break;
    case FP_REC_NOTE: {
        struct fp_note *n = calloc(1, sizeof(*n));
        if (!n)
            goto oom;
        n->key = strndup0(ev->u.note.key);
        n->value = strndup0(ev->u.note.value);
        struct fp_note **pp = &p->notes;
        while (*pp)
            pp = &(*pp)->next;
        *pp = n;
        if (!n->key || !n->value)
            goto oom;
        break;
    }
    case FP_REC_ALLOC: {
        const __typeof__(ev->u.alloc) *x = &ev->u.alloc;
        si = stack_of(m, pi, th, x->stack);
        if (si < 0)
            goto oom;
        th->last_stack = (uint32_t)si + 1;
        if (!x->addr) {
            p->failed_allocs++;
            break;
        }
        TRY(block_new(m, p, (uint32_t)ti, (uint32_t)si, x->addr, x->size, (uint32_t)x->flags, 0,
                      ev->t));
        break;
    }
    case FP_REC_FREE:
        if (ev->u.free.addr)
            block_free(m, p, (uint32_t)ti, ev->u.free.addr, ev->t, 1, NULL);
        break;
    case FP_REC_REALLOC: {
        const __typeof__(ev->u.realloc) *x = &ev->u.realloc;
        si = stack_of(m, pi, th, x->stack);
        if (si < 0)
            goto oom;
        th->last_stack = (uint32_t)si + 1;
        if (x->new_addr) {
            uint32_t chain = 0;
            if (x->old_addr) {
                block_free(m, p, (uint32_t)ti, x->old_addr, ev->t, 0, &chain);
                m->stacks[si].c.reallocs++;
                p->reallocs++;
                chain++;
                if (chain > m->stacks[si].c.realloc_chain_max)
                    m->stacks[si].c.realloc_chain_max = chain;
            }
            TRY(block_new(m, p, (uint32_t)ti, (uint32_t)si, x->new_addr, x->size,
                          (uint32_t)x->flags, chain, ev->t));
        } else if (x->size == 0) {
            if (x->old_addr)
                block_free(m, p, (uint32_t)ti, x->old_addr, ev->t, 1, NULL);
        } else {
            p->failed_allocs++;
        }
        break;
    }
    case FP_REC_MMAP: {
        const __typeof__(ev->u.mmap) *x = &ev->u.mmap;
        si = stack_of(m, pi, th, x->stack);
        if (si < 0)
            goto oom;
        th->last_stack = (uint32_t)si + 1;
        if (x->err || x->result == UINT64_MAX) {
            p->mmap_failed++;
            break;
        }
        p->mmap_calls++;
        p->mmap_bytes += x->length;
        m->stacks[si].c.map_calls++;
        m->stacks[si].c.map_bytes += x->length;
        break;
    }
    case FP_REC_MUNMAP:
        si = stack_of(m, pi, th, ev->u.munmap.stack);
        if (si < 0)
            goto oom;
        th->last_stack = (uint32_t)si + 1;
        if (!ev->u.munmap.err) {
            p->munmap_calls++;
            p->munmap_bytes += ev->u.munmap.length;
        }
        break;
    case FP_REC_MREMAP:
        si = stack_of(m, pi, th, ev->u.mremap.stack);
        if (si < 0)
            goto oom;
        th->last_stack = (uint32_t)si + 1;
        if (!ev->u.mremap.err)
            p->mremap_calls++;
        break;
    case FP_REC_BRK:
        si = stack_of(m, pi, th, ev->u.brk.stack);
        if (si < 0)
            goto oom;
        th->last_stack = (uint32_t)si + 1;
        p->brk_calls++;
        if (!ev->u.brk.err) {
            if (!p->brk_first)
                p->brk_first = ev->u.brk.old_break;
            if (ev->u.brk.new_break > p->brk_max)
                p->brk_max = ev->u.brk.new_break;
        }
        break;
    case FP_REC_HEAP_BREAK:
        if (!p->brk_first)
            p->brk_first = ev->u.heap_break.brk;
        if (ev->u.heap_break.brk > p->brk_max)
            p->brk_max = ev->u.heap_break.brk;
        break;
    case FP_REC_FAULT: {
        const __typeof__(ev->u.fault) *x = &ev->u.fault;
        si = stack_of(m, pi, th, x->stack);
        if (si < 0)
            goto oom;
        uint64_t w = x->weight ? x->weight : 1;
        p->fault_samples++;
        th->fault_samples++;
        if (x->kind == FP_FAULT_MAJOR) {
            m->stacks[si].c.sampled_major += w;
            p->fault_major_w += w;
        } else {
            m->stacks[si].c.sampled_minor += w;
            p->fault_minor_w += w;
        }
        break;
    }
    default:
        break;
    }
    return 0;
oom:
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_reader(struct fp_model *m, struct fp_reader *r, const char *name,
                       char *err, size_t errlen)
{
    if (grow((void **)&m->procs, &m->capprocs, m->nprocs + 1, sizeof(*m->procs)) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint32_t pi = m->nprocs++;
    struct fp_proc *p = &m->procs[pi];
    memset(p, 0, sizeof(*p));
    p->trace_path = strdup(name);
    p->live = calloc(1, sizeof(*p->live));
    if (!p->trace_path || !p->live) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct fp_record rec;
    struct fp_event ev;
    int rc;
    uint64_t n = 0;
    double last_progress = m->progress ? now_s() : 0;
    while ((rc = fp_reader_next(r, &rec)) > 0) {
        n++;
        int d = fp_event_decode(&rec, &ev);
        if (d < 0) {
            snprintf(err, errlen, "corrupt: %s record too short (member at byte %llu)",
                     fp_record_name(rec.type), (unsigned long long)rec.member_off);
            return -1;
        }
        if (d == 0) {
            m->unknown_records++;
            continue;
        }
        if (apply(m, pi, &ev) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        p = &m->procs[pi];
        if (m->progress && (n & 0xffff) == 0) {
            double t = now_s();
            if (t - last_progress > 0.25) {
                uint64_t done, size;
                fp_reader_progress(r, &done, &size);
                fprintf(stderr, "\rfaultprof-report: reading %s: %3.0f%% (%llu records)", name,
                        size ? 100.0 * (double)done / (double)size : 100.0, (unsigned long long)n);
                last_progress = t;
            }
        }
    }
    if (m->progress && n > 0xffff)
        fprintf(stderr, "\r\033[K");
    m->records += n;
    if (rc < 0) {
        snprintf(err, errlen, "%s", fp_reader_error(r));
        return -1;
    }
    proc_finish(m, pi);
    if (fp_reader_truncation(r, &p->trunc_at, &p->trunc_last_end)) {
        p->truncated = 1;
        if (m->warn)
            fprintf(m->warn,
                    "faultprof-report: warning: %s: truncated at byte %llu (last complete member "
                    "ends at %llu); events after that are lost\n",
                    name, (unsigned long long)p->trunc_at, (unsigned long long)p->trunc_last_end);
    }
    return 0;
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
