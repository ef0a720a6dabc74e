/* symbols: an address of a traced process is looked up in the Dwfl of the
 * module file it lies in (symfiles.c: one per file for all the processes,
 * of the file debuginfo.c picks: under --sysroot or at its path, with the
 * traced build-id; debug info from /usr/lib/debug, .gnu_debuglink,
 * --debug-dir and debuginfod).  Each unique address is resolved once, and
 * each offset in a file once for all the processes that map it; results are
 * interned frames. */
#include "symbols.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debuginfo.h"
#include "grow.h"
#include "hmap.h"
#include "model.h"
#include "reader.h"
#include "symfiles.h"
#include "symindex.h"

struct proc_syms {
    int ready;
    struct hmap cache;             /* addr + 1 -> offset in res pool */
    uint8_t *warned;               /* per module that is no file: warned about symbols */
    uint32_t nmods;
    int unloads;                   /* a module of the process was unloaded */
    uint32_t *canon;               /* per unloaded module: the first record of the same
                                      file at the same base, + 1 (0: not looked up) */
    struct hmap canon_tab;         /* hash of (path, base, build-id) -> record + 1 */
};

struct fp_syms {
    const struct fp_model *m;
    FILE *warn;
    int use_dwfl;
    struct proc_syms *ps;
    struct fp_symfiles *files;     /* NULL without use_dwfl */
    struct hmap xcache;            /* (file, offset, exact) -> offset in res pool */
    /* interned strings */
    char **strs;
    size_t str_mask, nstr;
    /* interned frames */
    struct fp_frame *frames;
    uint32_t nframes, capframes;
    uint32_t *ftab;
    size_t ftab_mask;
    /* resolutions: [n, id...] */
    uint32_t *res;
    size_t nres, capres;
    /* sized symbols found so far, by module and start (sym_known) */
    struct sym_range *ranges;
    size_t nranges, capranges;
    /* each module's symbols by address, made at its first lookup */
    struct mod_index *mods;
    size_t nmods, capmods;
};

struct mod_index {
    const Dwfl_Module *mod;
    struct fp_symindex *x;         /* NULL: ask elfutils */
};

struct sym_range {
    const Dwfl_Module *mod;
    uint64_t lo, hi;
    const char *name;              /* interned */
};

/* ---- interning ---- */

static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

const char *fp_syms_intern_str(struct fp_syms *s, const char *str, size_t len)
{
    if (!str)
        return NULL;
    if (!s->strs || (s->nstr + 1) * 2 > s->str_mask + 1) {
        size_t cap = s->strs ? (s->str_mask + 1) * 2 : 1024;
        char **t = calloc(cap, sizeof(*t));
        if (!t)
            return NULL;
        for (size_t i = 0; s->strs && i <= s->str_mask; i++) {
            if (!s->strs[i])
                continue;
            size_t j = str_hash(s->strs[i], strlen(s->strs[i])) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = s->strs[i];
        }
        free(s->strs);
        s->strs = t;
        s->str_mask = cap - 1;
    }
    size_t j = str_hash(str, len) & s->str_mask;
    for (; s->strs[j]; j = (j + 1) & s->str_mask)
        if (!strncmp(s->strs[j], str, len) && s->strs[j][len] == 0)
            return s->strs[j];
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, str, len);
    d[len] = 0;
    s->strs[j] = d;
    s->nstr++;
    return d;
}

static const char *istr(struct fp_syms *s, const char *str)
{
    return str ? fp_syms_intern_str(s, str, strlen(str)) : NULL;
}

static uint64_t frame_hash(const struct fp_frame *f)
{
    uint64_t h = hmap_hash((uintptr_t)f->func ^ ((uint64_t)f->line << 32));
    h = hmap_hash(h ^ (uintptr_t)f->file);
    h = hmap_hash(h ^ (uintptr_t)f->module);
    h = hmap_hash(h ^ (f->func ? 0 : f->offset) ^ (uint64_t)f->inlined);
    return h;
}

static int frame_eq(const struct fp_frame *a, const struct fp_frame *b)
{
    return a->func == b->func && a->file == b->file && a->line == b->line &&
           a->module == b->module && a->inlined == b->inlined &&
           (a->func || a->offset == b->offset);
}

