/* demo/reuse.c: the same work as demo/churn.c, but the batch's working
 * buffers are allocated once and reused for every batch, so their pages
 * fault in once.  Same output as churn.c. */
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
    for (long i = 0; i < a.batch; i++)
        bufs[i] = work_buffer_new(a.buf_bytes);
    for (long r = 0; r < a.records; r += a.batch) {
        long k = a.records - r < a.batch ? a.records - r : a.batch;

        for (long i = 0; i < k; i++)
            sum = sum * 31 + record_process(bufs[i], a.buf_bytes, r + i);
    }
    for (long i = 0; i < a.batch; i++)
        free(bufs[i]);
    free(bufs);
    demo_print("records", &a, sum);
    return 0;
}
