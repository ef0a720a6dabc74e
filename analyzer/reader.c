/* reader: indexes a trace's gzip members (hopping by the 'FP' extra field's
 * member_size, inflating only members without it), groups them into one chain
 * per thread, and merges the chains by time with one inflate stream per chain
 * that is currently open.  Every length and varint is bounds-checked: any
 * input either reads or fails with a message, never crashes. */
#include "reader.h"
#include "faultprof/reuse.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#include "grow.h"
#include "faultprof/records.h"

#define IN_CHUNK   (64u * 1024)
#define OUT_CHUNK  (128u * 1024)
#define MAX_HEADER (64u * 1024)   /* header size we accept for future minors */
#define READ_BATCH 32             /* records decoded at once (struct fp_reader_batch) */

struct member {
    uint64_t off, size;
    uint32_t raw;                  /* decompressed size from the FP field, 0 unknown */
    uint64_t t_first, t_last;      /* t_last: from the FP field, else t_first */
    uint32_t tid, seq;
};

struct cursor {
    struct fp_reader *r;
    uint32_t first, count, next;   /* members of the chain (indices into r->chain_m) */
    uint32_t order;                /* tie break: chain number */
    int open;                      /* inflate stream and buffers live */
    int in_member;                 /* a member is being inflated */
    int member_done;               /* its gzip stream ended */
    uint64_t cur_member_off;
    uint32_t cur_raw;              /* the member's decompressed size, 0 unknown */
    uint32_t cur_mi;               /* the member's index in r->m */
    z_stream *zs;                  /* out of line: a live reader moves its cursors */
    uint8_t *in;
    size_t in_cap;
    uint64_t in_off, in_end;       /* part of the current member not yet fed */
    uint8_t *out;
    size_t out_cap, out_pos, out_len;
    uint64_t t;                    /* the thread's time (its tid: rec.tid) */
    uint64_t key;                  /* time of the peeked record (or of the chain start) */
    int has;                       /* rec is a peeked record */
    int parked;                    /* live: chain read to its end, closed, next kept */
    int ended;                     /* live: its THREAD_END was delivered */
    struct fp_record *rec;         /* the record peeked: a slot of ring */
    struct fp_record *ring;        /* READ_BATCH slots, made at the open: the
                                      records of a batch (fp_reader_refill);
                                      tid and member_off are set in all */
    struct fp_rec_site *sites;     /* the member's SITE records, by id */
    uint32_t nsites, sites_cap;
    uint64_t last_addr;            /* of the member's last short record */
    struct short_block *allocs;    /* the member's ALLOC_SHORTs, in order */
    uint32_t nallocs, allocs_cap;
    struct fp_reuse_list *reuse;   /* the member's free lists, FP_REUSE_CLASSES of
                                      them, made at the open and emptied at a
                                      BLOCK (their gen is not used) */
    int at_start;                  /* a member was started: its first record is next */
    /* decoded: the chain's members come decoded by the workers */
    int dec;
    struct dmember *dm;            /* the member being read, or NULL */
    uint32_t di;                   /* its next record */
};

struct prefetch;
struct decoders;
struct dmember;

/* a block an ALLOC_SHORT or ALLOC_REUSE made, for FREE_BACK */
struct short_block {
    uint64_t addr;
    uint32_t cls;                  /* fp_reuse_class of its size */
};

struct fp_reader {
    struct fp_reader_batch batch;  /* first: fp_reader_next reads it inline */
    int corrupt_next;              /* a corrupt record follows the batch (err) */
    int fd;
    struct prefetch *pf;           /* members decompressed ahead by a thread, or NULL */
    struct decoders *dec;          /* members decoded by worker threads, or NULL */
    int started;                   /* fp_reader_next was called: the threads are chosen */
    struct libdeflate_decompressor *inflater;
    const uint8_t *mem;
    uint64_t size;
    enum fp_order order;
    struct member *m;
    uint32_t nm;
    uint32_t *chain_m;             /* member indices grouped by chain */
    struct cursor *cur;
    uint32_t ncur;
    struct cursor **heap;          /* min-heap on (key, order) */
    uint32_t nheap;
    struct cursor *last;           /* cursor of the last delivered record */
    unsigned major, minor;
    uint8_t form[256];             /* by type, for this major: 0 framed, else
                                      FORM_UNFRAMED | fields (| FORM_PACKED) */
    int fuse;                      /* fp_reader_fuse */
    int truncated;
    uint64_t trunc_at, last_end;
    uint64_t done_bytes;
    /* live (fp_reader_open_live): the index grows, records wait for the horizon */
    int live;
    uint64_t horizon;              /* records after this time are held back */
    uint64_t index_end;            /* end of the last complete member indexed */
    uint32_t capm;
    char err[256];
};

static const char *const rec_names[256] = {
#define FP_X(NAME, name, code, timed) [code] = #NAME,
    FP_RECORD_LIST(FP_X)
#undef FP_X
};

/* known and timed (the record's payload begins with dt) */
static const uint8_t rec_timed[256] = {
#define FP_X(NAME, name, code, timed) [code] = timed,
    FP_RECORD_LIST(FP_X)
#undef FP_X
};

/* How a major frames each type: the unframed ones with their fields'
 * count, the packed ones marked (one load on the hot path). */
#define FORM_UNFRAMED 0x10
#define FORM_PACKED   0x20
#define FORM_FIELDS   0x0f
static void set_major(struct fp_reader *r, unsigned major)
{
    r->major = major;
    for (unsigned type = 0; type < 256; type++)
        r->form[type] = !fp_record_unframed(type, major) ? 0
                        : (uint8_t)(FORM_UNFRAMED | fp_unframed_fields(type) |
                                    (fp_record_packed(type, major) ? FORM_PACKED : 0));
}

const char *fp_record_name(unsigned type)
{
    return type < 256 ? rec_names[type] : NULL;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct fp_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
    return -1;
}

const char *fp_reader_error(const struct fp_reader *r)
{
    return r->err;
}

/* ---- input ---- */

