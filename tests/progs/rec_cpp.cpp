// C++ new/delete reach the malloc family through libstdc++: known objects,
// arrays and a vector's growth in known functions.
#include <cstdio>
#include <vector>

#define NOINLINE __attribute__((noinline))

struct Obj {
    long a[6];   // 48 bytes
};

NOINLINE static void make_objects()          // 40 x new Obj
{
    for (int i = 0; i < 40; i++) {
        Obj *o = new Obj();
        __asm__ volatile("" : : "r"(o) : "memory");
        delete o;
    }
}

NOINLINE static void make_arrays()           // 20 x new int[100]
{
    for (int i = 0; i < 20; i++) {
        int *a = new int[100];
        __asm__ volatile("" : : "r"(a) : "memory");
        delete[] a;
    }
}

NOINLINE static long grow_vector()           // push_back 1000 ints
{
    std::vector<int> v;
    for (int i = 0; i < 1000; i++)
        v.push_back(i);
    long s = 0;
    for (int x : v)
        s += x;
    return s;
}

int main()
{
    make_objects();
    make_arrays();
    std::printf("%ld\n", grow_vector());
    return 0;
}
