/* The diff's noise rule (fp_diff_significant, diff.h): a change counts when
 * the medians differ by more than the larger spread of the two sides and by
 * more than the minimum relative amount; one run on a side gives no
 * estimate; fp_stat_of takes the median, min and max. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff.h"

static struct fp_stat stat_of(const double *v, uint32_t n)
{
    struct fp_stat s;
    fp_stat_of(&s, v, n);
    return s;
}

static void test_stat(void **state)
{
    (void)state;
    double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 10 };
    struct fp_stat s = stat_of(odd, 3);
    assert_true(s.median == 3 && s.min == 1 && s.max == 5 && s.n == 3);
    s = stat_of(even, 4);
    assert_true(s.median == 3.5 && s.min == 1 && s.max == 10 && s.n == 4);
    assert_true(odd[0] == 5);      /* the input is not sorted in place */
}

static void test_significant(void **state)
{
    (void)state;
    double a[] = { 1000, 1010, 990 }, b[] = { 2000, 2030, 1990 };
    struct fp_stat sa = stat_of(a, 3), sb = stat_of(b, 3);
    assert_int_equal(fp_diff_significant(&sa, &sb, FP_DIFF_MIN_REL), FP_SIG_CHANGED);
    assert_int_equal(fp_diff_significant(&sb, &sa, FP_DIFF_MIN_REL), FP_SIG_CHANGED);
    /* the medians differ by 30, one side spreads over 100: noise */
    double c[] = { 1000, 1030, 950, 1050 }, d[] = { 1045, 1055, 1060, 1050 };
    struct fp_stat sc = stat_of(c, 4), sd = stat_of(d, 4);
    assert_int_equal(fp_diff_significant(&sc, &sd, FP_DIFF_MIN_REL), FP_SIG_NOISE);
    /* beyond the spread (0) but 1%: below the relative minimum */
    double e[] = { 1000, 1000 }, f[] = { 1010, 1010 };
    struct fp_stat se = stat_of(e, 2), sf = stat_of(f, 2);
    assert_int_equal(fp_diff_significant(&se, &sf, FP_DIFF_MIN_REL), FP_SIG_NOISE);
    assert_int_equal(fp_diff_significant(&se, &sf, 0.005), FP_SIG_CHANGED);
    /* equal: never a change */
    assert_int_equal(fp_diff_significant(&se, &se, 0), FP_SIG_NOISE);
}

static void test_one_run(void **state)
{
    (void)state;
    double a[] = { 10 }, b[] = { 100000, 100001 };
    struct fp_stat sa = stat_of(a, 1), sb = stat_of(b, 2);
    assert_int_equal(fp_diff_significant(&sa, &sb, FP_DIFF_MIN_REL), FP_SIG_NO_ESTIMATE);
    assert_int_equal(fp_diff_significant(&sb, &sa, FP_DIFF_MIN_REL), FP_SIG_NO_ESTIMATE);
    assert_string_equal(fp_sig_name(FP_SIG_NO_ESTIMATE), "no estimate");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat),
        cmocka_unit_test(test_significant),
        cmocka_unit_test(test_one_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