/* Reads up to n bytes at off; returns bytes read (short at end of file) or -1. */
static ssize_t src_read(struct fp_reader *r, void *buf, size_t n, uint64_t off)
{
    if (off >= r->size)
        return 0;
    if (n > r->size - off)
        n = (size_t)(r->size - off);
    if (r->mem) {
        memcpy(buf, r->mem + off, n);
        return (ssize_t)n;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(r->fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* ---- indexing ---- */

/* Parses the gzip header at off.  Returns 1 with the FP subfield decoded (when
 * present: *has_fp), 0 when the bytes are not a gzip member, -1 on I/O error. */
static int gzm_header(struct fp_reader *r, uint64_t off, int *has_fp, uint8_t fp[FP_GZ_EXTRA_LEN],
                     int *short_read)
{
    uint8_t h[12];
    *has_fp = 0;
    *short_read = 0;
    ssize_t k = src_read(r, h, sizeof(h), off);
    if (k < 0)
        return -1;
    if (k < 10) {
        /* the file ends inside a header: a member cut short when what is
         * there begins as one does (ID1, ID2, CM) */
        static const uint8_t magic[3] = { 0x1f, 0x8b, 8 };
        *short_read = 1;
        return !memcmp(h, magic, k < 3 ? (size_t)k : 3) ? 1 : 0;
    }
    if (h[0] != 0x1f || h[1] != 0x8b || h[2] != 8)
        return 0;
    if (!(h[3] & 4))
        return 1;
    if (k < 12) {
        *short_read = 1;
        return 1;
    }
    unsigned xlen = fp_get_le16(h + 10);
    uint8_t x[65535];
    ssize_t xk = src_read(r, x, xlen, off + 12);
    if (xk < 0)
        return -1;
    if ((size_t)xk < xlen) {
        *short_read = 1;
        return 1;
    }
    for (unsigned i = 0; i + 4 <= xlen;) {
        unsigned len = fp_get_le16(x + i + 2);
        if (i + 4 + len > xlen)
            break;
        if (x[i] == FP_GZ_SI1 && x[i + 1] == FP_GZ_SI2 && len == FP_GZ_EXTRA_LEN) {
            memcpy(fp, x + i + 4, FP_GZ_EXTRA_LEN);
            *has_fp = 1;
            break;
        }
        i += 4 + len;
    }
    return 1;
}

/* A member without the FP field: inflate it to find where it ends and read
 * its BLOCK record.  Returns 1 ok, 0 truncated, -1 corrupt. */
static int scan_member(struct fp_reader *r, struct member *m)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return fail(r, "out of memory");
    uint8_t *in = malloc(IN_CHUNK);
    uint8_t out[32768];
    uint8_t headbuf[64];
    size_t headlen = 0;
    int ret = -1;
    uint64_t off = m->off;
    if (!in) {
        fail(r, "out of memory");
        goto out;
    }
    for (;;) {
        if (zs.avail_in == 0) {
            ssize_t k = src_read(r, in, IN_CHUNK, off);
            if (k < 0) {
                fail(r, "read error: %s", strerror(errno));
                goto out;
            }
            if (k == 0) {
                ret = 0;
                goto out;
            }
            zs.next_in = in;
            zs.avail_in = (uInt)k;
            off += (uint64_t)k;
        }
        zs.next_out = out;
        zs.avail_out = sizeof(out);
        int z = inflate(&zs, Z_NO_FLUSH);
        size_t produced = sizeof(out) - zs.avail_out;
        if (headlen < sizeof(headbuf) && produced) {
            size_t c = sizeof(headbuf) - headlen < produced ? sizeof(headbuf) - headlen : produced;
            memcpy(headbuf + headlen, out, c);
            headlen += c;
        }
        if (z == Z_STREAM_END) {
            m->size = off - zs.avail_in - m->off;
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            fail(r, "corrupt gzip member at byte %llu", (unsigned long long)m->off);
            goto out;
        }
    }
    ret = 1;
    if (m->off == 0) {
        m->tid = 0, m->seq = 0, m->t_first = 0;
    } else {
        const uint8_t *p = headbuf, *end = headbuf + headlen;
        uint64_t len;
        struct fp_rec_block b;
        if (headlen < 2 || *p++ != FP_REC_BLOCK || fp_get_varint(&p, end, &len) ||
            len > (uint64_t)(end - p) || fp_dec_block(p, p + len, &b) < 0) {
            ret = fail(r, "member at byte %llu does not begin with a BLOCK record",
                       (unsigned long long)m->off);
            goto out;
        }
        m->tid = (uint32_t)b.block_tid, m->seq = (uint32_t)b.seq, m->t_first = b.t_base;
        m->t_last = b.t_base;
    }
out:
    inflateEnd(&zs);
    free(in);
    return ret;
}

static int all_zero(struct fp_reader *r, uint64_t off)
{
    uint8_t b[4096];
    while (off < r->size) {
        ssize_t k = src_read(r, b, sizeof(b), off);
        if (k <= 0)
            return 0;
        for (ssize_t i = 0; i < k; i++)
            if (b[i])
                return 0;
        off += (uint64_t)k;
    }
    return 1;
}

static int build_index(struct fp_reader *r)
{
    uint32_t cap = r->capm;
    uint64_t off = r->index_end;   /* 0, or where a live trace's index stopped */
    while (off < r->size) {
        uint8_t fp[FP_GZ_EXTRA_LEN];
        int has_fp, short_read;
        int g = gzm_header(r, off, &has_fp, fp, &short_read);
        if (g < 0)
            return fail(r, "read error: %s", strerror(errno));
        if (g == 0) {
            if (off == 0)
                return fail(r, "not a faultprof trace (not gzip data)");
            if (all_zero(r, off)) {
                r->truncated = 1, r->trunc_at = off, r->last_end = off;
                break;
            }
            return fail(r, "corrupt: bytes at %llu are not a gzip member", (unsigned long long)off);
        }
        if (short_read) {
            if (off == 0)
                return fail(r, "truncated before the end of its first gzip member (%llu bytes)",
                            (unsigned long long)r->size);
            r->truncated = 1, r->trunc_at = r->size, r->last_end = off;
            break;
        }
        if (FP_GROW(r->m, cap, (size_t)r->nm + 1, 64) < 0)
            return fail(r, "out of memory");
        struct member *m = &r->m[r->nm];
        memset(m, 0, sizeof(*m));
        m->off = off;
        uint32_t msize = has_fp ? fp_get_le32(fp) : 0;
        if (msize) {
            m->size = msize;
            m->raw = fp_get_le32(fp + 4);
            m->tid = fp_get_le32(fp + 8);
            m->seq = fp_get_le32(fp + 12);
            m->t_first = fp_get_le64(fp + 16);
            m->t_last = fp_get_le64(fp + 24);
            if (msize < 18)
                return fail(r, "corrupt: member at byte %llu claims %u bytes",
                            (unsigned long long)off, msize);
            if (off + msize > r->size) {
                if (off == 0)
                    return fail(r, "truncated before the end of its first gzip member (%llu bytes)",
                                (unsigned long long)r->size);
                /* cut, or a damaged size: a member whose gzip data ends
                 * before the file does was not cut */
                int s = scan_member(r, m);
                if (s < 0)
                    return -1;
                if (s > 0)
                    return fail(r, "corrupt: member at byte %llu claims %u bytes, its gzip data "
                                "ends after %llu", (unsigned long long)off, msize,
                                (unsigned long long)m->size);
                r->truncated = 1, r->trunc_at = r->size, r->last_end = off;
                break;
            }
            if (off == 0)
                m->tid = 0, m->seq = 0;
        } else {
            int s = scan_member(r, m);
            if (s < 0)
                return -1;
            if (s == 0) {
                if (off == 0)
                    return fail(r, "truncated before the end of its first gzip member (%llu bytes)",
                                (unsigned long long)r->size);
                r->truncated = 1, r->trunc_at = r->size, r->last_end = off;
                break;
            }
        }
        r->nm++;
        off += m->size;
    }
    r->capm = cap;
    r->index_end = off;
    if (r->nm == 0)
        return fail(r, "empty file (not a faultprof trace)");
    return 0;
}

/* ---- chains and cursors ---- */

static struct member *sort_base;
static int cmp_member(const void *a, const void *b)
{
    const struct member *x = &sort_base[*(const uint32_t *)a], *y = &sort_base[*(const uint32_t *)b];
    /* the first member is a chain of its own, ahead of everything */
    int xf = x->off == 0, yf = y->off == 0;
    if (xf != yf)
        return yf - xf;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int build_chains(struct fp_reader *r)
{
    r->chain_m = malloc(r->nm * sizeof(uint32_t));
    r->cur = calloc(r->nm, sizeof(struct cursor));
    r->heap = malloc(r->nm * sizeof(struct cursor *));
    if (!r->chain_m || !r->cur || !r->heap)
        return fail(r, "out of memory");
    for (uint32_t i = 0; i < r->nm; i++)
        r->chain_m[i] = i;
    if (r->order == FP_ORDER_FILE) {
        r->cur[0].first = 0, r->cur[0].count = r->nm;
        r->ncur = 1;
    } else {
        sort_base = r->m;
        qsort(r->chain_m, r->nm, sizeof(uint32_t), cmp_member);
        for (uint32_t i = 0; i < r->nm;) {
            uint32_t j = i + 1;
            const struct member *a = &r->m[r->chain_m[i]];
            if (a->off != 0)
                while (j < r->nm && r->m[r->chain_m[j]].tid == a->tid)
                    j++;
            struct cursor *c = &r->cur[r->ncur];
            c->first = i, c->count = j - i;
            c->key = a->t_first;
            r->ncur++;
            i = j;
        }
    }
    for (uint32_t i = 0; i < r->ncur; i++) {
        r->cur[i].r = r;
        r->cur[i].order = i;
        if (r->order == FP_ORDER_FILE)
            r->cur[i].key = 0;
    }
    return 0;
}

static void dm_free(struct dmember *dm);

/* The sticky fields of a cursor's records, in every slot of its ring
 * (rec_at leaves them as they are): the thread of the member's BLOCK, and
 * the member's offset. */
static void ring_tid(struct cursor *c, uint32_t tid)
{
    for (unsigned i = 0; i < READ_BATCH; i++)
        c->ring[i].tid = tid;
}

static void ring_member(struct cursor *c, uint64_t off)
{
    for (unsigned i = 0; i < READ_BATCH; i++)
        c->ring[i].member_off = off;
}

static void ring_free(struct cursor *c)
{
    free(c->ring);
    c->ring = c->rec = NULL;
}

static void cursor_close(struct cursor *c)
{
    dm_free(c->dm);
    c->dm = NULL;
    ring_free(c);
    if (!c->open)
        return;
    if (c->zs)
        inflateEnd(c->zs);
    free(c->zs);
    c->zs = NULL;
    free(c->in);
    free(c->out);
    free(c->sites);
    free(c->allocs);
    free(c->reuse);
    c->in = c->out = NULL;
    c->sites = NULL;
    c->allocs = NULL;
    c->reuse = NULL;
    c->nsites = c->sites_cap = c->nallocs = c->allocs_cap = 0;
    c->open = 0;
}

static int cursor_open(struct cursor *c)
{
    struct fp_reader *r = c->r;
    if (!c->ring && !(c->ring = calloc(READ_BATCH, sizeof(*c->ring))))
        return fail(r, "out of memory");
    c->rec = c->ring;
    if (c->dec) {           /* its members come decoded (cursor_peek_dec) */
        c->open = 1;
        c->next = 0;
        return 0;
    }
    c->zs = calloc(1, sizeof(*c->zs));
    if (!c->zs || inflateInit2(c->zs, 15 + 16) != Z_OK) {
        free(c->zs);
        c->zs = NULL;
        return fail(r, "out of memory");
    }
    c->in = r->mem ? NULL : malloc(IN_CHUNK);
    c->in_cap = IN_CHUNK;
    c->reuse = calloc(FP_REUSE_CLASSES, sizeof(*c->reuse));
    c->out = malloc(OUT_CHUNK);
    c->out_cap = OUT_CHUNK;
    c->out_pos = c->out_len = 0;
    c->open = 1;
    c->in_member = 0;
    if (!c->parked)
        c->next = 0;
    c->parked = 0;
    if ((!r->mem && !c->in) || !c->out || !c->reuse)
        return fail(r, "out of memory");
    return 0;
}

/* Starts the chain's next member; 0 ok, 1 chain exhausted. */
static int cursor_next_member(struct cursor *c)
{
    if (c->next >= c->count)
        return 1;
    c->cur_mi = c->r->chain_m[c->first + c->next++];
    const struct member *m = &c->r->m[c->cur_mi];
    inflateReset(c->zs);
    c->zs->avail_in = 0;
    c->in_off = m->off;
    c->in_end = m->off + m->size;
    c->cur_member_off = m->off;
    ring_member(c, m->off);
    c->cur_raw = m->raw;
    c->in_member = 1;
    c->member_done = 0;
    c->at_start = m->off != 0;
    return 0;
}

/* ---- whole members: one libdeflate call for a member whose FP field
 * gives sizes it can have (else the zlib path, which says precisely what is
 * wrong).  Used by the merge and by the prefetch thread, each with its own
 * decompressor and input buffer.  Returns 1 done, 0 to take the zlib path,
 * -1 out of memory. */
static int member_inflate(struct fp_reader *r, struct libdeflate_decompressor *d,
                          const struct member *m, uint8_t **in, size_t *in_cap, uint8_t *out)
{
    const uint8_t *src;
    if (r->mem) {
        src = r->mem + m->off;
    } else {
        if (*in_cap < m->size) {
            uint8_t *b = realloc(*in, m->size);
            if (!b)
                return -1;
            *in = b, *in_cap = m->size;
        }
        if (src_read(r, *in, m->size, m->off) != (ssize_t)m->size)
            return 0;
        src = *in;
    }
    size_t got = 0;
    return libdeflate_gzip_decompress(d, src, m->size, out, m->raw, &got) == LIBDEFLATE_SUCCESS &&
           got == m->raw;
}

static int member_sized(const struct member *m)
{
    return m->raw && m->raw <= FP_MAX_RECORD * 2u && m->size <= m->raw + 4096 + m->raw / 8;
}

/* The member's records are all in c->out: nothing more to inflate. */
static void member_taken(struct cursor *c)
{
    c->member_done = 1;
    c->in_off = c->in_end;
    c->r->done_bytes += c->in_end - c->cur_member_off;
}

static int report_jobs;          /* fp_report_set_jobs; 0: not set */

void fp_report_set_jobs(int n)
{
    report_jobs = n;
}

int fp_report_jobs(void)
{
    if (report_jobs > 0)
        return report_jobs;
    const char *env = getenv("FAULTPROF_REPORT_THREADS");
    char *end;
    long n = env ? strtol(env, &end, 10) : 0;
    if (env && *env && !*end && n > 0)
        return n < 1024 ? (int)n : 1024;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 1 ? (cpus < 1024 ? (int)cpus : 1024) : 1;
}

int fp_report_threads(void)
{
    return fp_report_jobs() >= 2;
}

/* ---- prefetch: a second thread decompresses the members ahead of the
 * merge, in the order it will want them (by their first record's time), at
 * most PF_AHEAD members ahead of it, so memory stays bounded.  A member the
 * thread has not reached when the merge wants it is decompressed by the
 * merge itself; one the thread could not decompress takes the usual path,
 * which says what is wrong.  On alloc_heavy's trace this takes the 0.05 s
 * of decompression off the thread that builds the model. */
#define PF_AHEAD      16
#define PF_MIN_MEMBERS 8

enum { PF_PENDING, PF_WORKING, PF_READY, PF_FAILED, PF_TAKEN };

struct pf_slot {
    _Atomic int state;
    uint8_t *buf;                  /* READY: the member's records */
};

struct prefetch {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct fp_reader *r;
    struct libdeflate_decompressor *inflater;
    uint32_t *order;               /* member indices by t_first */
    struct pf_slot *slot;
    uint32_t started;              /* members the merge has started (under mu) */
    int stop;
};

static struct member *pf_sort_base;
static int cmp_first_time(const void *a, const void *b)
{
    const struct member *x = &pf_sort_base[*(const uint32_t *)a];
    const struct member *y = &pf_sort_base[*(const uint32_t *)b];
    if (x->t_first != y->t_first)
        return x->t_first < y->t_first ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Decompresses member mi into a new buffer; NULL when it cannot (the merge
 * then finds out why). */
static uint8_t *pf_inflate(struct prefetch *pf, uint32_t mi, uint8_t **in, size_t *in_cap)
{
    const struct member *m = &pf->r->m[mi];
    if (!member_sized(m))
        return NULL;
    uint8_t *out = malloc(m->raw);
    if (out && member_inflate(pf->r, pf->inflater, m, in, in_cap, out) == 1)
        return out;
    free(out);
    return NULL;
}

static void *pf_main(void *arg)
{
    struct prefetch *pf = arg;
    uint8_t *in = NULL;
    size_t in_cap = 0;
    for (uint32_t k = 0; k < pf->r->nm; k++) {
        uint32_t mi = pf->order[k];
        pthread_mutex_lock(&pf->mu);
        while (!pf->stop && k >= pf->started + PF_AHEAD)
            pthread_cond_wait(&pf->cv, &pf->mu);
        int stop = pf->stop;
        pthread_mutex_unlock(&pf->mu);
        if (stop)
            break;
        int want = PF_PENDING;
        if (!atomic_compare_exchange_strong(&pf->slot[mi].state, &want, PF_WORKING))
            continue;       /* the merge took it first */
        uint8_t *buf = pf_inflate(pf, mi, &in, &in_cap);
        pthread_mutex_lock(&pf->mu);
        pf->slot[mi].buf = buf;
        atomic_store(&pf->slot[mi].state, buf ? PF_READY : PF_FAILED);
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
    }
    free(in);
    return NULL;
}

static void pf_stop(struct fp_reader *r)
{
    struct prefetch *pf = r->pf;
    if (!pf)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->thread, NULL);
    for (uint32_t i = 0; i < r->nm; i++)
        free(pf->slot[i].buf);
    libdeflate_free_decompressor(pf->inflater);
    pthread_mutex_destroy(&pf->mu);
    pthread_cond_destroy(&pf->cv);
    free(pf->order);
    free(pf->slot);
    free(pf);
    r->pf = NULL;
}

/* Starts the thread when there are members enough and a second CPU;
 * without it everything works as before. */
static void pf_start(struct fp_reader *r)
{
    if (r->nm < PF_MIN_MEMBERS || !r->inflater || !fp_report_threads() || r->live)
        return;
    struct prefetch *pf = calloc(1, sizeof(*pf));
    if (!pf)
        return;
    pf->r = r;
    pf->order = malloc(r->nm * sizeof(uint32_t));
    pf->slot = calloc(r->nm, sizeof(struct pf_slot));
    pf->inflater = libdeflate_alloc_decompressor();
    if (!pf->order || !pf->slot || !pf->inflater)
        goto fail;
    for (uint32_t i = 0; i < r->nm; i++)
        pf->order[i] = i;
    if (r->order == FP_ORDER_TIME) {      /* else the file's order is the reading's */
        pf_sort_base = r->m;
        qsort(pf->order, r->nm, sizeof(uint32_t), cmp_first_time);
    }
    /* the first chain's first member is open already */
    if (r->ncur && r->cur[0].in_member) {
        atomic_store(&pf->slot[r->cur[0].cur_mi].state, PF_TAKEN);
        pf->started = 1;
    }
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    r->pf = pf;
    if (pthread_create(&pf->thread, NULL, pf_main, pf) != 0) {
        pthread_mutex_destroy(&pf->mu);
        pthread_cond_destroy(&pf->cv);
        r->pf = NULL;
        goto fail;
    }
    return;
fail:
    if (pf->inflater)
        libdeflate_free_decompressor(pf->inflater);
    free(pf->order);
    free(pf->slot);
    free(pf);
}

/* The merge starts member c->cur_mi: its records from the thread when it
 * has them (1), else 0 for the merge to decompress it itself. */
static int pf_take(struct cursor *c)
{
    struct prefetch *pf = c->r->pf;
    struct pf_slot *s = &pf->slot[c->cur_mi];
    pthread_mutex_lock(&pf->mu);
    pf->started++;
    pthread_cond_broadcast(&pf->cv);
    int want = PF_PENDING;
    if (atomic_compare_exchange_strong(&s->state, &want, PF_TAKEN)) {
        pthread_mutex_unlock(&pf->mu);
        return 0;
    }
    while (atomic_load(&s->state) == PF_WORKING)
        pthread_cond_wait(&pf->cv, &pf->mu);
    uint8_t *buf = atomic_load(&s->state) == PF_READY ? s->buf : NULL;
    s->buf = NULL;
    atomic_store(&s->state, PF_TAKEN);
    pthread_mutex_unlock(&pf->mu);
    if (!buf)
        return 0;
    /* the cursor's buffer is empty at a member's start: hand it over */
    free(c->out);
    c->out = buf;
    c->out_cap = c->cur_raw;
    c->out_pos = 0;
    c->out_len = c->cur_raw;
    member_taken(c);
    return 1;
}

/* A member whose sizes the FP field gives is decompressed whole with
 * libdeflate, about twice as fast as streaming it through zlib (which also
 * checks the CRC).  Returns 1 done, 0 to take the zlib path (which then
 * says precisely what is wrong), -1 out of memory. */
static int member_whole(struct cursor *c)
{
    struct fp_reader *r = c->r;
    const struct member *m = &r->m[c->cur_mi];
    if (!member_sized(m))
        return 0;
    if (c->out_pos) {
        memmove(c->out, c->out + c->out_pos, c->out_len - c->out_pos);
        c->out_len -= c->out_pos;
        c->out_pos = 0;
    }
    if (c->out_cap - c->out_len < m->raw) {
        size_t cap = c->out_cap;
        while (cap - c->out_len < m->raw)
            cap *= 2;
        uint8_t *o = realloc(c->out, cap);
        if (!o)
            return -1;
        c->out = o, c->out_cap = cap;
    }
    int w = member_inflate(r, r->inflater, m, &c->in, &c->in_cap, c->out + c->out_len);
    if (w == 1) {
        c->out_len += m->raw;
        member_taken(c);
    }
    return w;
}

/* Inflates until at least n unread bytes are buffered or the member ended.
 * Returns 0, or -1 on corrupt data. */
static int cursor_fill(struct cursor *c, size_t n)
{
    struct fp_reader *r = c->r;
    if (r->pf && c->in_member && !c->member_done && c->in_off == c->cur_member_off &&
        c->zs->avail_in == 0 && c->out_pos == c->out_len && pf_take(c))
        return 0;
    if (c->in_member && !c->member_done && c->in_off == c->cur_member_off &&
        c->zs->avail_in == 0 && r->inflater) {
        int w = member_whole(c);
        if (w < 0)
            return fail(r, "out of memory");
        if (w > 0)
            return 0;
    }
    while (c->out_len - c->out_pos < n && !c->member_done) {
        if (c->out_pos && (c->out_cap - c->out_len < OUT_CHUNK / 4 || c->out_cap < n)) {
            memmove(c->out, c->out + c->out_pos, c->out_len - c->out_pos);
            c->out_len -= c->out_pos;
            c->out_pos = 0;
        }
        /* room for the whole member and more, when its size is known, so
         * that zlib reaches its trailer (and checks the CRC) before any of
         * its records is read */
        size_t room = 4096 + (c->cur_raw <= FP_MAX_RECORD * 2u ? c->cur_raw : 0);
        if (c->out_cap < n || c->out_cap - c->out_len < room) {
            size_t cap = c->out_cap * 2;
            while (cap < n + 4096 || cap - c->out_len < room)
                cap *= 2;
            uint8_t *o = realloc(c->out, cap);
            if (!o)
                return fail(r, "out of memory");
            c->out = o, c->out_cap = cap;
        }
        if (c->zs->avail_in == 0) {
            if (c->in_off >= c->in_end)
                return fail(r, "corrupt: gzip member at byte %llu ends early",
                            (unsigned long long)c->cur_member_off);
            uint64_t want = c->in_end - c->in_off;
            if (r->mem) {
                if (want > (1u << 30))
                    want = 1u << 30;
                c->zs->next_in = (Bytef *)(uintptr_t)(r->mem + c->in_off);
                c->zs->avail_in = (uInt)want;
            } else {
                if (want > IN_CHUNK)
                    want = IN_CHUNK;
                ssize_t k = src_read(r, c->in, (size_t)want, c->in_off);
                if (k <= 0)
                    return fail(r, "read error at byte %llu: %s", (unsigned long long)c->in_off,
                                k < 0 ? strerror(errno) : "file shrank");
                c->zs->next_in = c->in;
                c->zs->avail_in = (uInt)k;
                want = (uint64_t)k;
            }
            c->in_off += want;
        }
        c->zs->next_out = c->out + c->out_len;
        c->zs->avail_out = (uInt)(c->out_cap - c->out_len);
        int z = inflate(c->zs, Z_NO_FLUSH);
        c->out_len = c->out_cap - c->zs->avail_out;
        if (z == Z_STREAM_END) {
            if (c->zs->avail_in != 0 || c->in_off != c->in_end)
                return fail(r, "corrupt: gzip member at byte %llu is not the size its header says",
                            (unsigned long long)c->cur_member_off);
            c->member_done = 1;
            r->done_bytes += c->in_end - c->cur_member_off;
        } else if (z != Z_OK && z != Z_BUF_ERROR) {
            return fail(r, "corrupt gzip member at byte %llu (%s)",
                        (unsigned long long)c->cur_member_off, c->zs->msg ? c->zs->msg : "inflate error");
        }
    }
    return 0;
}

/* Reads and checks the stream header at the start of the first member. */
static int read_stream_header(struct cursor *c)
{
    struct fp_reader *r = c->r;
    if (cursor_fill(c, FP_HEADER_SIZE) < 0)
        return -1;
    const uint8_t *h = c->out + c->out_pos;
    if (c->out_len - c->out_pos < FP_HEADER_SIZE || memcmp(h, FP_MAGIC, FP_MAGIC_LEN) != 0)
        return fail(r, "not a faultprof trace (bad magic)");
    unsigned major = fp_get_le16(h + 8), minor = fp_get_le16(h + 10);
    uint32_t hsize = fp_get_le32(h + 12);
    if (major < FP_MAJOR_OLDEST || major > FP_VERSION_MAJOR)
        return fail(r, "unsupported trace version %u.%u (this reader reads %u.x to %u.x)", major,
                    minor, FP_MAJOR_OLDEST, FP_VERSION_MAJOR);
    set_major(r, major);
    if (hsize < FP_HEADER_SIZE || hsize > MAX_HEADER)
        return fail(r, "corrupt: header size %u", hsize);
    r->minor = minor;
    if (cursor_fill(c, hsize) < 0)
        return -1;
    if (c->out_len - c->out_pos < hsize)
        return fail(r, "corrupt: stream header cut short");
    c->out_pos += hsize;
    return 0;
}

static int cursor_peek_slow(struct cursor *c);

static int corrupt_rec(struct cursor *c, unsigned type)
{
    return fail(c->r, "corrupt %s record in member at byte %llu", fp_record_name(type),
                (unsigned long long)c->cur_member_off);
}

/* the member's free list of class cls: there from the open, and emptied
 * at each BLOCK, so that the records that use one test nothing (where
 * fp_reuse_get tests the list's generation) */
static inline struct fp_reuse_list *reuse_list(struct cursor *c, unsigned cls)
{
    return &c->reuse[cls];
}

static void reuse_empty(struct cursor *c)
{
    for (unsigned i = 0; i < FP_REUSE_CLASSES; i++)
        c->reuse[i].n = 0;
}

/* ALLOC_SHORT and ALLOC_REUSE (same site and size; the address from the
 * delta or from the free list), and their _FREED forms (a FREE_BACK 1
 * with them), from their fields: last is ALLOC_REUSE's reuse, or
 * ALLOC_SHORT's addr_delta (unzigzagged).  reuse, freed and major4 (a 4.x
 * trace) are constants where the type is known: the packed forms'. */
static inline __attribute__((always_inline)) int
short_alloc_at(struct cursor *c, struct fp_record *rec, uint64_t site, uint64_t size,
               uint64_t last, int reuse, int freed, int major4)
{
    int kept = 0;                  /* its free leaves the list as the allocation found it */
    if (site >= c->nsites)
        return fail(c->r, "corrupt: %s names site %llu, which its member at byte "
                    "%llu does not define", fp_record_name(rec->type), (unsigned long long)site,
                    (unsigned long long)c->cur_member_off);
    if (__builtin_expect(c->nallocs == c->allocs_cap, 0) &&
        FP_GROW(c->allocs, c->allocs_cap, (size_t)c->nallocs + 1, 256) < 0)
        return fail(c->r, "out of memory");
    unsigned cls = fp_reuse_class(size);
    uint64_t addr;
    if (reuse) {
        struct fp_reuse_list *l = reuse_list(c, cls);
        if (last >= l->n)
            return fail(c->r, "corrupt: %s %llu of a free list of %u in the member at byte %llu",
                        fp_record_name(rec->type), (unsigned long long)last, l->n,
                        (unsigned long long)c->cur_member_off);
        if (freed && last == 0) {
            /* taken off the head and put back there: the list stays (the
             * tight loop's every pair) */
            addr = fp_reuse_peek(l, 0);
            kept = 1;
        } else {
            addr = fp_reuse_take(l, (unsigned)last);
        }
    } else {
        addr = c->last_addr + last;
    }
    c->last_addr = addr;
    const struct fp_rec_site *s = &c->sites[site];
    c->allocs[c->nallocs++] = (struct short_block){ addr, cls };
    rec->x.alloc = (struct fp_rec_alloc){
        .func = s->func, .flags = s->flags, .size = size, .addr = addr,
        .stack = s->stack, .align = s->align,
    };
    /* a _FREED form, or with fp_reader_fuse FREE_BACK 1 next (type, back 1
     * in 3.x; type, length 1, back 1 in 2.x): the same block freed, at the
     * same time, leaving the last address as it is */
    if (!freed && c->r->fuse && c->out_len > c->out_pos) {
        const uint8_t *q = c->out + c->out_pos;
        unsigned major = major4 ? 4 : c->r->major;
        size_t fb = major >= 3 ? 2 : 3, left = c->out_len - c->out_pos;
        if (major >= 4 && q[0] == FP_PACKED_BACK) {
            c->out_pos += 1;       /* 4.0: FREE_BACK 1 packed */
            freed = 1;
        } else if (left >= fb && q[0] == FP_REC_FREE_BACK && q[1] == 1 && q[fb - 1] == 1) {
            c->out_pos += fb;
            freed = 1;
        }
    }
    rec->freed_next = freed;
    if (freed && !kept)
        fp_reuse_push(reuse_list(c, cls), addr);
    return 0;
}

/* short_alloc_at for any of the four types.  v: the fields as cursor_peek
 * read them, or NULL to decode the payload. */
static inline __attribute__((always_inline)) int
short_alloc(struct cursor *c, struct fp_record *rec, const uint64_t *v)
{
    int reuse = rec->type == FP_REC_ALLOC_REUSE || rec->type == FP_REC_ALLOC_REUSE_FREED;
    int freed = rec->type == FP_REC_ALLOC_SHORT_FREED || rec->type == FP_REC_ALLOC_REUSE_FREED;
    uint64_t site, size, last;
    if (v) {
        site = v[0], size = v[1];
        last = reuse ? v[2] : (uint64_t)fp_unzigzag(v[2]);
    } else if (reuse) {
        struct fp_rec_alloc_reuse u;
        if (fp_dec_alloc_reuse(rec->p, rec->end, &u) < 0)
            return corrupt_rec(c, rec->type);
        site = u.site, size = u.size, last = u.reuse;
    } else {
        struct fp_rec_alloc_short a;
        if (fp_dec_alloc_short(rec->p, rec->end, &a) < 0)
            return corrupt_rec(c, rec->type);
        site = a.site, size = a.size, last = (uint64_t)a.addr_delta;
    }
    return short_alloc_at(c, rec, site, size, last, reuse, freed, 0);
}

/* FREE_BACK back: the block of the back-th previous short allocation */
static inline __attribute__((always_inline)) int
free_back_at(struct cursor *c, struct fp_record *rec, uint64_t back)
{
    if (back == 0 || back > c->nallocs)
        return fail(c->r, "corrupt: FREE_BACK %llu with %u ALLOC_SHORT records before it in "
                    "the member at byte %llu", (unsigned long long)back, c->nallocs,
                    (unsigned long long)c->cur_member_off);
    const struct short_block *b = &c->allocs[c->nallocs - back];
    c->last_addr = b->addr;
    fp_reuse_push(reuse_list(c, b->cls), b->addr);
    rec->x.free = (struct fp_rec_free){ .flags = 0, .addr = c->last_addr };
    return 0;
}

static int short_site(struct cursor *c, struct fp_record *rec)
{
    struct fp_rec_site s;
    if (fp_dec_site(rec->p, rec->end, &s) < 0)
        return corrupt_rec(c, rec->type);
    if (s.id != c->nsites)
        return fail(c->r, "corrupt: SITE %llu out of order (expected %u) in member at byte %llu",
                    (unsigned long long)s.id, c->nsites, (unsigned long long)c->cur_member_off);
    if (FP_GROW(c->sites, c->sites_cap, (size_t)c->nsites + 1, 256) < 0)
        return fail(c->r, "out of memory");
    c->sites[c->nsites++] = s;
    return 0;
}

/* SITE, ALLOC_SHORT, FREE_SHORT, FREE_BACK: the member's sites, its
 * ALLOC_SHORT addresses and its last address (reset by its BLOCK) resolve
 * the short forms into rec->x.  v: an unframed record's fields as
 * cursor_peek read them, or NULL to decode the payload. */
static inline __attribute__((always_inline)) int
short_resolve(struct cursor *c, struct fp_record *rec, const uint64_t *v)
{
    switch (rec->type) {
    case FP_REC_ALLOC_SHORT:
    case FP_REC_ALLOC_REUSE:
    case FP_REC_ALLOC_SHORT_FREED:
    case FP_REC_ALLOC_REUSE_FREED:
        return short_alloc(c, rec, v);
    case FP_REC_FREE_SHORT: {
        struct fp_rec_free_short f;
        if (v)
            f.addr_delta = fp_unzigzag(v[0]);
        else if (fp_dec_free_short(rec->p, rec->end, &f) < 0)
            return corrupt_rec(c, rec->type);
        c->last_addr += (uint64_t)f.addr_delta;
        break;
    }
    case FP_REC_FREE_BACK: {
        struct fp_rec_free_back f;
        if (v)
            f.back = v[0];
        else if (fp_dec_free_back(rec->p, rec->end, &f) < 0)
            return corrupt_rec(c, rec->type);
        return free_back_at(c, rec, f.back);
    }
    default:
        return short_site(c, rec);
    }
    rec->x.free = (struct fp_rec_free){ .flags = 0, .addr = c->last_addr };
    return 0;
}

_Static_assert(FP_REC_SITE == 0x25 && FP_REC_ALLOC_REUSE_FREED == 0x2b,
               "the short records are the types from SITE to ALLOC_REUSE_FREED");
static inline int is_short(unsigned type)
{
    return type >= FP_REC_SITE && type <= FP_REC_ALLOC_REUSE_FREED;
}

/* c->rec becomes the record of type with payload [p, end), at the
 * cursor's time (c->has = 1).  Its tid and member_off change with the
 * cursor's only (at a BLOCK, at a member's start), which set them. */
static inline struct fp_record *rec_at(struct cursor *c, unsigned type, int timed,
                                       const uint8_t *p, const uint8_t *end)
{
    struct fp_record *rec = c->rec;
    rec->type = type;
    rec->timed = timed;
    rec->t = c->t;
    rec->p = p;
    rec->end = end;
    rec->freed_next = 0;
    rec->packed = 0;
    c->key = c->t;
    c->has = 1;
    return rec;
}

/* An unframed record's n varint fields from p into v: their end, or NULL
 * when they run past end or one is too long. */
static inline __attribute__((always_inline)) const uint8_t *
unframed_fields(const uint8_t *p, const uint8_t *end, unsigned n, uint64_t *v)
{
    /* n is 0 to 3: unrolled */
    if (n > 0)
        p = fp_varint_at(p, end, &v[0]);
    if (n > 1 && p)
        p = fp_varint_at(p, end, &v[1]);
    if (n > 2 && p)
        p = fp_varint_at(p, end, &v[2]);
    return p;
}

/* c->rec becomes the untimed unframed record at p (its type byte) whose
 * fields end at q and were read into v; a packed form (4.0) becomes the
 * record it stands for, with the field its type byte held in v after the
 * others. */
static inline struct fp_record *unframed_at(struct cursor *c, unsigned type, const uint8_t *p,
                                            const uint8_t *q, uint64_t *v)
{
    unsigned form = c->r->form[type];
    if (!(form & FORM_PACKED))
        return rec_at(c, type, 0, p + 1, q);
    uint64_t field;
    unsigned base = fp_packed_unpack(type, &field);
    v[form & FORM_FIELDS] = field;
    struct fp_record *rec = rec_at(c, base, 0, p + 1, q);
    rec->packed = 1;
    rec->packed_field = field;
    return rec;
}

/* A varint at p, with FP_VARINT_MAX bytes there to read: the pointer past
 * it, or NULL when it is longer; up to three bytes (sizes below 2 MiB)
 * inline, without the bounds fp_varint_at keeps. */
static inline __attribute__((always_inline)) const uint8_t *varint_in(const uint8_t *p,
                                                                      uint64_t *out)
{
    if (__builtin_expect(!(p[0] & 0x80), 1)) {
        *out = p[0];
        return p + 1;
    }
    uint64_t v = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;
    if (__builtin_expect(!(p[1] & 0x80), 1)) {
        *out = v;
        return p + 2;
    }
    if (__builtin_expect(!(p[2] & 0x80), 1)) {
        *out = v | (uint64_t)p[2] << 14;
        return p + 3;
    }
    return fp_varint_at(p, p + FP_VARINT_MAX, out);
}

/* c->rec becomes the packed record at p (its type byte; 4.x) of base type
 * whose other fields end at q, with the field its type byte held */
static inline struct fp_record *packed_at(struct cursor *c, unsigned base, const uint8_t *p,
                                          const uint8_t *q, uint64_t field)
{
    struct fp_record *rec = rec_at(c, base, 0, p + 1, q);
    rec->packed = 1;
    rec->packed_field = field;
    return rec;
}

/* cursor_peek_fast's answer for a record it leaves to cursor_peek_slow,
 * having read nothing (0: decoded, -1: corrupt) */
#define PEEK_SLOW 1

/* cursor_peek_fast of a packed form (type byte at p, FP_UNFRAMED_MAX bytes
 * there): the most common records of a 4.x trace, each decoded with its
 * type's constants, where the generic path tests the type again at every
 * step.  A record that does not decode is left to cursor_peek_slow, which
 * says why. */
static inline __attribute__((always_inline)) int packed_peek(struct cursor *c, const uint8_t *p,
                                                             unsigned type)
{
    if (type >= FP_PACKED_BACK) {
        uint64_t back = type - (FP_PACKED_BACK - 1);
        c->out_pos += 1;
        return free_back_at(c, packed_at(c, FP_REC_FREE_BACK, p, p + 1, back), back);
    }
    uint64_t site, size;
    const uint8_t *q = varint_in(p + 1, &site);
    if (__builtin_expect(!q || !(q = varint_in(q, &size)), 0))
        return PEEK_SLOW;
    c->out_pos += (size_t)(q - p);
    if (type < FP_PACKED_REUSE_FREED) {
        uint64_t k = type - FP_PACKED_REUSE;
        return short_alloc_at(c, packed_at(c, FP_REC_ALLOC_REUSE, p, q, k), site, size, k, 1, 0, 1);
    }
    uint64_t k = type - FP_PACKED_REUSE_FREED;
    return short_alloc_at(c, packed_at(c, FP_REC_ALLOC_REUSE_FREED, p, q, k), site, size, k,
                          1, 1, 1);
}

/* Decodes the next record of the cursor into c->rec (c->has = 1), or leaves
 * c->has = 0 when the chain is exhausted.  Returns 0 or -1.  Inline: a 3.0
 * short allocation or free, or a timed or short record with a one-byte
 * length, wholly in the buffer (nearly all of them), with short_resolve
 * and short_alloc inlined and the fields read once: the common record is
 * decoded inside fp_reader_refill without a call; the rest, and everything
 * at member ends, in cursor_peek_slow (cursor_peek_fast: PEEK_SLOW).  The
 * common path never moves the buffer, so the payloads of a batch's records
 * stay where they are. */
static inline __attribute__((always_inline)) int cursor_peek_fast(struct cursor *c)
{
    size_t avail = c->out_len - c->out_pos;
    const uint8_t *p = c->out + c->out_pos;
    if (__builtin_expect(c->in_member && avail >= 3, 1)) {
        unsigned type = p[0], len = p[1];
        uint64_t dt;
        const uint8_t *q;
        unsigned form = c->r->form[type];
        if (form) {
            if (__builtin_expect(avail >= FP_UNFRAMED_MAX, 1)) {
                if (form & FORM_PACKED)
                    return packed_peek(c, p, type);
                /* zeroed: the compiler cannot see that the types read
                 * three fields set all three */
                uint64_t v[3] = { 0, 0, 0 };
                if ((q = unframed_fields(p + 1, p + avail, form & FORM_FIELDS, v)) != NULL) {
                    c->out_pos += (size_t)(q - p);
                    return short_resolve(c, unframed_at(c, type, p, q, v), v);
                }
            }
            return PEEK_SLOW;
        }
        if (__builtin_expect(len < 0x80 && len + 2u <= avail, 1) && is_short(type)) {
            c->out_pos += 2 + len;
            return short_resolve(c, rec_at(c, type, 0, p + 2, p + 2 + len), NULL);
        }
        if (__builtin_expect(len < 0x80 && len + 2u <= avail && rec_timed[type], 1) &&
            (q = fp_varint_at(p + 2, p + 2 + len, &dt)) != NULL) {
            c->out_pos += 2 + len;
            c->t += dt;
            rec_at(c, type, 1, q, p + 2 + len);
            return 0;
        }
    }
    return PEEK_SLOW;
}

static inline __attribute__((always_inline)) int cursor_peek(struct cursor *c)
{
    int k = cursor_peek_fast(c);
    return k == PEEK_SLOW ? cursor_peek_slow(c) : k;
}

static int cursor_peek_slow(struct cursor *c)
{
    struct fp_reader *r = c->r;
    c->has = 0;
    for (;;) {
        if (!c->in_member || (c->member_done && c->out_pos == c->out_len)) {
            if (cursor_next_member(c)) {
                cursor_close(c);
                c->parked = r->live;   /* more may come: fp_reader_live_update */
                return 0;
            }
            c->out_pos = c->out_len = 0;
            if (c->cur_member_off == 0 && read_stream_header(c) < 0)
                return -1;
            continue;
        }
        if (c->out_len - c->out_pos < 1 + FP_VARINT_MAX && cursor_fill(c, 1 + FP_VARINT_MAX) < 0)
            return -1;
        if (c->out_pos == c->out_len)
            continue;       /* empty member tail */
        break;
    }
    const uint8_t *p = c->out + c->out_pos, *end = c->out + c->out_len;
    unsigned type = *p++;
    uint64_t len, v[3];
    size_t hdr;
    int unframed = r->form[type] != 0;
    if (unframed) {
        /* no length: its fields end it */
        if (c->out_len - c->out_pos < FP_UNFRAMED_MAX && cursor_fill(c, FP_UNFRAMED_MAX) < 0)
            return -1;
        p = c->out + c->out_pos + 1;
        const uint8_t *q = unframed_fields(p, c->out + c->out_len, r->form[type] & FORM_FIELDS, v);
        if (!q) {
            uint64_t field;
            return corrupt_rec(c, r->form[type] & FORM_PACKED ? fp_packed_unpack(type, &field)
                                                               : type);
        }
        hdr = 1;
        len = (uint64_t)(q - p);
    } else {
        if (fp_get_varint(&p, end, &len) < 0 || len > FP_MAX_RECORD)
            return fail(r, "corrupt record header in member at byte %llu",
                        (unsigned long long)c->cur_member_off);
        hdr = (size_t)(p - (c->out + c->out_pos));
    }
    if (c->out_len - c->out_pos < hdr + len && cursor_fill(c, hdr + len) < 0)
        return -1;
    if (c->out_len - c->out_pos < hdr + len)
        return fail(r, "corrupt: record crosses the end of the member at byte %llu",
                    (unsigned long long)c->cur_member_off);
    p = c->out + c->out_pos + hdr;
    end = p + len;
    c->out_pos += hdr + len;
    /* faultprof-trace(5): every member after the first begins with a BLOCK,
     * which resets the thread's time and short-record state, so that each
     * member reads alone (the decode workers rely on it) */
    if (c->at_start && type != FP_REC_BLOCK)
        return fail(r, "member at byte %llu does not begin with a BLOCK record",
                    (unsigned long long)c->cur_member_off);
    c->at_start = 0;
    int timed = 0;
    if (type == FP_REC_BLOCK) {
        struct fp_rec_block b;
        if (fp_dec_block(p, end, &b) < 0)
            return fail(r, "corrupt BLOCK record in member at byte %llu",
                        (unsigned long long)c->cur_member_off);
        ring_tid(c, (uint32_t)b.block_tid);
        c->t = b.t_base;
        c->nsites = 0;
        c->nallocs = 0;
        c->last_addr = 0;
        reuse_empty(c);
    } else if (rec_timed[type]) {
        uint64_t dt;
        if (fp_get_varint(&p, end, &dt))
            return corrupt_rec(c, type);
        c->t += dt;
        timed = 1;
    }
    if (unframed) {
        /* with the fields read above (p: where they are now, the buffer may have moved) */
        return short_resolve(c, unframed_at(c, type, p - hdr, end, v), v);
    }
    struct fp_record *rec = rec_at(c, type, timed, p, end);
    return is_short(type) ? short_resolve(c, rec, NULL) : 0;
}

/* ---- decode workers: with fp_reader_fuse (the model's reading) in time
 * order and -j 3 or more, threads decompress members and decode their
 * records ahead of the merge, in the order the merge will want them, a few
 * members ahead of it (DEC_AHEAD and two a worker; on the tight loop's
 * trace 16 ahead read no faster than 4).  Each member reads alone (it
 * begins with a BLOCK), so a worker runs a cursor of its own over it, the
 * same code as the merge's, and keeps the records in a compact form: an
 * ALLOC_SHORT or a free as its resolved fields (the site's shared by the
 * member's records), anything else as its resolved fields and its payload.
 * The merge then only reads them back, and decodes a member itself when no
 * worker has taken it yet.
 * A member that fails to decode keeps the records before the failure and
 * the message, which the merge reports when it comes to that point, as it
 * would have reading the member itself. */
#define DEC_AHEAD 2
#define DEC_MAX_THREADS 64

enum { DREC_TIMED = 1, DREC_FREED_NEXT = 2, DREC_FULL = 4 };

struct drec {
    uint64_t t;
    uint64_t a;          /* ALLOC_SHORT, FREE_SHORT, FREE_BACK: the address; else where
                            its fields and payload are in dm->extra */
    uint64_t b;          /* ALLOC_SHORT: the size; the frees: their flags; else the
                            payload's length */
    uint32_t tid;
    uint16_t kind;       /* ALLOC_SHORT: dm->kinds[kind] has its other fields */
    uint8_t type, bits;  /* DREC_* */
};

struct dkind {
    uint64_t func, flags, stack, align;
};

struct dmember {
    struct drec *v;
    uint32_t n, cap;
    struct dkind *kinds;
    uint32_t nkinds, capkinds;
    uint8_t *extra;
    size_t nextra, capextra;
    uint64_t done_bytes;   /* of the file, the member's once decoded */
    int failed;            /* after v[n - 1] the member could not be read: err */
    char err[256];
};

struct dslot {
    int state;             /* PF_PENDING, PF_WORKING, PF_READY, PF_TAKEN (under mu) */
    struct dmember *dm;
};

struct decoders {
    pthread_t thread[DEC_MAX_THREADS];
    unsigned nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct fp_reader *r;
    uint32_t *order;       /* member indices by t_first */
    uint32_t next;         /* the next of them a worker looks at */
    uint32_t started;      /* members the merge has started */
    uint32_t ahead;        /* how many members the workers may be ahead of it */
    struct dslot *slot;
    int stop;
};

static void dm_free(struct dmember *dm)
{
    if (!dm)
        return;
    free(dm->v);
    free(dm->kinds);
    free(dm->extra);
    free(dm);
}

/* The index of an ALLOC_SHORT's site fields in dm->kinds (added when new:
 * most records repeat the last one), or -1. */
static int dm_kind(struct dmember *dm, const struct fp_rec_alloc *x)
{
    for (uint32_t i = dm->nkinds, lo = i > 8 ? i - 8 : 0; i-- > lo;) {
        const struct dkind *k = &dm->kinds[i];
        if (k->func == x->func && k->flags == x->flags && k->stack == x->stack &&
            k->align == x->align)
            return (int)i;
    }
    if (dm->nkinds > UINT16_MAX)
        return -1;
    if (FP_GROW(dm->kinds, dm->capkinds, dm->nkinds + 1, 16) < 0)
        return -1;
    dm->kinds[dm->nkinds] = (struct dkind){ x->func, x->flags, x->stack, x->align };
    return (int)dm->nkinds++;
}

/* Keeps the record the worker's cursor holds; -1 out of memory. */
static int dm_add(struct dmember *dm, const struct fp_record *rec)
{
    if (FP_GROW(dm->v, dm->cap, dm->n + 1, 1024) < 0)
        return -1;
    struct drec *d = &dm->v[dm->n];
    d->t = rec->t;
    d->tid = rec->tid;
    d->type = (uint8_t)rec->type;
    d->bits = rec->timed ? DREC_TIMED : 0;
    d->kind = 0;
    int k;
    if (fp_record_short_alloc(rec->type)) {
        d->bits |= rec->freed_next ? DREC_FREED_NEXT : 0;
        if ((k = dm_kind(dm, &rec->x.alloc)) >= 0) {
            d->a = rec->x.alloc.addr, d->b = rec->x.alloc.size, d->kind = (uint16_t)k;
            dm->n++;
            return 0;
        }
    } else if (rec->type == FP_REC_FREE_SHORT || rec->type == FP_REC_FREE_BACK) {
        d->a = rec->x.free.addr, d->b = rec->x.free.flags;
        dm->n++;
        return 0;
    }
    /* as it came: its resolved fields, then its payload (8-byte aligned) */
    size_t len = (size_t)(rec->end - rec->p), need = (sizeof(rec->x) + len + 7) & ~(size_t)7;
    if (need > SIZE_MAX - dm->nextra || FP_GROW(dm->extra, dm->capextra, dm->nextra + need, 4096) < 0)
        return -1;
    memcpy(dm->extra + dm->nextra, &rec->x, sizeof(rec->x));
    memcpy(dm->extra + dm->nextra + sizeof(rec->x), rec->p, len);
    d->a = dm->nextra, d->b = len;
    d->bits |= DREC_FULL;
    dm->nextra += need;
    dm->n++;
    return 0;
}

/* Decodes member mi of r with the decompressor d on a reader and a cursor
 * of its own (what it reads of r is set at the open).  NULL: out of memory. */
static struct dmember *member_decode(const struct fp_reader *r, struct libdeflate_decompressor *d,
                                     uint32_t mi)
{
    struct dmember *dm = calloc(1, sizeof(*dm));
    struct fp_reader *wr = calloc(1, sizeof(*wr));
    struct cursor *c = calloc(1, sizeof(*c));
    if (!dm || !wr || !c)
        goto oom;
    wr->fd = r->fd, wr->mem = r->mem, wr->size = r->size;
    wr->m = r->m, wr->nm = r->nm, wr->order = r->order, wr->fuse = r->fuse;
    set_major(wr, r->major);
    wr->minor = r->minor;
    wr->inflater = d;
    wr->chain_m = &mi;             /* a chain of this member alone */
    c->r = wr;
    c->count = 1;
    if (cursor_open(c) < 0) {
        cursor_close(c);
        goto oom;
    }
    for (;;) {
        if (cursor_peek(c) < 0) {
            dm->failed = 1;
            snprintf(dm->err, sizeof(dm->err), "%s", wr->err);
            break;
        }
        if (!c->has)
            break;
        if (dm_add(dm, c->rec) < 0) {
            cursor_close(c);
            goto oom;
        }
    }
    cursor_close(c);
    dm->done_bytes = wr->done_bytes;
    free(wr);
    free(c);
    return dm;
oom:
    dm_free(dm);
    free(wr);
    free(c);
    return NULL;
}

static void *dec_main(void *arg)
{
    struct decoders *dc = arg;
    struct fp_reader *r = dc->r;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    pthread_mutex_lock(&dc->mu);
    for (;;) {
        while (!dc->stop && dc->next < r->nm && dc->next >= dc->started + dc->ahead)
            pthread_cond_wait(&dc->cv, &dc->mu);
        if (dc->stop || dc->next >= r->nm)
            break;
        uint32_t mi = dc->order[dc->next++];
        if (dc->slot[mi].state != PF_PENDING)
            continue;       /* the merge took it first */
        dc->slot[mi].state = PF_WORKING;
        pthread_mutex_unlock(&dc->mu);
        struct dmember *dm = member_decode(r, d, mi);
        pthread_mutex_lock(&dc->mu);
        dc->slot[mi].dm = dm;
        dc->slot[mi].state = dm ? PF_READY : PF_FAILED;
        pthread_cond_broadcast(&dc->cv);
    }
    pthread_mutex_unlock(&dc->mu);
    if (d)
        libdeflate_free_decompressor(d);
    return NULL;
}

static void dec_stop(struct fp_reader *r)
{
    struct decoders *dc = r->dec;
    if (!dc)
        return;
    pthread_mutex_lock(&dc->mu);
    dc->stop = 1;
    pthread_cond_broadcast(&dc->cv);
    pthread_mutex_unlock(&dc->mu);
    for (unsigned i = 0; i < dc->nthreads; i++)
        pthread_join(dc->thread[i], NULL);
    for (uint32_t i = 0; i < r->nm; i++)
        dm_free(dc->slot[i].dm);
    pthread_mutex_destroy(&dc->mu);
    pthread_cond_destroy(&dc->cv);
    free(dc->order);
    free(dc->slot);
    free(dc);
    r->dec = NULL;
}

/* Starts jobs - 1 workers; 0, or -1 when none could start (the merge then
 * reads as it does alone). */
static int dec_start(struct fp_reader *r, int jobs)
{
    struct decoders *dc = calloc(1, sizeof(*dc));
    if (!dc)
        return -1;
    dc->r = r;
    dc->order = malloc(r->nm * sizeof(uint32_t));
    dc->slot = calloc(r->nm, sizeof(struct dslot));
    if (!dc->order || !dc->slot) {
        free(dc->order);
        free(dc->slot);
        free(dc);
        return -1;
    }
    for (uint32_t i = 0; i < r->nm; i++)
        dc->order[i] = i;
    pf_sort_base = r->m;
    qsort(dc->order, r->nm, sizeof(uint32_t), cmp_first_time);
    /* the first chain (the first member) is read by the merge as it was opened */
    for (uint32_t i = 0; i < r->cur[0].count; i++)
        dc->slot[r->chain_m[r->cur[0].first + i]].state = PF_TAKEN;
    pthread_mutex_init(&dc->mu, NULL);
    pthread_cond_init(&dc->cv, NULL);
    r->dec = dc;
    unsigned want = jobs - 1 < DEC_MAX_THREADS ? (unsigned)jobs - 1 : DEC_MAX_THREADS;
    dc->ahead = DEC_AHEAD + 2 * want;
    while (dc->nthreads < want && pthread_create(&dc->thread[dc->nthreads], NULL, dec_main, dc) == 0)
        dc->nthreads++;
    if (dc->nthreads == 0) {
        dec_stop(r);
        return -1;
    }
    for (uint32_t i = 1; i < r->ncur; i++)
        r->cur[i].dec = 1;
    return 0;
}

/* The merge starts member mi: decoded by a worker, or now by itself. */
static struct dmember *dec_take(struct fp_reader *r, uint32_t mi)
{
    struct decoders *dc = r->dec;
    struct dslot *s = &dc->slot[mi];
    pthread_mutex_lock(&dc->mu);
    dc->started++;
    pthread_cond_broadcast(&dc->cv);
    int st = s->state;
    while (st == PF_WORKING) {
        pthread_cond_wait(&dc->cv, &dc->mu);
        st = s->state;
    }
    struct dmember *dm = st == PF_READY ? s->dm : NULL;
    s->dm = NULL;
    s->state = PF_TAKEN;
    pthread_mutex_unlock(&dc->mu);
    return dm ? dm : member_decode(r, r->inflater, mi);
}

/* A decoded chain's next record into c->rec (c->has), as cursor_peek. */
static int cursor_dec_member(struct cursor *c);

/* cursor_peek_dec within the member: PEEK_SLOW at its end */
static inline __attribute__((always_inline)) int cursor_peek_dec_fast(struct cursor *c)
{
    struct dmember *dm = c->dm;
    if (__builtin_expect(!dm || c->di == dm->n, 0))
        return PEEK_SLOW;
    const struct drec *d = &dm->v[c->di++];
    struct fp_record *rec = c->rec;       /* its member_off is set at the member's start */
    rec->type = d->type;
    rec->timed = d->bits & DREC_TIMED;
    rec->tid = d->tid;
    rec->t = c->key = d->t;
    rec->freed_next = (d->bits & DREC_FREED_NEXT) != 0;
    rec->packed = 0;
    c->has = 1;
    if (d->bits & DREC_FULL) {
        const uint8_t *x = dm->extra + d->a;
        memcpy(&rec->x, x, sizeof(rec->x));
        rec->p = x + sizeof(rec->x);
        rec->end = rec->p + d->b;
    } else {
        /* the model reads these by their fields alone */
        rec->p = rec->end = NULL;
        if (fp_record_short_alloc(d->type)) {
            const struct dkind *k = &dm->kinds[d->kind];
            rec->x.alloc = (struct fp_rec_alloc){
                .func = k->func, .flags = k->flags, .size = d->b, .addr = d->a,
                .stack = k->stack, .align = k->align,
            };
        } else {
            rec->x.free = (struct fp_rec_free){ .flags = d->b, .addr = d->a };
        }
    }
    return 0;
}

static inline int cursor_peek_dec(struct cursor *c)
{
    int k = cursor_peek_dec_fast(c);
    return k == PEEK_SLOW ? cursor_dec_member(c) : k;
}

static int cursor_dec_member(struct cursor *c)
{
    struct fp_reader *r = c->r;
    c->has = 0;
    for (;;) {
        struct dmember *dm = c->dm;
        if (dm && c->di < dm->n)
            return cursor_peek_dec(c);
        if (dm && dm->failed)
            return fail(r, "%s", dm->err);
        dm_free(dm);
        c->dm = NULL;
        if (c->next >= c->count) {
            c->open = 0;
            ring_free(c);
            return 0;
        }
        c->cur_mi = r->chain_m[c->first + c->next++];
        c->cur_member_off = r->m[c->cur_mi].off;
        ring_member(c, c->cur_member_off);
        if (!(c->dm = dec_take(r, c->cur_mi)))
            return fail(r, "out of memory");
        r->done_bytes += c->dm->done_bytes;
        c->di = 0;
    }
}

/* At the first fp_reader_next, when fp_reader_fuse has been called or not:
 * the model's reading in time order has its members decoded by workers,
 * any other reading (--dump) its members decompressed ahead by a thread. */
static void threads_start(struct fp_reader *r)
{
    r->started = 1;
    int jobs = fp_report_jobs();
    if (jobs < 2 || r->live)
        return;
    /* One thread beside the merge inflates members ahead of it: a decode
     * worker would hand the merge each record across cores, 32 bytes of
     * it, which cost more than decoding it on 2 cores (bench/
     * analyze_scale.sh: -j 2 with a worker 2x -j 1's wall on the tight
     * loop, the prefetch 0.9x).  Two or more workers share the decoding. */
    if (jobs >= 3 && r->fuse && r->order == FP_ORDER_TIME && r->ncur > 1 &&
        dec_start(r, jobs) == 0)
        return;
    pf_start(r);
}

static int less(const struct cursor *a, const struct cursor *b)
{
    return a->key < b->key || (a->key == b->key && a->order < b->order);
}

static void heap_down(struct fp_reader *r, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < r->nheap && less(r->heap[l], r->heap[m]))
            m = l;
        if (l + 1 < r->nheap && less(r->heap[l + 1], r->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        struct cursor *t = r->heap[i];
        r->heap[i] = r->heap[m];
        r->heap[m] = t;
        i = m;
    }
}

/* The top cursor moved on: most often it is still the earliest, which two
 * comparisons with its children show without a call. */
static inline int heap_top_stays(const struct fp_reader *r)
{
    struct cursor *t = r->heap[0];
    return (r->nheap < 2 || less(t, r->heap[1])) && (r->nheap < 3 || less(t, r->heap[2]));
}

static void heap_pop(struct fp_reader *r)
{
    r->heap[0] = r->heap[--r->nheap];
    heap_down(r, 0);
}

static void threads_start(struct fp_reader *r);

/* c's records after the first of a batch (in ring[0]) into ring[1...]:
 * while c stays before the earliest of the heap top's children (key, and
 * on a tie which of the two chains comes first: the order a record at a
 * time gives) and they decode without cursor_peek_slow, which may move the
 * buffer their payloads point into (or free a decoded member).  Returns the
 * records in the batch; c->rec is then the record that ended it, decoded
 * when it does not stay (or is corrupt), else to be read next.  dec: c's
 * members come decoded (a constant, for two loops). */
static inline __attribute__((always_inline)) uint32_t
batch_fill(struct fp_reader *r, struct cursor *c, int dec, int *sank)
{
    const struct cursor *k = r->nheap > 1 ? r->heap[1] : NULL;
    if (r->nheap > 2 && less(r->heap[2], k))
        k = r->heap[2];
    uint64_t key = k ? k->key : UINT64_MAX;
    int tie = !k || c->order < k->order;
    struct fp_record *ring = c->ring;
    uint32_t n = 1;
    for (; n < READ_BATCH; n++) {
        c->rec = &ring[n];
        int s = dec ? cursor_peek_dec_fast(c) : cursor_peek_fast(c);
        if (s == PEEK_SLOW)
            break;
        if (__builtin_expect(s < 0, 0)) {
            r->corrupt_next = 1;      /* reported after the records before it */
            break;
        }
        if (__builtin_expect(!(c->key < key || (c->key == key && tie)), 0)) {
            *sank = 1;
            break;
        }
    }
    return n;
}

/* c, the heap's top, has its record peeked (c->rec): a batch begins with
 * it, and c's next records follow (batch_fill; one record at a time when
 * live, whose horizon each record must pass). */
static int batch_from(struct fp_reader *r, struct cursor *c, const struct fp_record **rec)
{
    struct fp_record *ring = c->ring;
    if (c->rec != ring) {
        ring[0] = *c->rec;     /* the record that ended c's last batch */
        c->rec = ring;
    }
    uint32_t n = 1;
    int sank = 0;
    if (!r->live)
        n = c->dec ? batch_fill(r, c, 1, &sank) : batch_fill(r, c, 0, &sank);
    if (sank) {
        heap_down(r, 0);       /* c's next record waits its turn */
    } else {
        /* c moves on at the next refill, when the batch is used up:
         * only then may its buffer move */
        c->rec = ring;
        r->last = c;
    }
    *rec = ring;
    r->batch.next = ring + 1;
    r->batch.end = ring + n;
    return 1;
}

int fp_reader_refill(struct fp_reader *r, const struct fp_record **rec)
{
    if (r->corrupt_next)
        return -1;
    /* the cursor delivered last time (the heap's top) moves on first: its
     * record buffer may be reused only now */
    struct cursor *c = r->last;
    if (c) {
        r->last = NULL;
        if ((c->dec ? cursor_peek_dec(c) : cursor_peek(c)) < 0)
            return -1;
        if (!c->has) {
            heap_pop(r);
        } else if (!heap_top_stays(r)) {
            heap_down(r, 0);
        } else if (!r->live) {
            /* still the earliest, and open: a batch of its records again
             * (most records) */
            return batch_from(r, c, rec);
        }
    } else if (__builtin_expect(!r->started, 0)) {
        threads_start(r);       /* the first call (r->last is set after it) */
    }
    while (r->nheap) {
        c = r->heap[0];
        if (!c->open) {
            /* a chain starts: open its stream only now */
            if (cursor_open(c) < 0 || (c->dec ? cursor_peek_dec(c) : cursor_peek(c)) < 0)
                return -1;
            if (c->has)
                heap_down(r, 0);
            else
                heap_pop(r);
            continue;
        }
        if (r->live && c->key > r->horizon)
            return 0;       /* another thread may still write earlier records */
        if (r->live && c->rec->type == FP_REC_THREAD_END)
            c->ended = 1;
        return batch_from(r, c, rec);
    }
    return 0;
}

/* ---- open / close ---- */

static int reader_init(struct fp_reader *r, char *err, size_t errlen)
{
    r->inflater = libdeflate_alloc_decompressor();   /* NULL: zlib alone */
    if (build_index(r) < 0 || build_chains(r) < 0)
        goto fail;
    /* check the stream header now, so "not a trace" is reported at open */
    struct cursor *c0 = &r->cur[0];
    if (cursor_open(c0) < 0 || cursor_peek(c0) < 0)
        goto fail;
    if (!c0->has) {
        fail(r, "no PROCESS record after the stream header");
        goto fail;
    }
    if (c0->rec->type != FP_REC_PROCESS) {
        fail(r, "not a faultprof trace (first record is not PROCESS)");
        goto fail;
    }
    for (uint32_t i = 0; i < r->ncur; i++)
        r->heap[r->nheap++] = &r->cur[i];
    for (uint32_t i = r->nheap / 2 + 1; i-- > 0;)
        heap_down(r, i);
    return 0;
fail:
    snprintf(err, errlen, "%s", r->err);
    return -1;
}

static struct fp_reader *reader_new(void)
{
    struct fp_reader *r = calloc(1, sizeof(*r));
    if (r)
        r->fd = -1;
    return r;
}

static int open_file(struct fp_reader **out, const char *path, enum fp_order order, int live,
                     char *err, size_t errlen)
{
    *out = NULL;
    struct fp_reader *r = reader_new();
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->order = order;
    r->live = live;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) < 0) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        fp_reader_close(r);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "is a directory, not a trace");
        fp_reader_close(r);
        return -1;
    }
    r->size = (uint64_t)st.st_size;
    if (reader_init(r, err, errlen) < 0) {
        fp_reader_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

int fp_reader_open(struct fp_reader **out, const char *path, enum fp_order order,
                   char *err, size_t errlen)
{
    return open_file(out, path, order, 0, err, errlen);
}

int fp_reader_open_mem(struct fp_reader **out, const void *buf, size_t len,
                       enum fp_order order, char *err, size_t errlen)
{
    static const uint8_t empty[1];
    *out = NULL;
    struct fp_reader *r = reader_new();
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->order = order;
    r->mem = buf ? buf : empty;
    r->size = len;
    if (reader_init(r, err, errlen) < 0) {
        fp_reader_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

void fp_reader_fuse(struct fp_reader *r)
{
    r->fuse = 1;
}

unsigned fp_reader_version_major(const struct fp_reader *r)
{
    return r->major;
}

unsigned fp_reader_version_minor(const struct fp_reader *r)
{
    return r->minor;
}

int fp_reader_truncation(const struct fp_reader *r, uint64_t *at, uint64_t *last_end)
{
    if (!r->truncated)
        return 0;
    if (at)
        *at = r->trunc_at;
    if (last_end)
        *last_end = r->last_end;
    return 1;
}

void fp_reader_progress(const struct fp_reader *r, uint64_t *done, uint64_t *size)
{
    *done = r->done_bytes;
    *size = r->size;
}

size_t fp_reader_members(const struct fp_reader *r)
{
    return r->nm;
}

void fp_reader_close(struct fp_reader *r)
{
    if (!r)
        return;
    pf_stop(r);
    dec_stop(r);
    for (uint32_t i = 0; i < r->ncur; i++)
        cursor_close(&r->cur[i]);
    if (r->fd >= 0)
        close(r->fd);
    if (r->inflater)
        libdeflate_free_decompressor(r->inflater);
    free(r->m);
    free(r->chain_m);
    free(r->cur);
    free(r->heap);
    free(r);
}

/* ---- live: a trace still being written.  Each update indexes the members
 * appended since the last one, appends them to their thread's chain (or
 * starts a chain for a new thread), and sets the horizon: the merge hands
 * out records in time order only up to the earliest time that a thread
 * still recording may yet write (the last record time its newest member
 * carries).  A thread whose last member is grace_ns older than the newest
 * one is idle (blocked, sleeping): waiting for it would stop the view, so
 * it is not waited for; its next records, when they come, are delivered
 * late.  A chain whose THREAD_END was delivered is not waited for either. */

int fp_reader_open_live(struct fp_reader **out, const char *path, char *err, size_t errlen)
{
    return open_file(out, path, FP_ORDER_TIME, 1, err, errlen);
}

/* The chain's last time known: its last member's t_last. */
static uint64_t chain_last(const struct fp_reader *r, const struct cursor *c)
{
    return r->m[r->chain_m[c->first + c->count - 1]].t_last;
}

static const struct fp_reader *tid_sort_base;
static int cmp_cursor_tid(const void *a, const void *b)
{
    const struct fp_reader *r = tid_sort_base;
    uint32_t x = r->m[r->chain_m[r->cur[*(const uint32_t *)a].first]].tid;
    uint32_t y = r->m[r->chain_m[r->cur[*(const uint32_t *)b].first]].tid;
    return x < y ? -1 : x > y;
}

/* The cursor of thread tid's chain (by a binary search of bytid, the
 * cursors but the first by tid), or -1. */
static int64_t chain_of_tid(const struct fp_reader *r, const uint32_t *bytid, uint32_t n, uint32_t tid)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2, t = r->m[r->chain_m[r->cur[bytid[mid]].first]].tid;
        if (t == tid)
            return bytid[mid];
        if (t < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Members old_nm.. join the chains: chain_m is laid out again, each chain's
 * members followed by its new ones (by seq), then the new chains.  The
 * cursors keep their number (the merge's tie break) and how far they read. */
static int chains_extend(struct fp_reader *r, uint32_t old_nm)
{
    uint32_t nnew = r->nm - old_nm, ncur = r->ncur;
    uint32_t *nw = malloc(nnew * sizeof(*nw)), *bytid = malloc((ncur ? ncur : 1) * sizeof(*bytid));
    uint32_t *cm = malloc(r->nm * sizeof(*cm));
    uint32_t *run = calloc(ncur + nnew, sizeof(*run) * 2);   /* per chain: start, length in nw */
    struct cursor *cur = realloc(r->cur, (ncur + nnew) * sizeof(*cur));
    if (cur)
        r->cur = cur;
    if (!nw || !bytid || !cm || !run || !cur) {
        free(nw), free(bytid), free(cm), free(run);
        return fail(r, "out of memory");
    }
    for (uint32_t i = 0; i < nnew; i++)
        nw[i] = old_nm + i;
    sort_base = r->m;
    qsort(nw, nnew, sizeof(*nw), cmp_member);
    uint32_t nb = 0;
    for (uint32_t i = 1; i < ncur; i++)      /* chain 0 is the first member alone */
        bytid[nb++] = i;
    tid_sort_base = r;
    qsort(bytid, nb, sizeof(*bytid), cmp_cursor_tid);
    for (uint32_t i = 0; i < nnew;) {
        uint32_t j = i + 1, tid = r->m[nw[i]].tid;
        while (j < nnew && r->m[nw[j]].tid == tid)
            j++;
        int64_t ci = chain_of_tid(r, bytid, nb, tid);
        if (ci < 0) {                        /* a new thread */
            ci = r->ncur++;
            memset(&r->cur[ci], 0, sizeof(r->cur[ci]));
            r->cur[ci].r = r;
            r->cur[ci].order = (uint32_t)ci;
        }
        run[2 * ci] = i, run[2 * ci + 1] = j - i;
        i = j;
    }
    uint32_t k = 0;
    for (uint32_t ci = 0; ci < r->ncur; ci++) {
        struct cursor *c = &r->cur[ci];
        uint32_t first = k;
        for (uint32_t q = 0; ci < ncur && q < c->count; q++)
            cm[k++] = r->chain_m[c->first + q];
        for (uint32_t q = 0; q < run[2 * ci + 1]; q++)
            cm[k++] = nw[run[2 * ci] + q];
        if (run[2 * ci + 1])
            c->ended = 0;                    /* a thread of that tid again */
        c->first = first;
        c->count = k - first;
    }
    free(r->chain_m);
    r->chain_m = cm;
    free(nw), free(bytid), free(run);
    return 0;
}

/* The heap again: every chain with a record peeked or members left to open. */
static int heap_rebuild(struct fp_reader *r)
{
    struct cursor **h = realloc(r->heap, (r->ncur ? r->ncur : 1) * sizeof(*h));
    if (!h)
        return fail(r, "out of memory");
    r->heap = h;
    r->nheap = 0;
    for (uint32_t i = 0; i < r->ncur; i++) {
        struct cursor *c = &r->cur[i];
        if (!c->open && c->next < c->count)
            c->key = r->m[r->chain_m[c->first + c->next]].t_first;
        else if (!(c->open && c->has))
            continue;
        r->heap[r->nheap++] = c;
    }
    for (uint32_t i = r->nheap / 2 + 1; i-- > 0;)
        heap_down(r, i);
    return 0;
}

static void live_horizon(struct fp_reader *r, uint64_t grace_ns, int all)
{
    uint64_t newest = 0, h = UINT64_MAX;
    for (uint32_t i = 1; i < r->ncur; i++)
        if (chain_last(r, &r->cur[i]) > newest)
            newest = chain_last(r, &r->cur[i]);
    for (uint32_t i = 1; !all && i < r->ncur; i++) {
        uint64_t last = chain_last(r, &r->cur[i]);
        if (!r->cur[i].ended && last + grace_ns >= newest && last < h)
            h = last;
    }
    r->horizon = h;
}

int fp_reader_live_update(struct fp_reader *r, uint64_t grace_ns, int all)
{
    if (!r->live)
        return fail(r, "not opened live");
    /* the cursor delivered last moves on first (fp_reader_next's start) */
    if (r->last) {
        struct cursor *c = r->last;
        r->last = NULL;
        if (cursor_peek(c) < 0)
            return -1;
    }
    struct stat st;
    if (r->fd >= 0 && fstat(r->fd, &st) == 0)
        r->size = (uint64_t)st.st_size;
    uint32_t old_nm = r->nm;
    r->truncated = 0;
    if (r->size > r->index_end && build_index(r) < 0)
        return -1;
    if (r->nm > old_nm && chains_extend(r, old_nm) < 0)
        return -1;
    if (heap_rebuild(r) < 0)
        return -1;
    live_horizon(r, grace_ns, all);
    return (int)(r->nm - old_nm);
}
