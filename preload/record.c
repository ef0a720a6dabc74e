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

/* A record too big for the buffer (a MAPS snapshot) goes out as a member of
 * its own, in the thread's order: the buffer first, then this. */
void fp_write_big(struct fp_thread *t, uint8_t type, const void *payload_head, size_t head_len,
                 const void *tail, size_t tail_len, uint64_t now)
{
    fp_thread_flush(t);
    size_t cap = 64 + head_len + tail_len + 4 * FP_VARINT_MAX;
    cap = (cap + 4095) & ~(size_t)4095;
    uint8_t *buf = fp_os_map(cap);
    if (!buf)
        return;
    uint64_t rel = now - fp_t0;
    if (rel < t->t_last)
        rel = t->t_last;
    uint8_t *p = buf;
    uint8_t blk[3 * FP_VARINT_MAX];
    size_t n = 0;
    n += fp_put_varint(blk + n, t->tid);
    n += fp_put_varint(blk + n, t->seq);
    n += fp_put_varint(blk + n, t->t_last);
    *p++ = FP_REC_BLOCK;
    p += fp_put_varint(p, n);
    memcpy(p, blk, n);
    p += n;
    uint8_t dt[FP_VARINT_MAX];
    size_t dl = fp_put_varint(dt, rel - t->t_last);
    *p++ = type;
    p += fp_put_varint(p, dl + head_len + tail_len);
    memcpy(p, dt, dl);
    p += dl;
    memcpy(p, payload_head, head_len);
    p += head_len;
    memcpy(p, tail, tail_len);
    p += tail_len;
    fp_trace_write_member(buf, (size_t)(p - buf), t->tid, t->seq, rel, rel);
    t->seq++;
    t->t_last = rel;
    fp_os_unmap(buf, cap);
}

static void block_start(struct fp_thread *t)
{
    uint8_t *p = t->data;
    uint8_t payload[3 * FP_VARINT_MAX];
    size_t n = 0;
    n += fp_put_varint(payload + n, t->tid);
    n += fp_put_varint(payload + n, t->seq);
    n += fp_put_varint(payload + n, t->t_last);
    p[0] = FP_REC_BLOCK;
    p[1] = (uint8_t)n;
    memcpy(p + 2, payload, n);
    t->t_first = UINT64_MAX;  /* set by the block's first timed record */
    atomic_store_explicit(&t->len, 2 + n, memory_order_relaxed);
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
    fp_rec_u(r, rel - t->t_last);
    t->t_last = rel;
    if (t->t_first == UINT64_MAX)
        t->t_first = rel;
}

void fp_rec_end(struct fp_rec *r)
{
    struct fp_thread *t = r->t;
    size_t plen = (size_t)(r->p - (r->start + 2));
    if (FP_UNLIKELY(plen >= 0x80)) {
        uint8_t tmp[FP_VARINT_MAX];
        size_t vl = fp_put_varint(tmp, plen);
        memmove(r->start + 1 + vl, r->start + 2, plen);
        memcpy(r->start + 1, tmp, vl);
        r->p = r->start + 1 + vl + plen;
    } else {
        r->start[1] = (uint8_t)plen;
    }
    atomic_store_explicit(&t->len, (size_t)(r->p - t->data), memory_order_release);
    if (FP_UNLIKELY(t->t_first != UINT64_MAX && t->t_last - t->t_first > fp_config.flush_ns))
        fp_thread_flush(t);
}
