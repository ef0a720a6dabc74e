/* symindex: a module's symbols sorted by address (symindex.h).
 *
 * elfutils' search, for an address A, over the eligible symbols (named,
 * defined, not a section, file or TLS symbol, at or below A), globals first:
 *   - the sized symbols holding A, in table order: one replaces the choice
 *     so far when it starts closer to A or binds more strongly (global >
 *     weak > local), or starts as close, binds at least as strongly and is
 *     smaller;
 *   - none: the sizeless label in A's section that starts where no symbol
 *     below A reaches past (min_label: the largest end of them all), the
 *     last such in table order;
 * locals are searched only when the globals hold no sized symbol for A and
 * no label exactly at A.  A part of the table (globals, locals) is kept
 * sorted by start with the running largest end, so the symbols holding A
 * are the few before A's place whose ends pass it, and min_label is the
 * running end at that place. */
#include "symindex.h"

#include <stdint.h>
#include <stdlib.h>

struct sym_entry {
    uint64_t value, end;       /* end: value + size, saturated */
    uint32_t idx;              /* in the module's symbol table */
    uint32_t shndx;
    uint8_t bind;              /* binding_value: global 3, weak 2, local 1 */
};

struct sym_part {
    struct sym_entry *e;       /* by (value, idx) */
    uint64_t *reach;           /* reach[i]: the largest end of e[0..i] */
    size_t n;
};

struct fp_symindex {
    struct sym_part glob, loc; /* loc: empty unless the table has locals apart */
};

/* more than this many symbols holding one address, or passing over it
 * from below: ask elfutils */
#define HOLDERS_MAX 64
#define PASSING_MAX 4096

static uint8_t bind_value(unsigned char info)
{
    switch (GELF_ST_BIND(info)) {
    case STB_GLOBAL: return 3;
    case STB_WEAK: return 2;
    case STB_LOCAL: return 1;
    default: return 0;
    }
}

static int entry_cmp(const void *a, const void *b)
{
    const struct sym_entry *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int part_add(struct sym_part *p, size_t *cap, const struct sym_entry *e)
{
    if (p->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        struct sym_entry *ne = realloc(p->e, nc * sizeof(*ne));
        if (!ne)
            return -1;
        p->e = ne, *cap = nc;
    }
    p->e[p->n++] = *e;
    return 0;
}

static int part_finish(struct sym_part *p)
{
    if (!p->n)
        return 0;
    qsort(p->e, p->n, sizeof(*p->e), entry_cmp);
    p->reach = malloc(p->n * sizeof(*p->reach));
    if (!p->reach)
        return -1;
    uint64_t r = 0;
    for (size_t i = 0; i < p->n; i++)
        p->reach[i] = r = p->e[i].end > r ? p->e[i].end : r;
    return 0;
}

void fp_symindex_free(struct fp_symindex *x)
{
    if (!x)
        return;
    free(x->glob.e);
    free(x->glob.reach);
    free(x->loc.e);
    free(x->loc.reach);
    free(x);
}

static int eligible(const char *name, const GElf_Sym *sym)
{
    int type = GELF_ST_TYPE(sym->st_info);
    return name && name[0] && sym->st_shndx != SHN_UNDEF && type != STT_SECTION &&
           type != STT_FILE && type != STT_TLS;
}

struct fp_symindex *fp_symindex_new(Dwfl_Module *mod)
{
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    GElf_Ehdr eh;
    if (!elf || !gelf_getehdr(elf, &eh) || eh.e_machine == EM_PPC64)
        return NULL;
    int n = dwfl_module_getsymtab(mod);
    int first_global = dwfl_module_getsymtab_first_global(mod);
    if (n < 0 || first_global < 0)
        return NULL;
    struct fp_symindex *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    size_t gcap = 0, lcap = 0;
    /* elfutils searches [first_global, n) (from 1 when 0), then [1,
     * first_global) when first_global > 1 */
    int g0 = first_global == 0 ? 1 : first_global;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr value;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(mod, i, &sym, &value, &shndx, NULL, NULL);
        if (!eligible(name, &sym))
            continue;
        struct sym_entry e = {
            .value = value,
            .end = value + sym.st_size < value ? UINT64_MAX : value + sym.st_size,
            .idx = (uint32_t)i, .shndx = shndx, .bind = bind_value(sym.st_info),
        };
        if (i >= g0 ? part_add(&x->glob, &gcap, &e) < 0
                    : first_global > 1 && part_add(&x->loc, &lcap, &e) < 0)
            goto fail;
    }
    if (part_finish(&x->glob) < 0 || part_finish(&x->loc) < 0)
        goto fail;
    return x;
fail:
    fp_symindex_free(x);
    return NULL;
}

