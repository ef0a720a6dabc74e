// rep_vector: std::vector and std::string growth inside user functions, for
// the analyzer's test that a site is the user's function, not the allocator's.
#include <cstdio>
#include <string>
#include <vector>

__attribute__((noinline)) static size_t fill_vector(int n)
{
    std::vector<int> v;
    for (int i = 0; i < n; i++)
        v.push_back(i);            // grows by doubling: ~log2(n) reallocations
    return v.size();
}

__attribute__((noinline)) static size_t build_string(int n)
{
    std::string s;
    for (int i = 0; i < n; i++)
        s += "abcdefghijklmnopqrstuvwxyz";
    return s.size();
}

__attribute__((noinline)) static int *make_array(int n)
{
    return new int[n];
}

int main()
{
    size_t total = fill_vector(100000) + build_string(1000);
    int *a = make_array(1000);
    a[0] = 1;
    std::printf("%zu %d\n", total, a[0]);
    delete[] a;
    return 0;
}
