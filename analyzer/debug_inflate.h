/* debug_inflate: a separate debug file's compressed sections inflated with
 * libdeflate before libdw opens it.  Distribution debug files (libc6-dbg,
 * the -dbgsym packages, debuginfod's) keep .debug_info, .debug_line and the
 * rest zlib-compressed (SHF_COMPRESSED), and libdw inflates them all with
 * zlib when it opens the file: libc's 10 MB took 33 ms with zlib, 12.5 ms
 * with libdeflate.  The copy lives in a memfd, sections in their order and
 * indices (their links stay right), the ELF and program headers as they
 * were; only the compressed sections' flag, size and alignment change, and
 * the variables' location lists (.debug_loc, .debug_loclists), which
 * symbolization never reads, are left out as SHT_NOBITS. */
#ifndef FP_DEBUG_INFLATE_H
#define FP_DEBUG_INFLATE_H

/* The debug file open at fd, its zlib-compressed sections inflated, as a
 * new descriptor (fd is closed); fd itself when no section is compressed
 * or the copy cannot be made (another compression, a damaged section, no
 * memfd: libdw then reads fd as before). */
int fp_debug_inflated(int fd);

#endif
