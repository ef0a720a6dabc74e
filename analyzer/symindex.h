/* symindex: a module's symbol table sorted by address, answering what
 * dwfl_module_addrinfo answers without its linear search of every symbol
 * for every address (libLLVM's 44,000 and libclang-cpp's 29,000 took a
 * clang trace's report 35 s).
 * The choice among candidates is elfutils' own (libdwfl's
 * __libdwfl_addrsym, 0.188): globals before locals, the closest sized
 * symbol holding the address, then binding and size; else the sizeless
 * label in the address's section that no symbol's range passes.
 * tests/unit/test_symindex.c checks the two agree on every address it
 * tries in the modules of a running process. */
#ifndef FAULTPROF_ANALYZER_SYMINDEX_H
#define FAULTPROF_ANALYZER_SYMINDEX_H

#include <elfutils/libdwfl.h>
#include <gelf.h>

struct fp_symindex;

/* The index of mod's symbol table, or NULL where it cannot stand in for
 * elfutils (out of memory; a machine with function descriptors, ppc64,
 * whose symbols have two addresses): then ask dwfl_module_addrinfo. */
struct fp_symindex *fp_symindex_new(Dwfl_Module *mod);
void fp_symindex_free(struct fp_symindex *x);

/* As dwfl_module_addrinfo(mod, addr, off, sym, NULL, NULL, NULL): the
 * name, or NULL; *off and *sym set when a name is returned. */
const char *fp_symindex_lookup(const struct fp_symindex *x, Dwfl_Module *mod, GElf_Addr addr,
                               GElf_Off *off, GElf_Sym *sym);

#endif
