/* demo/churn.c: processes records in batches, giving each record a fresh
 * working buffer and freeing the batch's buffers when it is done.  glibc
 * hands the memory back to the kernel (munmap, or a heap trim once the free
 * top of the heap passes M_TRIM_THRESHOLD), so every batch faults its pages
 * in again: about RECORDS * BUFFER_KB / 4 minor faults.  Same output as
 * demo/reuse.c, which keeps its buffers. */
#include "records.h"

int main(int argc, char **argv)
{
    struct demo_args a;
    unsigned char **bufs;
    uint64_t sum = 0;

    demo_args_parse(argc, argv, &a);
    bufs = calloc((size_t)a.batch, sizeof(*bufs));
    if (!bufs)
        return 1;
    for (long r = 0; r < a.records; r += a.batch) {
        long k = a.records - r < a.batch ? a.records - r : a.batch;

        for (long i = 0; i < k; i++)
            bufs[i] = work_buffer_new(a.buf_bytes);
        for (long i = 0; i < k; i++)
            sum = sum * 31 + record_process(bufs[i], a.buf_bytes, r + i);
        for (long i = 0; i < k; i++)
            free(bufs[i]);
    }
    free(bufs);
    demo_print("records", &a, sum);
    return 0;
}