uint32_t fp_syms_intern_frame(struct fp_syms *s, const struct fp_frame *f)
{
    if (!s->ftab || (size_t)(s->nframes + 1) * 2 > s->ftab_mask + 1) {
        size_t cap = s->ftab ? (s->ftab_mask + 1) * 2 : 1024;
        uint32_t *t = calloc(cap, sizeof(*t));
        if (!t)
            return UINT32_MAX;
        for (uint32_t i = 0; i < s->nframes; i++) {
            size_t j = frame_hash(&s->frames[i]) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = i + 1;
        }
        free(s->ftab);
        s->ftab = t;
        s->ftab_mask = cap - 1;
    }
    size_t j = frame_hash(f) & s->ftab_mask;
    for (; s->ftab[j]; j = (j + 1) & s->ftab_mask)
        if (frame_eq(&s->frames[s->ftab[j] - 1], f))
            return s->ftab[j] - 1;
    if (FP_GROW(s->frames, s->capframes, (size_t)s->nframes + 1, 256) < 0)
        return UINT32_MAX;
    s->frames[s->nframes] = *f;
    if (f->func)
        s->frames[s->nframes].offset = f->offset;
    s->ftab[j] = s->nframes + 1;
    return s->nframes++;
}

const struct fp_frame *fp_syms_frame(const struct fp_syms *s, uint32_t id)
{
    return &s->frames[id];
}

int fp_syms_frame_is_sigreturn(const struct fp_syms *s, uint32_t id)
{
    const struct fp_frame *f = fp_syms_frame(s, id);
    return f && f->func && !strcmp(f->func, FP_SIGRETURN_NAME);
}

uint32_t fp_syms_nframes(const struct fp_syms *s)
{
    return s->nframes;
}

const char *fp_frame_name(const struct fp_frame *f, char *buf, size_t n)
{
    if (f->func)
        return f->func;
    if (f->module)
        snprintf(buf, n, "%s+0x%llx", f->module, (unsigned long long)f->offset);
    else
        snprintf(buf, n, "0x%llx", (unsigned long long)f->offset);
    return buf;
}

/* ---- demangling ---- */

/* "void ns::f<int>(int)" -> "ns::f<int>(int)": a template function's
 * demangled name starts with its return type. */
static void strip_return_type(char *s)
{
    int depth = 0;
    char *paren = NULL, *space = NULL, *prev_space = NULL;
    for (char *p = s; *p; p++) {
        if (*p == '<' || *p == '[')
            depth++;
        else if ((*p == '>' || *p == ']') && depth > 0)
            depth--;
        else if (*p == '(' && depth == 0) {
            /* "operator()" is a name, not a parameter list */
            if (p - s >= 8 && !strncmp(p - 8, "operator", 8))
                continue;
            paren = p;
            break;
        } else if (*p == ' ' && depth == 0) {
            prev_space = space;
            space = p;
        }
    }
    if (!paren || !space)
        return;
    if (space - s >= 8 && !strncmp(space - 8, "operator", 8))
        space = prev_space;
    if (!space)
        return;
    memmove(s, space + 1, strlen(space + 1) + 1);
}

