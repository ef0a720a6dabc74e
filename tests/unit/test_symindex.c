/* analyzer/symindex.c against elfutils: for every module of this running
 * process (the test, libc and the libraries the analyzer links: libdw,
 * libelf, libcurl's and OpenSSL's through libdebuginfod, ...), with the
 * symbol tables elfutils finds for them (libc6-dbg's .symtab, locals and
 * sizeless assembly labels among them), fp_symindex_lookup and
 * dwfl_module_addrinfo give the same name, offset and symbol at addresses
 * around every symbol's start and end (one symbol in every few of a large
 * table) and at a sweep across the module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "symindex.h"

/* lookups compared per module, at most: elfutils' side is a linear search */
#define TRIES_MAX 3000

struct tally {
    unsigned modules, indexed, tries, named, labels_or_gaps, fails;
};

static void compare_at(Dwfl_Module *mod, const struct fp_symindex *x, GElf_Addr a,
                       struct tally *t, const char *mname)
{
    GElf_Off o1 = 0, o2 = 0;
    GElf_Sym s1, s2;
    memset(&s1, 0, sizeof(s1));
    memset(&s2, 0, sizeof(s2));
    const char *n1 = dwfl_module_addrinfo(mod, a, &o1, &s1, NULL, NULL, NULL);
    const char *n2 = fp_symindex_lookup(x, mod, a, &o2, &s2);
    t->tries++;
    int same = (!n1 && !n2) ||
               (n1 && n2 && !strcmp(n1, n2) && o1 == o2 && s1.st_value == s2.st_value &&
                s1.st_size == s2.st_size && s1.st_info == s2.st_info);
    if (!same) {
        if (t->fails++ < 10)
            print_message("%s at %#llx: elfutils %s+%llu (size %llu), index %s+%llu (size %llu)\n",
                          mname, (unsigned long long)a, n1 ? n1 : "-", (unsigned long long)o1,
                          (unsigned long long)s1.st_size, n2 ? n2 : "-",
                          (unsigned long long)o2, (unsigned long long)s2.st_size);
        return;
    }
    if (n1) {
        t->named++;
        if (s1.st_size == 0 || o1 >= s1.st_size)
            t->labels_or_gaps++;
    }
}

static int each_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start,
                       void *arg)
{
    (void)ud;
    struct tally *t = arg;
    t->modules++;
    struct fp_symindex *x = fp_symindex_new(mod);
    if (!x)
        return DWARF_CB_OK;
    t->indexed++;
    Dwarf_Addr lo, hi;
    dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
    int n = dwfl_module_getsymtab(mod);
    unsigned per_sym = 8;
    unsigned want = n > 0 ? (unsigned)n * per_sym : 0;
    int step = want > TRIES_MAX / 2 ? (int)(want / (TRIES_MAX / 2)) + 1 : 1;
    for (int i = 1; i < n; i += step) {
        GElf_Sym sym;
        GElf_Addr v;
        if (!dwfl_module_getsym_info(mod, i, &sym, &v, NULL, NULL, NULL))
            continue;
        GElf_Addr at[] = { v - 1, v, v + 1, v + sym.st_size / 2, v + sym.st_size - 1,
                           v + sym.st_size, v + sym.st_size + 1, v + sym.st_size + 16 };
        for (unsigned k = 0; k < per_sym; k++)
            compare_at(mod, x, at[k], t, name);
    }
    /* and a sweep across the module, gaps and all */
    for (unsigned k = 0; hi > lo && k < TRIES_MAX / 2; k++)
        compare_at(mod, x, lo + (hi - lo) / (TRIES_MAX / 2) * k + k % 7, t, name);
    (void)start;
    fp_symindex_free(x);
    return DWARF_CB_OK;
}

static void test_agrees_with_elfutils(void **state)
{
    (void)state;
    char *debuginfo_path = NULL;
    const Dwfl_Callbacks cb = {
        .find_elf = dwfl_linux_proc_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .debuginfo_path = &debuginfo_path,
    };
    Dwfl *d = dwfl_begin(&cb);
    assert_non_null(d);
    dwfl_report_begin(d);
    assert_int_equal(dwfl_linux_proc_report(d, getpid()), 0);
    assert_int_equal(dwfl_report_end(d, NULL, NULL), 0);
    struct tally t = { 0 };
    assert_int_equal(dwfl_getmodules(d, each_module, &t, 0), 0);
    print_message("%u modules (%u indexed), %u addresses compared, %u named (%u past a "
                  "symbol's end or at a label), %u differ\n",
                  t.modules, t.indexed, t.tries, t.named, t.labels_or_gaps, t.fails);
    dwfl_end(d);
    assert_int_equal(t.fails, 0);
    /* the test, libc, libdw and libelf at least, each with symbols */
    assert_true(t.indexed >= 4);
    assert_true(t.named >= 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agrees_with_elfutils),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
