/* analyzer/grow.h: arrays double from their first capacity, keep what they
 * held, zero the new room when asked, and refuse (as out of memory, the
 * array untouched) a capacity the count's type cannot hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "grow.h"

static void test_doubles_and_keeps(void **state)
{
    uint32_t *v = NULL, cap = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        assert_int_equal(FP_GROW(v, cap, (size_t)i + 1, 16), 0);
        v[i] = i * 7;
        /* the first doubling of 16 that holds i + 1 */
        uint32_t want = 16;
        while (want < i + 1)
            want *= 2;
        assert_int_equal(cap, want);
    }
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(v[i], i * 7);
    /* a need far past the capacity: doubled until it holds it */
    assert_int_equal(FP_GROW(v, cap, 5000, 16), 0);
    assert_int_equal(cap, 8192);
    assert_int_equal(v[999], 999 * 7);
    free(v);
}

static void test_zeroed(void **state)
{
    uint64_t *v = NULL;
    size_t cap = 0;
    assert_int_equal(FP_GROW_ZERO(v, cap, 3, 4), 0);
    assert_int_equal(cap, 4);
    for (size_t i = 0; i < cap; i++) {
        assert_int_equal(v[i], 0);
        v[i] = ~(uint64_t)0;
    }
    assert_int_equal(FP_GROW_ZERO(v, cap, 5, 4), 0);
    assert_int_equal(cap, 8);
    for (size_t i = 0; i < 4; i++)
        assert_true(v[i] == ~(uint64_t)0);
    for (size_t i = 4; i < 8; i++)
        assert_int_equal(v[i], 0);
    free(v);
}

static void test_limits(void **state)
{
    /* a uint8_t count: 200 doubles past 255, so it takes exactly the need;
     * past 255 nothing fits, and the array stays as it was */
    uint8_t cap = 0;
    char *v = NULL;
    assert_int_equal(FP_GROW(v, cap, 200, 128), 0);
    assert_int_equal(cap, 200);
    memset(v, 'x', cap);
    char *before = v;
    assert_int_equal(FP_GROW(v, cap, 256, 128), -1);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 200);
    assert_int_equal(FP_GROW(v, cap, 255, 128), 0);
    assert_int_equal(cap, 255);
    assert_int_equal(v[199], 'x');
    free(v);
    /* a byte size size_t cannot hold */
    assert_int_equal(fp_grow_cap(0, SIZE_MAX / 8, 16, 16, SIZE_MAX), 0);
    assert_int_equal(fp_grow_cap(16, 17, 16, 1, UINT32_MAX), 32);
    assert_int_equal(fp_grow_cap(0, 1, 0, 1, UINT32_MAX), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_and_keeps),
        cmocka_unit_test(test_zeroed),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
