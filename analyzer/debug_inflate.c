/* debug_inflate: a debug file's zlib sections inflated with libdeflate
 * (debug_inflate.h).  The copy is laid out here (ELF_F_LAYOUT): the ELF
 * header, the program headers after it, then every section in its order at
 * its alignment, the section headers last. */
#include "debug_inflate.h"

#include <gelf.h>
#include <libdeflate.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The number of zlib-compressed sections of e; -1 when a section is
 * compressed another way (zstd) or unreadable: left to libdw. */
static int zlib_sections(Elf *e)
{
    int n = 0;
    for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s)) != NULL;) {
        GElf_Shdr sh;
        GElf_Chdr ch;
        if (!gelf_getshdr(s, &sh))
            return -1;
        if (!(sh.sh_flags & SHF_COMPRESSED))
            continue;
        if (sh.sh_type == SHT_NOBITS || !gelf_getchdr(s, &ch) || ch.ch_type != ELFCOMPRESS_ZLIB)
            return -1;
        n++;
    }
    return n;
}

/* Section s's bytes inflated (its header's ch_size of them, malloc'd), or
 * NULL when they do not inflate to exactly that. */
static void *inflate_section(struct libdeflate_decompressor *d, Elf_Scn *s, int cls,
                             const GElf_Chdr *ch)
{
    size_t hdr = cls == ELFCLASS64 ? sizeof(Elf64_Chdr) : sizeof(Elf32_Chdr);
    Elf_Data *raw = elf_rawdata(s, NULL);
    if (!raw || raw->d_size < hdr || ch->ch_size > SIZE_MAX / 2)
        return NULL;
    void *out = malloc(ch->ch_size ? ch->ch_size : 1);
    size_t got = 0;
    if (out && libdeflate_zlib_decompress(d, (const char *)raw->d_buf + hdr, raw->d_size - hdr,
                                          out, ch->ch_size, &got) == LIBDEFLATE_SUCCESS &&
        got == ch->ch_size)
        return out;
    free(out);
    return NULL;
}

/* Section s of the copy: its header (offset from *off, which moves past
 * it) and its bytes, inflated into a buffer kept in *keep when compressed,
 * else in's own.  0, or -1. */
static int copy_section(Elf *out, Elf_Scn *s, int cls, struct libdeflate_decompressor *d,
                        uint64_t *off, void **keep)
{
    GElf_Shdr sh;
    Elf_Scn *ns = elf_newscn(out);
    if (!ns || !gelf_getshdr(s, &sh))
        return -1;
    const void *bytes = NULL;
    if (sh.sh_flags & SHF_COMPRESSED) {
        GElf_Chdr ch;
        if (!gelf_getchdr(s, &ch) || !(*keep = inflate_section(d, s, cls, &ch)))
            return -1;
        bytes = *keep;
        sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
        sh.sh_size = ch.ch_size;
        sh.sh_addralign = ch.ch_addralign;
    } else if (sh.sh_type != SHT_NOBITS && sh.sh_size) {
        Elf_Data *raw = elf_rawdata(s, NULL);
        if (!raw || raw->d_size != sh.sh_size)
            return -1;
        bytes = raw->d_buf;
    }
    uint64_t align = sh.sh_addralign > 1 ? sh.sh_addralign : 1;
    if (align & (align - 1))
        return -1;
    *off = (*off + align - 1) & ~(align - 1);
    sh.sh_offset = *off;
    if (bytes) {
        Elf_Data *nd = elf_newdata(ns);
        if (!nd)
            return -1;
        nd->d_buf = (void *)bytes;
        nd->d_size = sh.sh_size;
        nd->d_type = ELF_T_BYTE;
        nd->d_align = align;
        nd->d_version = EV_CURRENT;
        *off += sh.sh_size;
    }
    return gelf_update_shdr(ns, &sh) ? 0 : -1;
}

/* Writes the copy of in to fd.  0, or -1. */
static int write_copy(Elf *in, int fd, struct libdeflate_decompressor *d)
{
    int cls = gelf_getclass(in), rc = -1;
    size_t nph, nsec, k = 0;
    GElf_Ehdr eh;
    if (!gelf_getehdr(in, &eh) || elf_getphdrnum(in, &nph) || elf_getshdrnum(in, &nsec) ||
        nsec >= SHN_LORESERVE || eh.e_shstrndx >= SHN_LORESERVE)
        return -1;
    void **keep = calloc(nsec ? nsec : 1, sizeof(*keep));
    Elf *out = keep ? elf_begin(fd, ELF_C_WRITE, NULL) : NULL;
    if (!out || !gelf_newehdr(out, cls) || (nph && !gelf_newphdr(out, nph)))
        goto done;
    elf_flagelf(out, ELF_C_SET, ELF_F_LAYOUT);
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(in, (int)i, &ph) || !gelf_update_phdr(out, (int)i, &ph))
            goto done;
    }
    uint64_t off = (uint64_t)eh.e_ehsize + (uint64_t)nph * eh.e_phentsize;
    for (Elf_Scn *s = NULL; (s = elf_nextscn(in, s)) != NULL; k++)
        if (copy_section(out, s, cls, d, &off, &keep[k]) < 0)
            goto done;
    eh.e_phoff = nph ? eh.e_ehsize : 0;
    eh.e_shoff = (off + 7) & ~(uint64_t)7;
    if (gelf_update_ehdr(out, &eh) && elf_update(out, ELF_C_WRITE) >= 0)
        rc = 0;
done:
    if (out)
        elf_end(out);
    for (size_t i = 0; keep && i < nsec; i++)
        free(keep[i]);
    free(keep);
    return rc;
}

int fp_debug_inflated(int fd)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fd;
    Elf *in = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    int out = -1;
    if (in && elf_kind(in) == ELF_K_ELF && zlib_sections(in) > 0) {
        struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
        out = d ? memfd_create("faultprof-debug", MFD_CLOEXEC) : -1;
        if (out >= 0 && write_copy(in, out, d) < 0) {
            close(out);
            out = -1;
        }
        if (d)
            libdeflate_free_decompressor(d);
    }
    elf_end(in);
    if (out < 0)
        return fd;
    close(fd);
    return out;
}
