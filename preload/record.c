/* Writing records into a thread's buffer: a record is begun, its fields
 * written with fp_rec_* (fp.h) and ended; each buffer starts with a BLOCK
 * record; a full or old buffer is flushed as one member of the trace.  A
 * thread appends to its own buffer with no lock. */
#include <string.h>

#include "fp.h"
#include "faultprof/reuse.h"

/* Write the buffer as one member.  The owner calls it when the buffer fills;
 * the exit path calls it for every thread, hence the lock. */
void fp_thread_flush(struct fp_thread *t)
{
    fp_lock(&t->flush_lock);
    size_t len = atomic_load_explicit(&t->len, memory_order_acquire);
    if (len > 0) {
        uint64_t first = t->t_first == UINT64_MAX ? t->t_last : t->t_first;
        fp_trace_write_member(t->data, len, t->tid, t->seq, first, t->t_last);
        t->seq++;
        atomic_store_explicit(&t->len, 0, memory_order_release);
    }
    fp_unlock(&t->flush_lock);
}

/* The BLOCK record that begins each member, at p; returns its end. */
static uint8_t *block_record(uint8_t *p, const struct fp_thread *t)
{
    struct fp_rec_block b = { .block_tid = t->tid, .seq = t->seq, .t_base = t->t_last };
    uint8_t *q = fp_enc_block(p + 2, &b);   /* a BLOCK payload is < 0x80 bytes */
    p[0] = FP_REC_BLOCK;
    p[1] = (uint8_t)(q - (p + 2));
    return q;
}

/* Ends the record at start (its type byte written, its payload from
 * start + 2 to end): writes the payload's length, moving the payload on
 * when the length takes more than the one byte assumed.  Returns the
 * record's end. */
static inline uint8_t *rec_close(uint8_t *start, uint8_t *end)
{
    size_t plen = (size_t)(end - (start + 2));
    if (FP_LIKELY(plen < 0x80)) {
        start[1] = (uint8_t)plen;
        return end;
    }
    uint8_t tmp[FP_VARINT_MAX];
    size_t vl = fp_put_varint(tmp, plen);
    memmove(start + 1 + vl, start + 2, plen);
    memcpy(start + 1, tmp, vl);
    return start + 1 + vl + plen;
}

/* A MAPS record may be bigger than the buffer: it goes out as a member of
 * its own, in the thread's order: the buffer first, then this. */
void fp_put_maps_member(struct fp_thread *t, const struct fp_rec_maps *x, uint64_t now)
{
    fp_thread_flush(t);
    size_t cap = 64 + 2 * FP_VARINT_MAX + fp_max_maps(x);
    cap = (cap + 4095) & ~(size_t)4095;
    uint8_t *buf = fp_os_map(cap);
    if (!buf)
        return;
    uint64_t rel = now - fp_t0;
    if (rel < t->t_last)
        rel = t->t_last;
    uint8_t *rec = block_record(buf, t);
    rec[0] = FP_REC_MAPS;
    uint8_t *end = fp_enc_U(rec + 2, rel - t->t_last);   /* dt */
    uint8_t *p = rec_close(rec, fp_enc_maps(end, x));
    fp_trace_write_member(buf, (size_t)(p - buf), t->tid, t->seq, rel, rel);
    t->seq++;
    t->t_last = rel;
    fp_os_unmap(buf, cap);
}

static void block_start(struct fp_thread *t)
{
    uint8_t *end = block_record(t->data, t);
    t->t_first = UINT64_MAX;  /* set by the block's first timed record */
    if (++t->block_gen == 0)  /* every SITE of the last block is void */
        t->block_gen = 1;
    t->site_next = 0;
    t->alloc_next = 0;
    t->alloc_end = 0;
    t->last_addr = 0;
    atomic_store_explicit(&t->len, (size_t)(end - t->data), memory_order_relaxed);
}

