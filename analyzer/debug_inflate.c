/* debug_inflate: a debug file's zlib sections inflated with libdeflate
 * (debug_inflate.h).  The copy is laid out here: the ELF header, the
 * program headers after it, then every section in its order at its
 * alignment, the section headers last.  Its size is known before a byte is
 * inflated, so the memfd is sized and mapped once, its pages made in one
 * call (MAP_POPULATE, up to POPULATE_MAX), and each section inflated
 * straight into place: no buffer per section, no copy through write(2).
 *
 * Only ELFCLASS64 files in the host's byte order are copied: their headers
 * as libelf returns them are their bytes in the file.  Other files are left
 * to libdw, which reads them as they are. */
#include "debug_inflate.h"

#include <endian.h>
#include <gelf.h>
#include <libdeflate.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

/* Sections symbolization never reads: variables' locations.  The copy
 * keeps their headers as SHT_NOBITS (stripped), which libdw skips, and
 * inflates none of their bytes (libc's .debug_loclists is 1.4 MB). */
static bool unread(const char *name)
{
    return name && (!strcmp(name, ".debug_loclists") || !strcmp(name, ".debug_loc"));
}

/* One section of the copy: its header there, and where its bytes come
 * from (src, len: the file's bytes, inflated when z). */
struct part {
    Elf64_Shdr sh;
    const unsigned char *src;
    size_t len;
    bool z;
};

#define MAX_RATIO 1032u
/* Copies up to this size have their pages made in one call (MAP_POPULATE:
 * libc's 10 MB took 2400 page faults fewer, 8% of alloc_heavy's report);
 * larger ones fault them in as they are inflated, so that a damaged size
 * costs no memory it does not fill. */
#define POPULATE_MAX ((uint64_t)256 << 20)

struct copy {
    Elf64_Ehdr eh;
    const Elf64_Phdr *ph;
    size_t nph;
    struct part *s;             /* s[0]: the null section */
    size_t nsec;
    uint64_t size;
};

/* Section i of in into c->s[i], placed at *off (which moves past it).
 * 1 when it is zlib-compressed, 0 when not, -1 when the copy cannot hold
 * it (another compression, a damaged header). */
static int plan_section(Elf *in, Elf_Scn *scn, size_t shstrndx, struct part *p, uint64_t *off)
{
    const Elf64_Shdr *sh = elf64_getshdr(scn);
    if (!sh)
        return -1;
    p->sh = *sh;
    int z = 0;
    if (p->sh.sh_type == SHT_NOBITS || p->sh.sh_size == 0) {
        /* no bytes */
    } else if (unread(elf_strptr(in, shstrndx, p->sh.sh_name))) {
        p->sh.sh_type = SHT_NOBITS;
        p->sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
    } else {
        Elf_Data *raw = elf_rawdata(scn, NULL);
        if (!raw || raw->d_size != p->sh.sh_size)
            return -1;
        p->src = raw->d_buf;
        p->len = raw->d_size;
        if (p->sh.sh_flags & SHF_COMPRESSED) {
            const Elf64_Chdr *ch = elf64_getchdr(scn);
            /* deflate expands at most 1032 to 1: a size beyond is damage */
            if (!ch || ch->ch_type != ELFCOMPRESS_ZLIB || p->len < sizeof(*ch) ||
                ch->ch_size / MAX_RATIO > p->len)
                return -1;
            p->src += sizeof(*ch);
            p->len -= sizeof(*ch);
            p->sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
            p->sh.sh_size = ch->ch_size;
            p->sh.sh_addralign = ch->ch_addralign;
            p->z = true;
            z = 1;
        }
    }
    uint64_t align = p->sh.sh_addralign > 1 ? p->sh.sh_addralign : 1;
    if ((align & (align - 1)) || align > 65536)   /* damage: no section needs more */
        return -1;
    *off = (*off + align - 1) & ~(align - 1);
    p->sh.sh_offset = *off;
    if (p->sh.sh_type != SHT_NOBITS)
        *off += p->sh.sh_size;
    return z;
}

/* The copy of in planned into c: the number of zlib sections, or -1 when
 * in is not a file this copy makes. */
