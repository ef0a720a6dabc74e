#!/bin/bash
# The compatibility matrix, Rust rows (tests/compat/lib.sh says how a row
# runs): a multi-threaded std program, and rustc itself compiling a
# 200-line program with -O (then the program it built runs).  rustc is not
# a Debian package: $HOME/.cargo/bin/rustc or rustc on PATH, else the rows
# skip.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/compat/lib.sh
. "$(dirname "$0")/../compat/lib.sh"

if ! rustc=$(compat_find_rustc); then
    compat_skip rust-threads "no rustc in \$HOME/.cargo/bin or on PATH"
    compat_skip rustc "no rustc in \$HOME/.cargo/bin or on PATH"
    compat_done
fi
echo "rustc: $rustc, $("$rustc" --version)"

# Symbols are kept (no -g needed for function names); the program's
# allocations are made in std's and alloc's functions, on its threads.
"$rustc" -O -o "$TMPDIR/compat_threads" "$COMPAT_DIR/threads.rs" ||
    die "rustc cannot compile tests/compat/threads.rs"
compat_row rust-threads '^(alloc|std|core)::|^<(alloc|std|core)::|compat_work' \
    "$TMPDIR/compat_threads"

# rustc's own code is in librustc_driver-*.so, with its symbols.  rustc's
# allocator is a jemalloc linked into the rustc executable: the shim sees
# its mmaps (jemalloc's pages_map), not its mallocs, so the functions named
# are those that mmap (memmap2's, reading crate metadata) and those that
# fault (rustc_middle::..., sampled).  The linker it runs (cc, ld) is traced
# too.
ROW_SITES_FROM='rustc.*' compat_row rustc '^librustc_driver\S* [^?]' \
    "$COMPAT_DIR/compile_run.sh" "$TMPDIR/compat_rustc_out" \
    "$rustc" -O -o "$TMPDIR/compat_rustc_out" "$COMPAT_DIR/rustc_input.rs"

compat_done