static FP_NOINLINE void rec_make_room(struct fp_thread *t, size_t need)
{
    if (atomic_load_explicit(&t->len, memory_order_relaxed) > 0)
        fp_thread_flush(t);
    (void)need;
}

/* Room for need bytes of records after the buffer's end, a block begun:
 * returns where they go. */
static inline uint8_t *rec_room(struct fp_thread *t, size_t need)
{
    size_t len = atomic_load_explicit(&t->len, memory_order_relaxed);
    if (FP_UNLIKELY(len + need > t->cap)) {
        rec_make_room(t, need);
        len = 0;
    }
    if (FP_UNLIKELY(len == 0)) {
        block_start(t);
        len = atomic_load_explicit(&t->len, memory_order_relaxed);
    }
    return t->data + len;
}

/* The records from the buffer's end to p are whole: publish them, and
 * flush a buffer older than flush_ms. */
static inline void rec_commit(struct fp_thread *t, uint8_t *p)
{
    atomic_store_explicit(&t->len, (size_t)(p - t->data), memory_order_release);
    if (FP_UNLIKELY(t->t_first != UINT64_MAX && t->t_last - t->t_first > fp_config.flush_ns))
        fp_thread_flush(t);
}

void fp_rec_begin(struct fp_rec *r, struct fp_thread *t, uint8_t type, size_t max)
{
    r->t = t;
    r->start = rec_room(t, max + 1 + FP_VARINT_MAX);
    r->start[0] = type;
    r->p = r->start + 2;    /* one length byte assumed; fixed in fp_rec_end */
}

void fp_rec_begin_timed(struct fp_rec *r, struct fp_thread *t, uint8_t type,
                        size_t max, uint64_t now)
{
    fp_rec_begin(r, t, type, max + FP_VARINT_MAX);
    uint64_t rel = now - fp_t0;
    if (rel < t->t_last)
        rel = t->t_last;     /* clocks never go back within a block */
    r->p = fp_enc_U(r->p, rel - t->t_last);   /* dt */
    t->t_last = rel;
    if (t->t_first == UINT64_MAX)
        t->t_first = rel;
}

void fp_rec_end(struct fp_rec *r)
{
    r->p = rec_close(r->start, r->p);
    rec_commit(r->t, r->p);
}

/* ---- the short forms of ALLOC and FREE (faultprof-trace(5), 2.0) */

/* A site the block has named: (func, flags, stack, align) -> id.
 * Direct-mapped: a collision names the newcomer again under a new id. */
struct fp_site_slot {
    uint64_t stack, align;
    uint32_t gen, id;          /* block_gen of the block that named it */
    uint32_t func_flags;       /* func << 16 | flags */
};
#define SITE_SLOTS 256u

/* A block's recent ALLOC_SHORTs by address, so that a free of one can name
 * it by how far back it was (FREE_BACK).  Direct-mapped: a collision
 * forgets the older one, whose free then carries its address. */
struct fp_back_slot {
    uint64_t addr;
    uint32_t gen, n;           /* block_gen, and the ALLOC_SHORT's number in it */
    uint32_t cls;              /* fp_reuse_class of its size: the free list it goes to */
};
#define BACK_SLOTS 2048u

static inline struct fp_back_slot *back_slot(struct fp_thread *t, uint64_t addr)
{
    return &t->backs[((addr >> 4) * 0x9e3779b97f4a7c15u) >> 53 & (BACK_SLOTS - 1)];
}

void fp_sites_reset(struct fp_thread *t)
{
    size_t bytes = SITE_SLOTS * sizeof(struct fp_site_slot) +
                   BACK_SLOTS * sizeof(struct fp_back_slot) +
                   FP_REUSE_CLASSES * sizeof(struct fp_reuse_list);
    uint8_t *m = t->pool ? fp_pool_alloc(t->pool, bytes) : NULL;
    if (m)
        memset(m, 0, bytes);
    t->sites = (struct fp_site_slot *)m;
    t->backs = m ? (struct fp_back_slot *)(m + SITE_SLOTS * sizeof(struct fp_site_slot)) : NULL;
    t->reuse = m ? (struct fp_reuse_list *)(t->backs + BACK_SLOTS) : NULL;
}