static int plan(Elf *in, struct copy *c)
{
    const Elf64_Ehdr *eh = elf64_getehdr(in);
    size_t nph, shstrndx;
    if (!eh || eh->e_ident[EI_DATA] != HOST_DATA || elf_getphdrnum(in, &nph) ||
        elf_getshdrnum(in, &c->nsec) || elf_getshdrstrndx(in, &shstrndx) ||
        c->nsec >= SHN_LORESERVE || c->nsec == 0 || shstrndx >= SHN_LORESERVE ||
        nph >= PN_XNUM || (nph && eh->e_phentsize != sizeof(Elf64_Phdr)) ||
        eh->e_shentsize != sizeof(Elf64_Shdr))
        return -1;
    c->eh = *eh;
    c->nph = nph;
    c->ph = nph ? elf64_getphdr(in) : NULL;
    c->s = calloc(c->nsec, sizeof(*c->s));
    const Elf64_Shdr *null_sh = elf64_getshdr(elf_getscn(in, 0));
    if ((nph && !c->ph) || !c->s || !null_sh)
        return -1;
    c->s[0].sh = *null_sh;
    uint64_t off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
    int nz = 0;
    for (size_t i = 1; i < c->nsec; i++) {
        Elf_Scn *scn = elf_getscn(in, i);
        int z = scn ? plan_section(in, scn, shstrndx, &c->s[i], &off) : -1;
        if (z < 0)
            return -1;
        nz += z;
    }
    c->eh.e_phoff = nph ? sizeof(Elf64_Ehdr) : 0;
    c->eh.e_shoff = (off + 7) & ~(uint64_t)7;
    c->size = c->eh.e_shoff + c->nsec * sizeof(Elf64_Shdr);
    return nz;
}

/* c written into map (c->size bytes, zeroed).  0, or -1 when a section
 * does not inflate to its size. */
static int fill(const struct copy *c, unsigned char *map, struct libdeflate_decompressor *d)
{
    memcpy(map, &c->eh, sizeof(c->eh));
    if (c->ph)
        memcpy(map + c->eh.e_phoff, c->ph, c->nph * sizeof(Elf64_Phdr));
    Elf64_Shdr *out = (Elf64_Shdr *)(map + c->eh.e_shoff);
    for (size_t i = 0; i < c->nsec; i++) {
        const struct part *p = &c->s[i];
        out[i] = p->sh;
        if (!p->src)
            continue;
        unsigned char *to = map + p->sh.sh_offset;
        size_t got = 0;
        if (!p->z)
            memcpy(to, p->src, p->len);
        else if (libdeflate_zlib_decompress(d, p->src, p->len, to, p->sh.sh_size, &got) !=
                     LIBDEFLATE_SUCCESS ||
                 got != p->sh.sh_size)
            return -1;
    }
    return 0;
}

/* The copy c of in, in a new memfd, or -1 */
static int write_copy(const struct copy *c)
{
    if (c->size > SIZE_MAX / 2)
        return -1;
    int out = memfd_create("faultprof-debug", MFD_CLOEXEC);
    if (out < 0)
        return -1;
    struct libdeflate_decompressor *d = NULL;
    void *map = MAP_FAILED;
    if (ftruncate(out, (off_t)c->size) == 0)
        map = mmap(NULL, c->size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | (c->size <= POPULATE_MAX ? MAP_POPULATE : 0), out, 0);
    if (map != MAP_FAILED)
        d = libdeflate_alloc_decompressor();
    int rc = d ? fill(c, map, d) : -1;
    if (d)
        libdeflate_free_decompressor(d);
    if (map != MAP_FAILED)
        munmap(map, c->size);
    if (rc < 0) {
        close(out);
        return -1;
    }
    return out;
}

int fp_debug_inflated(int fd)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fd;
    Elf *in = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    struct copy c = { 0 };
    int out = -1;
    if (in && elf_kind(in) == ELF_K_ELF && gelf_getclass(in) == ELFCLASS64 && plan(in, &c) > 0)
        out = write_copy(&c);
    free(c.s);
    elf_end(in);
    if (out < 0)
        return fd;
    close(fd);
    return out;
}
