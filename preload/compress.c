/* The compressor pool: a few libdeflate compressors, taken only when a
 * buffer is flushed, and the gzip member (RFC 1952, with the 'FP' extra
 * field) each one writes. */
#include <string.h>
#include <libdeflate.h>
#include <zlib.h>

#include "fp.h"

/* libdeflate rather than zlib's deflate: on our records it compresses at
 * level 1 about twice as fast, to smaller members, and the output is plain
 * gzip that zlib reads. */
static fp_lock_t zc_lock;
static struct fp_zc *zc_free;

/* the shim's memory comes from mmap, never from the program's malloc */
static void *zmem_alloc(size_t n)
{
    n += 16;
    n = (n + 4095) & ~(size_t)4095;
    uint8_t *p = fp_os_map(n);
    if (!p)
        return NULL;
    *(size_t *)p = n;
    return p + 16;
}

static void zmem_free(void *addr)
{
    if (!addr)
        return;
    uint8_t *p = (uint8_t *)addr - 16;
    fp_os_unmap(p, *(size_t *)p);
}

/* zlib's allocator for the inflate of an existing trace (trace_file.c) */
voidpf fp_zc_zalloc(voidpf opaque, uInt items, uInt size)
{
    void *p = zmem_alloc((size_t)items * size);
    return p ? p : Z_NULL;
}

void fp_zc_zfree(voidpf opaque, voidpf addr)
{
    zmem_free(addr);
}

#define GZ_HEAD (10 + 2 + 4 + FP_GZ_EXTRA_LEN)
#define GZ_TAIL 8

struct fp_zc *fp_zc_get(size_t raw_len)
{
    static _Atomic int allocator_set;
    if (!atomic_exchange(&allocator_set, 1))
        libdeflate_set_memory_allocator(zmem_alloc, zmem_free);
    fp_lock(&zc_lock);
    struct fp_zc *z = zc_free;
    if (z)
        zc_free = z->next;
    fp_unlock(&zc_lock);
    if (!z) {
        z = fp_perm_alloc(sizeof(*z));
        if (!z)
            return NULL;
        memset(z, 0, sizeof(*z));
        z->c = libdeflate_alloc_compressor(1);
        if (!z->c)
            return NULL;
    }
    size_t need = libdeflate_deflate_compress_bound(z->c, raw_len) + GZ_HEAD + GZ_TAIL;
    if (z->out_cap < need) {
        if (z->out)
            fp_os_unmap(z->out, z->out_cap);
        z->out_cap = (need + 4095) & ~(size_t)4095;
        z->out = fp_os_map(z->out_cap);
        if (!z->out) {
            z->out_cap = 0;
            return NULL;
        }
    }
    return z;
}

void fp_zc_put(struct fp_zc *z)
{
    fp_lock(&zc_lock);
    z->next = zc_free;
    zc_free = z;
    fp_unlock(&zc_lock);
}

/* Compress raw into one gzip member (RFC 1952) carrying the 'FP' extra
 * field, in z->out.  Returns its length, or 0 when compressing failed. */
size_t fp_zc_member(struct fp_zc *z, const uint8_t *raw, size_t len, uint32_t tid,
                    uint32_t seq, uint64_t t_first, uint64_t t_last)
{
    size_t body = libdeflate_deflate_compress(z->c, raw, len, z->out + GZ_HEAD,
                                              z->out_cap - GZ_HEAD - GZ_TAIL);
    if (body == 0)
        return 0;
    size_t out_len = GZ_HEAD + body + GZ_TAIL;
    uint8_t *h = z->out;
    h[0] = 0x1f; h[1] = 0x8b; h[2] = 8;   /* gzip, deflate */
    h[3] = 0x04;                          /* FLG.FEXTRA */
    fp_put_le32(h + 4, 0);                /* MTIME: none */
    h[8] = 0;                             /* XFL */
    h[9] = 3;                             /* OS: Unix */
    fp_put_le16(h + 10, 4 + FP_GZ_EXTRA_LEN);
    h[12] = FP_GZ_SI1;
    h[13] = FP_GZ_SI2;
    fp_put_le16(h + 14, FP_GZ_EXTRA_LEN);
    fp_put_le32(h + 16, (uint32_t)out_len);
    fp_put_le32(h + 20, (uint32_t)len);
    fp_put_le32(h + 24, tid);
    fp_put_le32(h + 28, seq);
    fp_put_le64(h + 32, t_first);
    fp_put_le64(h + 40, t_last);
    uint8_t *tail = z->out + GZ_HEAD + body;
    fp_put_le32(tail, libdeflate_crc32(0, raw, len));
    fp_put_le32(tail + 4, (uint32_t)len);
    return out_len;
}
