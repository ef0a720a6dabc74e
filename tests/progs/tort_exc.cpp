// Torture program: C++ exceptions thrown through frames that allocate.
//   tort_exc N   N times: four nested frames each malloc a block in
//                frame_alloc (freed by a destructor while unwinding) and
//                build a std::string; the innermost throws, main catches.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

static void *volatile sink;

struct block {
    char *p;
    explicit block(char *q) : p(q) {}
    ~block() { free(p); }
};

__attribute__((noinline)) static char *frame_alloc(int depth)
{
    char *p = static_cast<char *>(malloc(64 + depth));
    memset(p, depth, 64);
    sink = p;
    return p;
}

__attribute__((noinline)) static long frame(int depth, long i)
{
    block b(frame_alloc(depth));
    std::string s(40 + depth, static_cast<char>('a' + depth));
    if (depth == 0) {
        if (i % 3 == 0)
            throw std::runtime_error("deep " + s);
        throw static_cast<int>(i);
    }
    return frame(depth - 1, i) + b.p[0] + static_cast<long>(s.size());
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000, caught = 0, sum = 0;
    for (long i = 0; i < n; i++) {
        try {
            sum += frame(3, i);
        } catch (const std::runtime_error &e) {
            caught++;
            sum += static_cast<long>(strlen(e.what()));
        } catch (int v) {
            caught++;
            sum += v % 7;
        }
    }
    printf("thrown %ld caught %ld sum %ld\n", n, caught, sum);
    return caught == n ? 0 : 1;
}