/* "a::b::h0123456789abcdef" -> "a::b" */
static void strip_rust_hash(char *s)
{
    size_t n = strlen(s);
    if (n < 19 || strncmp(s + n - 19, "::h", 3))
        return;
    for (size_t i = n - 16; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return;
    s[n - 19] = 0;
}

char *fp_demangle(const char *name)
{
    char *d = NULL;
    if ((name[0] == '_' && (name[1] == 'Z' || name[1] == 'R')) || !strncmp(name, "__Z", 3))
        d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
    if (!d)
        d = strdup(name);
    if (!d)
        return NULL;
    strip_rust_hash(d);
    strip_return_type(d);
    return d;
}

/* ---- modules ---- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* A process's tables, made at its first lookup. */
static void proc_setup(struct fp_syms *s, uint32_t pi)
{
    struct proc_syms *ps = &s->ps[pi];
    const struct fp_proc *p = &s->m->procs[pi];
    ps->ready = 1;
    ps->nmods = p->nmods;
    ps->warned = calloc(p->nmods ? p->nmods : 1, 1);
    for (uint32_t i = 0; i < p->nmods; i++)
        ps->unloads |= p->mods[i].unloaded;
}

static uint64_t module_key(const struct fp_module *md)
{
    uint64_t h = hmap_hash(md->base) ^ str_hash(md->path, strlen(md->path));
    if (md->build_id_len)
        h ^= str_hash((const char *)md->build_id, md->build_id_len) * 3;
    return h | 1;
}

/* The first record of the same file loaded at the same base as unloaded
 * module i (a library dlopen'd again and again): they share the
 * resolutions of their addresses. */
static uint32_t canon_module(struct fp_syms *s, uint32_t pi, uint32_t i)
{
    struct proc_syms *ps = &s->ps[pi];
    const struct fp_module *mods = s->m->procs[pi].mods;
    if (!ps->canon)
        ps->canon = calloc(ps->nmods ? ps->nmods : 1, sizeof(*ps->canon));
    if (!ps->canon)
        return i;
    if (ps->canon[i])
        return ps->canon[i] - 1;
    uint64_t key = module_key(&mods[i]);
    uint32_t *v = hmap_get(&ps->canon_tab, key);
    uint32_t c = i;
    if (v) {
        const struct fp_module *a = &mods[*v - 1], *b = &mods[i];
        if (a->base == b->base && !strcmp(a->path, b->path) &&
            a->build_id_len == b->build_id_len &&
            !memcmp(a->build_id, b->build_id, a->build_id_len))
            c = *v - 1;
    } else if (hmap_put(&ps->canon_tab, key, i + 1) < 0) {
        return i;
    }
    ps->canon[i] = c + 1;
    return c;
}

/* The name a DIE gives its function: demangled linkage name, else DW_AT_name. */
static char *die_func_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *n = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
        n = dwarf_formstring(&a);
    if (n)
        return fp_demangle(n);
    if (dwarf_attr_integrate(die, DW_AT_name, &a) && (n = dwarf_formstring(&a)))
        return strdup(n);
    return NULL;
}

static int res_push(struct fp_syms *s, uint32_t v)
{
    if (FP_GROW(s->res, s->capres, s->nres + 1, 4096) < 0)
        return -1;
    s->res[s->nres++] = v;
    return 0;
}

#define MAX_INLINE 32

/* Depth-first search for the innermost DIE whose ranges hold pc, descending
 * into functions and blocks that hold it and into every container without
 * addresses (namespaces, types).  Fills path[] outermost first. */