/* A TIME record at p when the thread's clock has moved a step or more
 * since its last time; that time then moves by whole steps, so a short
 * record's time is at most one step before it happened.  Returns the end. */
static FP_NOINLINE uint8_t *clock_step(struct fp_thread *t, uint8_t *p, uint64_t now,
                                       uint64_t rel)
{
    fp_clock_calibrate(now);    /* the TSC's rate, once and again, early in the run */
    uint64_t dt = (rel - t->t_last) / FP_CLOCK_STEP_NS * FP_CLOCK_STEP_NS;
    uint8_t *q = fp_enc_U(p + 2, dt);
    p[0] = FP_REC_TIME;
    p[1] = (uint8_t)(q - (p + 2));
    t->t_last += dt;
    if (t->t_first == UINT64_MAX)
        t->t_first = t->t_last;
    /* until the TSC reaches the next step (less a margin far above the
     * rates' disagreement), fp_now_event need not read the clock */
    t->tick_tsc = fp_tsc_at(fp_t0 + t->t_last + FP_CLOCK_STEP_NS - FP_CLOCK_STEP_NS / 64);
    return q;
}

static inline uint8_t *clock_tick(struct fp_thread *t, uint8_t *p, uint64_t now)
{
    uint64_t rel = now - fp_t0;
    if (FP_LIKELY(rel < t->t_last + FP_CLOCK_STEP_NS) || (int64_t)rel < 0)
        return p;           /* (a clock read before t0 moves nothing) */
    return clock_step(t, p, now, rel);
}

/* SITE, of payload [p + 2, q): its type and length byte */
static inline uint8_t *site_close(uint8_t *p, uint8_t *q)
{
    p[0] = FP_REC_SITE;
    p[1] = (uint8_t)(q - (p + 2));
    return q;
}

/* a short allocation or free: its type, its fields at p + 1 (no length,
 * faultprof-trace(5)) */
static inline uint8_t *short_close(uint8_t *p, uint8_t type, uint8_t *q)
{
    p[0] = type;
    return q;
}

static inline uint8_t *addr_delta(struct fp_thread *t, uint8_t *p, uint64_t addr)
{
    p = fp_enc_Z(p, (int64_t)(addr - t->last_addr));
    t->last_addr = addr;
    return p;
}

/* 4.0: every free list place fits a packed ALLOC_REUSE's type byte */
_Static_assert(FP_REUSE_DEPTH <= FP_PACKED_REUSE_MAX, "a reuse the type byte cannot hold");

/* TIME's and SITE's payloads are shorter than 0x80 bytes (one length byte) */
#define SHORT_ROOM ((2 + FP_VARINT_MAX) + (2 + 5 * FP_VARINT_MAX) + (2 + 3 * FP_VARINT_MAX))

/* A SITE at p for the site x names, into its slot s: the end.  Out of line:
 * the hot path keeps fewer registers. */
static FP_NOINLINE uint8_t *site_define(struct fp_thread *t, uint8_t *p,
                                        const struct fp_rec_alloc *x, struct fp_site_slot *s,
                                        uint32_t ff)
{
    struct fp_rec_site site = {
        .id = t->site_next, .func = x->func, .flags = x->flags, .stack = x->stack,
        .align = x->align,
    };
    p = site_close(p, fp_enc_site(p + 2, &site));
    *s = (struct fp_site_slot){ .stack = x->stack, .align = x->align, .gen = t->block_gen,
                                .id = t->site_next++, .func_flags = ff };
    return p;
}

