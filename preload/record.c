/* Writing records into a thread's buffer: a record is begun, its fields
 * written with fp_rec_* (fp.h) and ended; each buffer starts with a BLOCK
 * record; a full or old buffer is flushed as one member of the trace.  A
 * thread appends to its own buffer with no lock. */
#include <string.h>

#include "fp.h"

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
    atomic_store_explicit(&t->len, (size_t)(end - t->data), memory_order_relaxed);
}

static FP_NOINLINE void rec_make_room(struct fp_thread *t, size_t need)
{
    if (atomic_load_explicit(&t->len, memory_order_relaxed) > 0)
        fp_thread_flush(t);
    (void)need;
}

void fp_rec_begin(struct fp_rec *r, struct fp_thread *t, uint8_t type, size_t max)
{
    size_t len = atomic_load_explicit(&t->len, memory_order_relaxed);
    size_t need = max + 1 + FP_VARINT_MAX;
    if (FP_UNLIKELY(len + need > t->cap)) {
        rec_make_room(t, need);
        len = 0;
    }
    if (len == 0) {
        block_start(t);
        len = atomic_load_explicit(&t->len, memory_order_relaxed);
    }
    r->t = t;
    r->start = t->data + len;
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
    struct fp_thread *t = r->t;
    r->p = rec_close(r->start, r->p);
    atomic_store_explicit(&t->len, (size_t)(r->p - t->data), memory_order_release);
    if (FP_UNLIKELY(t->t_first != UINT64_MAX && t->t_last - t->t_first > fp_config.flush_ns))
        fp_thread_flush(t);
}