static int walk_die(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *path, int depth, int max)
{
    Dwarf_Die child;
    if (depth >= max || dwarf_child(parent, &child) != 0)
        return depth;
    do {
        int tag = dwarf_tag(&child);
        switch (tag) {
        case DW_TAG_subprogram:
        case DW_TAG_inlined_subroutine:
        case DW_TAG_lexical_block:
            if (dwarf_haspc(&child, pc) > 0) {
                path[depth] = child;
                return walk_die(&child, pc, path, depth + 1, max);
            }
            break;
        case DW_TAG_namespace:
        case DW_TAG_structure_type:
        case DW_TAG_class_type:
        case DW_TAG_union_type:
        case DW_TAG_enumeration_type:
        case DW_TAG_module: {
            int d = walk_die(&child, pc, path, depth, max);
            if (d > depth)
                return d;
            break;
        }
        default:
            break;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return depth;
}

/* Like dwarf_getscopes_die's result: innermost first; *out is malloc'd. */
static int walk_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **out)
{
    Dwarf_Die path[64];
    int n = walk_die(cu, pc, path, 0, 64);
    if (n == 0)
        return 0;
    Dwarf_Die *v = malloc((size_t)n * sizeof(*v));
    if (!v)
        return 0;
    for (int i = 0; i < n; i++)
        v[i] = path[n - 1 - i];
    *out = v;
    return n;
}

/* The CU whose own ranges hold pc, or NULL.  dwfl_module_addrdie looks pc
 * up in .debug_aranges and, by design, gives an address in the gap after a
 * CU's aranges to that CU ("little gaps inside the module", libdwfl/cu.c).
 * A cgo program's .debug_aranges lists only the C CUs gcc compiled (Go's
 * linker writes none for Go's), and gcc_mmap.c's has one at the very start
 * of .text (x_cgo_munmap.cold), below all Go code: every Go address fell
 * in its gap, and every Go frame got gcc_mmap.c's last line, 37.  Go's CUs
 * do have DW_AT_ranges, so when the aranges' CU does not hold pc, the CU
 * that does is looked for (a walk over the CUs, once per unique address;
 * only addresses in such gaps pay it). */
static Dwarf_Die *cu_holding(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = NULL;
    while ((cu = dwfl_module_nextcu(mod, cu, bias)) != NULL)
        if (dwarf_haspc(cu, pc - *bias) > 0)
            return cu;
    return NULL;
}

/* Resolves pc (already addr - 1) into frames appended to s->res. */
/* x86_64's signal return trampoline (glibc's __restore_rt, which stripped
 * libcs have no symbol for): mov $15, %rax; syscall.  A handler's caller. */
static const unsigned char sigreturn_code[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00,
                                                0x0f, 0x05 };

/* Whether the code of the module's file at vaddr (an address less the load bias) is
 * the signal trampoline: the bytes are read from the file through its
 * PT_LOAD headers. */
static int is_sigreturn(const char *file, uint64_t vaddr)
{
    if (!file || elf_version(EV_CURRENT) == EV_NONE)
        return 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int found = 0;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    size_t nph;
    if (elf && elf_getphdrnum(elf, &nph) == 0) {
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
                !(ph.p_flags & PF_X) || vaddr < ph.p_vaddr ||
                vaddr + sizeof(sigreturn_code) > ph.p_vaddr + ph.p_filesz)
                continue;
            unsigned char code[sizeof(sigreturn_code)];
            off_t off = (off_t)(ph.p_offset + (vaddr - ph.p_vaddr));
            found = pread(fd, code, sizeof(code), off) == (ssize_t)sizeof(code) &&
                    !memcmp(code, sigreturn_code, sizeof(code));
            break;
        }
    }
    elf_end(elf);
    close(fd);
    return found;
}

/* ---- the symbol table's name for an address.  elfutils finds it by a
 * linear search of the module's symbols (dwfl_module_addrinfo): for node's
 * 74,000, a trace's few thousand addresses took 12 s, and a clang trace's
 * 35 s in libLLVM's and libclang-cpp's.  The module's symbols sorted by
 * address (symindex.h) answer as elfutils would; and most addresses fall
 * in functions already looked up, so each sized symbol found is kept, by
 * module and range, and an address inside one is answered from it. */
static const char *module_addrinfo(struct fp_syms *s, Dwfl_Module *mod, uint64_t pc,
                                   GElf_Off *off, GElf_Sym *sym)
{
    struct mod_index *mi = NULL;
    for (size_t i = s->nmods; i-- > 0;)
        if (s->mods[i].mod == mod) {
            mi = &s->mods[i];
            break;
        }
    if (!mi && s->nmods == s->capmods) {
        size_t nc = s->capmods ? 2 * s->capmods : 16;
        struct mod_index *nm = realloc(s->mods, nc * sizeof(*nm));
        if (nm)
            s->mods = nm, s->capmods = nc;
    }
    if (!mi && s->nmods < s->capmods) {
        mi = &s->mods[s->nmods++];
        *mi = (struct mod_index){ mod, fp_symindex_new(mod) };
    }
    if (mi && mi->x)
        return fp_symindex_lookup(mi->x, mod, pc, off, sym);
    return dwfl_module_addrinfo(mod, pc, off, sym, NULL, NULL, NULL);
}

static int range_cmp(const struct sym_range *r, const Dwfl_Module *mod, uint64_t pc)
{
    if (r->mod != mod)
        return (uintptr_t)r->mod < (uintptr_t)mod ? -1 : 1;
    return r->lo < pc ? -1 : r->lo > pc ? 1 : 0;
}