void fp_put_alloc_event(struct fp_thread *t, const struct fp_rec_alloc *x, uint64_t now)
{
    if (FP_UNLIKELY(!t->sites || (x->func | x->flags) > 0xffff)) {
        fp_put_alloc(t, x, now);
        return;
    }
    uint8_t *p = clock_tick(t, rec_room(t, SHORT_ROOM), now);
    uint32_t ff = (uint32_t)(x->func << 16 | x->flags);
    uint64_t h = (x->stack * 0x9e3779b97f4a7c15u) ^ ((uint64_t)ff << 7) ^ x->align;
    struct fp_site_slot *s = &t->sites[(h >> 40) & (SITE_SLOTS - 1)];
    if (FP_UNLIKELY(s->gen != t->block_gen || s->stack != x->stack || s->func_flags != ff ||
                    s->align != x->align))
        p = site_define(t, p, x, s, ff);
    /* the address on its class's free list: ALLOC_REUSE; else ALLOC_SHORT */
    unsigned cls = fp_reuse_class(x->size);
    struct fp_reuse_list *l = fp_reuse_get(t->reuse, cls, t->block_gen);
    int k = fp_reuse_find(l, x->addr);
    uint8_t *q = fp_enc_U(fp_enc_U(p + 1, s->id), x->size);
    t->alloc_at = (uint32_t)(p - t->data);
    if (k >= 0) {
        fp_reuse_take(l, (unsigned)k);
        t->last_addr = x->addr;
        p = short_close(p, (uint8_t)(FP_PACKED_REUSE + (unsigned)k), q);  /* 4.0 */
    } else {
        p = short_close(p, FP_REC_ALLOC_SHORT, addr_delta(t, q, x->addr));
    }
    t->alloc_end = (uint32_t)(p - t->data);
    *back_slot(t, x->addr) = (struct fp_back_slot){ x->addr, t->block_gen, ++t->alloc_next, cls };
    rec_commit(t, p);
}

/* The free of the block the buffer's last record made, at the same time:
 * that record becomes its _FREED form instead of a FREE_BACK 1 following
 * it.  (The buffer is the thread's own and the thread is in the recorder,
 * so nobody flushes it meanwhile.) */
static inline bool free_in_place(struct fp_thread *t, uint8_t *p, uint32_t back)
{
    if (back != 1 || p != t->data + t->alloc_end)
        return false;
    uint8_t *type = &t->data[t->alloc_at];
    *type = *type == FP_REC_ALLOC_SHORT ? FP_REC_ALLOC_SHORT_FREED
                                        : (uint8_t)(*type + (FP_PACKED_REUSE_FREED - FP_PACKED_REUSE));
    t->alloc_end = 0;
    return true;
}

void fp_put_free_event(struct fp_thread *t, const struct fp_rec_free *x, uint64_t now)
{
    if (FP_UNLIKELY(x->flags != 0)) {
        fp_put_free(t, x, now);
        return;
    }
    uint8_t *p = clock_tick(t, rec_room(t, SHORT_ROOM), now);
    struct fp_back_slot *b = t->backs ? back_slot(t, x->addr) : NULL;
    if (b && b->addr == x->addr && b->gen == t->block_gen) {
        b->gen = 0;
        t->last_addr = x->addr;
        fp_reuse_push(fp_reuse_get(t->reuse, b->cls, t->block_gen), x->addr);
        uint32_t back = t->alloc_next - b->n + 1;
        if (free_in_place(t, p, back))
            return;
        if (FP_LIKELY(back <= FP_PACKED_BACK_MAX))
            p = short_close(p, (uint8_t)(FP_PACKED_BACK - 1 + back), p + 1);   /* 4.0 */
        else
            p = short_close(p, FP_REC_FREE_BACK, fp_enc_U(p + 1, back));
    } else {
        p = short_close(p, FP_REC_FREE_SHORT, addr_delta(t, p + 1, x->addr));
    }
    rec_commit(t, p);
}