/* the number of entries starting at or below a */
static size_t part_upto(const struct sym_part *p, uint64_t a)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->e[mid].value <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The sized symbol elfutils picks among those of p holding a, or NULL;
 * *many when too many hold it or pass it (the caller asks elfutils). */
static const struct sym_entry *part_holder(const struct sym_part *p, size_t upto, uint64_t a,
                                           int *many)
{
    const struct sym_entry *h[HOLDERS_MAX];
    size_t nh = 0, seen = 0;
    for (size_t j = upto; j-- > 0 && p->reach[j] > a;) {
        const struct sym_entry *e = &p->e[j];
        if (++seen > PASSING_MAX) {
            *many = 1;
            return NULL;
        }
        if (e->end == e->value || e->end <= a)
            continue;
        if (nh == HOLDERS_MAX) {
            *many = 1;
            return NULL;
        }
        /* kept in table order */
        size_t k = nh++;
        for (; k > 0 && h[k - 1]->idx > e->idx; k--)
            h[k] = h[k - 1];
        h[k] = e;
    }
    const struct sym_entry *best = NULL;
    for (size_t k = 0; k < nh; k++) {
        const struct sym_entry *e = h[k];
        uint64_t bsize = best ? best->end - best->value : 0, esize = e->end - e->value;
        int closer = !best || best->value < e->value || best->bind < e->bind;
        int tighter = best && best->value == e->value &&
                      ((bsize > esize && best->bind <= e->bind) ||
                       (bsize >= esize && best->bind < e->bind));
        if (closer || tighter)
            best = e;
    }
    return best;
}

static int same_section(Dwfl_Module *mod, uint64_t a, const struct sym_entry *e)
{
    if (e->shndx >= SHN_LORESERVE)
        return e->value == a;
    Dwarf_Addr x = a, y = e->value, bias;
    return dwfl_module_address_section(mod, &x, &bias) ==
           dwfl_module_address_section(mod, &y, &bias);
}

/* The last sizeless label of p at exactly v in a's section, or NULL. */
static const struct sym_entry *part_label(const struct sym_part *p, Dwfl_Module *mod, uint64_t a,
                                          uint64_t v)
{
    for (size_t j = part_upto(p, v); j-- > 0 && p->e[j].value == v;)
        if (p->e[j].end == v && same_section(mod, a, &p->e[j]))
            return &p->e[j];        /* entries of one value are in table order */
    return NULL;
}

static const char *found(Dwfl_Module *mod, const struct sym_entry *e, GElf_Addr a, GElf_Off *off,
                         GElf_Sym *sym)
{
    GElf_Addr value;
    const char *name = dwfl_module_getsym_info(mod, (int)e->idx, sym, &value, NULL, NULL, NULL);
    if (name)
        *off = a - e->value;
    return name;
}

const char *fp_symindex_lookup(const struct fp_symindex *x, Dwfl_Module *mod, GElf_Addr a,
                               GElf_Off *off, GElf_Sym *sym)
{
    int many = 0;
    size_t gu = part_upto(&x->glob, a), lu = part_upto(&x->loc, a);
    uint64_t ml = gu ? x->glob.reach[gu - 1] : 0;     /* min_label */
    const struct sym_entry *e = part_holder(&x->glob, gu, a, &many);
    /* the locals, unless a global holds a or is a label exactly at a (then
     * no global reaches past a, as none holds it) */
    int locals = !e && !many && x->loc.n && !(ml == a && gu && part_label(&x->glob, mod, a, a));
    if (locals)
        e = part_holder(&x->loc, lu, a, &many);
    if (many)
        return dwfl_module_addrinfo(mod, a, off, sym, NULL, NULL, NULL);
    if (e)
        return found(mod, e, a, off, sym);
    /* no sized symbol holds a: the label at min_label, locals' last */
    if (locals && lu && x->loc.reach[lu - 1] > ml)
        ml = x->loc.reach[lu - 1];
    if (!gu && !(locals && lu))
        return NULL;
    e = locals ? part_label(&x->loc, mod, a, ml) : NULL;
    if (!e)
        e = part_label(&x->glob, mod, a, ml);
    return e ? found(mod, e, a, off, sym) : NULL;
}