/* the index of the first range at or after (mod, pc) */
static size_t range_find(const struct fp_syms *s, const Dwfl_Module *mod, uint64_t pc)
{
    size_t lo = 0, hi = s->nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (range_cmp(&s->ranges[mid], mod, pc) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *sym_name(struct fp_syms *s, Dwfl_Module *mod, uint64_t pc)
{
    size_t i = range_find(s, mod, pc + 1);   /* first range starting after pc */
    if (i > 0 && s->ranges[i - 1].mod == mod && pc < s->ranges[i - 1].hi &&
        pc >= s->ranges[i - 1].lo)
        return s->ranges[i - 1].name;
    GElf_Off off;
    GElf_Sym sym;
    const char *sn = module_addrinfo(s, mod, pc, &off, &sym);
    if (!sn || sym.st_size == 0 || off >= sym.st_size)
        return sn;
    const char *name = istr(s, sn);
    if (!name)
        return sn;
    if (s->nranges == s->capranges) {
        size_t nc = s->capranges ? 2 * s->capranges : 256;
        struct sym_range *nr = realloc(s->ranges, nc * sizeof(*nr));
        if (!nr)
            return name;
        s->ranges = nr, s->capranges = nc;
    }
    struct sym_range r = { mod, pc - off, pc - off + sym.st_size, name };
    i = range_find(s, mod, r.lo);
    memmove(s->ranges + i + 1, s->ranges + i, (s->nranges - i) * sizeof(r));
    s->ranges[i] = r;
    s->nranges++;
    return name;
}

/* The frames one address stands for: the innermost (inlined) function
 * first, the real one last; names are malloc'd. */
struct inline_chain {
    int n;
    char *names[MAX_INLINE];
    const char *files[MAX_INLINE];
    uint32_t lines[MAX_INLINE];
};

/* The CU holding pc and the innermost line of pc (from the line table). */
static Dwarf_Die *cu_and_line(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Addr *bias,
                              const char **src, int *lineno)
{
    Dwfl_Line *ln = dwfl_module_getsrc(mod, pc);
    *lineno = 0;
    *src = ln ? dwfl_lineinfo(ln, NULL, lineno, NULL, NULL, NULL) : NULL;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, bias);
    if (cu && dwarf_haspc(cu, pc - *bias) <= 0) {
        /* pc lies in a gap libdwfl gave to the CU before it (see
         * cu_holding): take the line from the CU that holds pc */
        Dwarf_Addr b2;
        Dwarf_Die *real = cu_holding(mod, pc, &b2);
        if (real) {
            Dwarf_Line *dl = dwarf_getsrc_die(real, pc - b2);
            *src = dl ? dwarf_linesrc(dl, NULL, NULL) : NULL;
            *lineno = 0;
            if (!dl || dwarf_lineno(dl, lineno) != 0)
                *lineno = 0;
            cu = real, *bias = b2;
        }
    }
    return cu;
}

/* The scopes holding addr (a CU-relative address), innermost first, as the
 * DIEs physically nest: *scopes is malloc'd; returns how many. */
static int scopes_at(Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Die **scopes)
{
    *scopes = NULL;
    int ns = dwarf_getscopes(cu, addr, scopes);
    if (ns <= 0) {
        /* libdw's scope walk doesn't look inside every container rustc
         * nests functions in: walk the CU ourselves */
        free(*scopes);
        *scopes = NULL;
        return walk_scopes(cu, addr, scopes);
    }
    /* dwarf_getscopes continues from an inlined function into its abstract
     * definition's scopes; the physical nesting (inlined into inlined into
     * the real function) is the DIE's parents */
    Dwarf_Die inner = (*scopes)[0];
    free(*scopes);
    *scopes = NULL;
    return dwarf_getscopes_die(&inner, scopes);
}

/* The inlined functions and the real one at pc, each with the line it is
 * at: the innermost's from the line table, each outer one's from the call
 * site of the function inlined into it. */
static void inline_chain_at(Dwfl_Module *mod, Dwarf_Addr pc, struct inline_chain *c)
{
    Dwarf_Addr bias = 0;
    const char *src;
    int lineno;
    Dwarf_Die *cu = cu_and_line(mod, pc, &bias, &src, &lineno);
    Dwarf_Die *scopes = NULL;
    int ns = cu ? scopes_at(cu, pc - bias, &scopes) : 0;
    c->files[0] = src;
    c->lines[0] = lineno > 0 ? (uint32_t)lineno : 0;
    Dwarf_Files *dfiles = NULL;
    size_t ndfiles = 0;
    if (cu)
        dwarf_getsrcfiles(cu, &dfiles, &ndfiles);
    for (int i = 0; i < ns && c->n < MAX_INLINE; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        c->names[c->n] = die_func_name(&scopes[i]);
        if (tag == DW_TAG_subprogram) {
            c->n++;
            break;
        }
        /* the call site of this inlined function is the next frame's line */
        Dwarf_Attribute a;
        Dwarf_Word cf = 0, cl = 0;
        if (c->n + 1 < MAX_INLINE) {
            if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &cf) == 0 &&
                dfiles && cf < ndfiles)
                c->files[c->n + 1] = dwarf_filesrc(dfiles, cf, NULL, NULL);
            if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &cl) == 0)
                c->lines[c->n + 1] = (uint32_t)cl;
        }
        c->n++;
    }
    free(scopes);
}

