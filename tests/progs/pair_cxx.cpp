// One of a pair of implementations of the same job (pair_rs.rs is the
// other): 4 threads each fill a 2 MiB record buffer 32 times and sum it;
// the output is the total.  This one keeps each thread's buffer (reserved
// once, cleared between batches), so its pages fault in once.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

static const int kThreads = 4, kBatches = 32;
static const size_t kRecordBytes = 2u << 20;

__attribute__((noinline)) static void fill_batch(std::vector<uint8_t> &buf, int thread, int batch)
{
    buf.clear();
    for (size_t i = 0; i < kRecordBytes; i++)
        buf.push_back((uint8_t)(i * 31 + batch * 7 + thread));
}

static void worker(int thread, uint64_t *sum)
{
    std::vector<uint8_t> buf;
    buf.reserve(kRecordBytes);
    uint64_t s = 0;
    for (int b = 0; b < kBatches; b++) {
        fill_batch(buf, thread, b);
        for (uint8_t x : buf)
            s += x;
    }
    *sum = s;
}

int main()
{
    uint64_t sums[kThreads];
    std::vector<std::thread> th;
    for (int t = 0; t < kThreads; t++)
        th.emplace_back(worker, t, &sums[t]);
    uint64_t total = 0;
    for (int t = 0; t < kThreads; t++) {
        th[t].join();
        total += sums[t];
    }
    printf("checksum %llu\n", (unsigned long long)total);
    return 0;
}
