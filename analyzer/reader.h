/* reader: opens one faultprof trace (a file or a memory buffer), indexes its
 * gzip members and delivers records either in global time order (a k-way
 * merge of the threads' member chains) or in file order.  Memory is bounded
 * by the threads whose time ranges overlap, never by the number of events. */
#ifndef FP_READER_H
#define FP_READER_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

#include "faultprof/records.h"

enum fp_order { FP_ORDER_TIME = 0, FP_ORDER_FILE = 1 };

/* One record as delivered: payload points after dt for timed records. */
struct fp_record {
    unsigned type;
    int timed;
    uint32_t tid;         /* thread of the block; 0 before the first BLOCK */
    uint64_t t;           /* ns since t0 (the thread's last time for untimed records) */
    const uint8_t *p;     /* payload (after dt for timed records) */
    const uint8_t *end;
    uint64_t member_off;  /* file offset of the member holding the record */
    /* ALLOC_SHORT and FREE_SHORT resolved against their member's SITE
     * records and addresses: the fields of the full ALLOC or FREE */
    union {
        struct fp_rec_alloc alloc;
        struct fp_rec_free free;
    } x;
    int packed;           /* 4.0: a packed form (its type byte held packed_field) */
    uint64_t packed_field;/* reuse (ALLOC_REUSE*) or back (FREE_BACK) */
    int freed_next;       /* a short ALLOC whose block was freed at once: a _FREED
                             form, or with fp_reader_fuse one whose FREE_BACK 1
                             followed, taken with it */
};

struct fp_reader;

/* the short forms of ALLOC (rec->x.alloc, freed_next): one range test and
 * a mask, where four comparisons had made a jump table of the model's loop */
static inline int fp_record_short_alloc(unsigned type)
{
#define FP_SHORT_ALLOC_BIT(t) (1u << ((t) - FP_REC_ALLOC_SHORT))
    const unsigned mask = FP_SHORT_ALLOC_BIT(FP_REC_ALLOC_SHORT) |
                          FP_SHORT_ALLOC_BIT(FP_REC_ALLOC_REUSE) |
                          FP_SHORT_ALLOC_BIT(FP_REC_ALLOC_SHORT_FREED) |
                          FP_SHORT_ALLOC_BIT(FP_REC_ALLOC_REUSE_FREED);
#undef FP_SHORT_ALLOC_BIT
    return type - FP_REC_ALLOC_SHORT < 32 && ((mask >> (type - FP_REC_ALLOC_SHORT)) & 1);
}

/* Both return 0 or -1 with a one-line problem in err ("not a faultprof trace ..."). */
int fp_reader_open(struct fp_reader **out, const char *path, enum fp_order order,
                   char *err, size_t errlen);
int fp_reader_open_mem(struct fp_reader **out, const void *buf, size_t len,
                       enum fp_order order, char *err, size_t errlen);

/* The records decoded ahead that fp_reader_next hands out one by one: the
 * first member of struct fp_reader, so that the common call is a comparison
 * inline (the call, and the registers the decoder saves and restores, had
 * cost some thirty instructions a record). */
struct fp_reader_batch {
    const struct fp_record *next, *end;
};

/* fp_reader_next once the batch is used up: decodes the next one. */
int fp_reader_refill(struct fp_reader *r, const struct fp_record **rec);

/* 1: *rec points at the next record (valid until the next call), 0: end,
 * -1: corrupt (fp_reader_error says why).  After 0, a truncated file has its
 * warning ready in fp_reader_truncation. */
static inline int fp_reader_next(struct fp_reader *r, const struct fp_record **rec)
{
    struct fp_reader_batch *b = (struct fp_reader_batch *)(void *)r;
    if (__builtin_expect(b->next != b->end, 1)) {
        *rec = b->next++;
        return 1;
    }
    return fp_reader_refill(r, rec);
}
const char *fp_reader_error(const struct fp_reader *r);

/* From now on an ALLOC_SHORT immediately followed by its own FREE_BACK 1 (the
 * thread freed the block before anything else) is delivered as one record
 * with freed_next set.  The model's reading; --dump shows every record.
 * Called before the first fp_reader_next, the records may come decoded by
 * worker threads, and then an ALLOC_SHORT, FREE_SHORT or FREE_BACK has its
 * fields in x only (p == end). */
void fp_reader_fuse(struct fp_reader *r);

/* Stream header fields */
unsigned fp_reader_version_major(const struct fp_reader *r);
unsigned fp_reader_version_minor(const struct fp_reader *r);

/* Truncation: returns 1 and fills the positions when the file ends inside a
 * member (or with zero padding after the last member). */
int fp_reader_truncation(const struct fp_reader *r, uint64_t *at, uint64_t *last_complete_end);

/* Progress: bytes of the file consumed so far and the file size. */
void fp_reader_progress(const struct fp_reader *r, uint64_t *done, uint64_t *size);
size_t fp_reader_members(const struct fp_reader *r);

void fp_reader_close(struct fp_reader *r);

/* A trace still being written (faultprof-report --live): opened like
 * fp_reader_open in time order; fp_reader_next returns 0 at the horizon
 * (records a thread may still precede) or at the members read so far.
 * fp_reader_live_update then takes in the members appended since, and sets
 * the horizon: the earliest last time of the threads that still record
 * (those whose newest member is within grace_ns of the trace's newest);
 * all: every record read so far (the trace ended or stopped growing).
 * Returns the members added, or -1 (fp_reader_error says why). */
int fp_reader_open_live(struct fp_reader **out, const char *path, char *err, size_t errlen);
int fp_reader_live_update(struct fp_reader *r, uint64_t grace_ns, int all);

/* The threads the report may use (faultprof-report -j): what
 * fp_report_set_jobs set, else FAULTPROF_REPORT_THREADS, else the online
 * CPUs.  With 3 or more, a reader in time order with fp_reader_fuse has
 * jobs - 1 threads decode its members ahead of the merge; with 2, or any
 * other reader, a thread decompresses them ahead; and with 2 or more
 * symbols.c opens debug info in another (fp_report_threads: 1). */
void fp_report_set_jobs(int n);
int fp_report_jobs(void);
int fp_report_threads(void);

const char *fp_record_name(unsigned type);

#endif