/* Interns the chain's frames (each a copy of f with its function and line)
 * and pushes them as this address's result; frees the names. */
static int push_chain(struct fp_syms *s, const struct fp_frame *f, struct inline_chain *c)
{
    int rc = 0;
    for (int i = 0; i < c->n; i++) {
        struct fp_frame g = *f;
        g.func = c->names[i] ? istr(s, c->names[i]) : NULL;
        g.file = c->files[i] ? istr(s, c->files[i]) : NULL;
        g.line = c->lines[i];
        g.inlined = i + 1 < c->n;
        uint32_t id = fp_syms_intern_frame(s, &g);
        if (id == UINT32_MAX || res_push(s, id) < 0)
            rc = -1;
        free(c->names[i]);
    }
    return rc;
}

/* md: the module (index midx) holding raw when its stack was read, or NULL. */
static int resolve_dwfl(struct fp_syms *s, uint32_t pi, uint64_t pc, uint64_t raw,
                        const struct fp_module *md, uint32_t midx, size_t *count)
{
    struct proc_syms *ps = &s->ps[pi];
    uint32_t fid;
    struct fp_symfile *fs = md && s->files ? fp_symfiles_get(s->files, pi, midx, &fid) : NULL;
    Dwfl_Module *mod = fs ? fs->mod : NULL;
    if (mod)
        pc = pc - md->base + fs->base;     /* where the file's Dwfl has it */
    struct fp_frame f = { 0 };
    if (md)
        f.module = istr(s, base_name(md->path));
    f.offset = md ? raw - md->base : raw;

    struct inline_chain c = { 0 };
    if (mod) {
        inline_chain_at(mod, pc, &c);
        /* no DWARF function: the symbol table's name */
        if (c.n == 0 || !c.names[c.n - 1]) {
            const char *sn = sym_name(s, mod, pc);
            if (sn) {
                if (c.n == 0)
                    c.n = 1;
                free(c.names[c.n - 1]);
                c.names[c.n - 1] = fp_demangle(sn);
            }
        }
    }
    if (c.n == 0 && md && md->path[0] != '[' &&
        is_sigreturn(s->use_dwfl ? (fs ? fs->file : NULL) : md->path, raw - md->base)) {
        c.n = 1;
        c.names[0] = strdup(FP_SIGRETURN_NAME);
    }
    /* a module whose symbol table names other addresses has symbols: only
     * this address has no name (code between symbols, a stripped local) */
    int has_symtab = mod && dwfl_module_getsymtab(mod) > 0;
    if (c.n == 0) {
        c.n = 1;
        /* once a file, or a process's module that is none */
        uint8_t no = 0, *warned = fs ? &fs->warned : md && ps->warned ? &ps->warned[midx] : &no;
        if (md && !has_symtab && !*warned && s->warn && md->path[0] != '[') {
            fprintf(s->warn, "faultprof-report: warning: no symbols for %s; its frames show as "
                    "module+offset (build it with -g and don't strip it)\n", md->path);
        }
        *warned = 1;
    }
    *count = (size_t)c.n;
    return push_chain(s, &f, &c);
}

/* The key of addr (in module md, index midx of process pi) in the cache of
 * all processes: its file's number, exact and its offset in the file; 0
 * when it has none (no file, an offset past 2^40). */
static uint64_t file_key(struct fp_syms *s, uint32_t pi, const struct fp_module *md,
                         uint32_t midx, uint64_t addr, int exact)
{
    uint32_t fid;
    if (!md || !s->files || addr - md->base >= 1ULL << 40 ||
        !fp_symfiles_get(s->files, pi, midx, &fid) || fid >= (1u << 22) - 1)
        return 0;
    return (uint64_t)(fid + 1) << 41 | (uint64_t)(exact != 0) << 40 | (addr - md->base);
}

/* exact: addr is an instruction (a fault's ip), not a return address.  The
 * cache keeps both kinds apart with bit 63 (no user address has it). */
static int resolve(struct fp_syms *s, uint32_t pi, uint32_t gen, uint64_t addr, int exact,
                   const uint32_t **ids)
{
    struct proc_syms *ps = &s->ps[pi];
    if (!ps->ready)
        proc_setup(s, pi);
    uint64_t key = (addr + 1) ^ (exact ? 1ULL << 63 : 0);
    uint32_t midx = 0;
    const struct fp_module *md = NULL;
    /* an unloaded module's addresses may be another's later: key them apart
     * (user addresses stay below bit 48).  With no module unloaded, the key
     * is the address's whatever its module, and an address seen before
     * needs no module lookup. */
    if (ps->unloads) {
        md = fp_module_at(&s->m->procs[pi], addr, gen, &midx);
        if (md && md->unloaded) {
            midx = canon_module(s, pi, midx);
            md = &s->m->procs[pi].mods[midx];
            key ^= (uint64_t)((midx + 1) & 0x7fff) << 48;
        }
    }
    uint32_t *v = key ? hmap_get(&ps->cache, key) : NULL;
    if (!v) {
        if (!ps->unloads)
            md = fp_module_at(&s->m->procs[pi], addr, gen, &midx);
        /* the same offset in the same file, as another process had it */
        uint64_t xkey = file_key(s, pi, md, midx, addr, exact);
        uint32_t at;
        if ((v = xkey ? hmap_get(&s->xcache, xkey) : NULL) != NULL) {
            at = *v;
        } else {
            size_t count = 0;
            at = (uint32_t)s->nres;
            if (res_push(s, 0) < 0 ||
                resolve_dwfl(s, pi, exact || !addr ? addr : addr - 1, addr, md, midx, &count) < 0)
                return -1;
            s->res[at] = (uint32_t)count;
            if (xkey && hmap_put(&s->xcache, xkey, at) < 0)
                return -1;
        }
        if (key != 0 && hmap_put(&ps->cache, key, at) < 0)
            return -1;
        *ids = s->res + at + 1;
        return (int)s->res[at];
    }
    *ids = s->res + *v + 1;
    return (int)s->res[*v];
}

int fp_syms_resolve(struct fp_syms *s, uint32_t pi, uint32_t gen, uint64_t addr,
                    const uint32_t **ids)
{
    return resolve(s, pi, gen, addr, 0, ids);
}

int fp_syms_resolve_ip(struct fp_syms *s, uint32_t pi, uint32_t gen, uint64_t addr,
                       const uint32_t **ids)
{
    return resolve(s, pi, gen, addr, 1, ids);
}

struct fp_syms *fp_syms_new(const struct fp_model *m, FILE *warn, int use_dwfl)
{
    struct fp_syms *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->m = m;
    s->warn = warn;
    s->use_dwfl = use_dwfl;
    s->ps = calloc(m->nprocs ? m->nprocs : 1, sizeof(*s->ps));
    if (!s->ps || (use_dwfl && !(s->files = fp_symfiles_new(m, warn)))) {
        free(s->ps);
        free(s);
        return NULL;
    }
    return s;
}

void fp_syms_free(struct fp_syms *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->m->nprocs; i++) {
        free(s->ps[i].canon);
        hmap_free(&s->ps[i].canon_tab);
        hmap_free(&s->ps[i].cache);
        free(s->ps[i].warned);
    }
    fp_symfiles_free(s->files);
    hmap_free(&s->xcache);
    for (size_t i = 0; s->strs && i <= s->str_mask; i++)
        free(s->strs[i]);
    free(s->strs);
    free(s->ps);
    free(s->frames);
    free(s->ftab);
    free(s->res);
    free(s->ranges);
    for (size_t i = 0; i < s->nmods; i++)
        fp_symindex_free(s->mods[i].x);
    free(s->mods);
    free(s);
}
