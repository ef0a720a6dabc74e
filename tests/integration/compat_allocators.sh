#!/bin/bash
# The compatibility matrix, allocator rows (tests/compat/lib.sh says how a
# row runs): tests/compat/allocators.c (4 threads of malloc, calloc,
# realloc, posix_memalign, free) with jemalloc, mimalloc and tcmalloc
# preloaded AFTER the shim, LD_PRELOAD=libfaultprof.so:libjemalloc.so.2, so
# the shim's malloc hooks forward to that allocator; natively the allocator
# alone is preloaded, and the launcher gets it in LD_PRELOAD.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/compat/lib.sh
. "$(dirname "$0")/../compat/lib.sh"

command -v gcc >/dev/null || skip "no gcc to build tests/compat/allocators.c"
gcc -O1 -g -pthread -o "$TMPDIR/compat_alloc" "$COMPAT_DIR/allocators.c" ||
    die "gcc cannot build tests/compat/allocators.c"

libdir=/usr/lib/x86_64-linux-gnu
for row in jemalloc:libjemalloc.so.2:libjemalloc2 \
    mimalloc:libmimalloc.so.2:libmimalloc2.0 \
    tcmalloc:libtcmalloc_minimal.so.4:libtcmalloc-minimal4; do
    IFS=: read -r name lib pkg <<<"$row"
    if [ ! -f "$libdir/$lib" ]; then
        compat_skip "$name" "no $libdir/$lib ($pkg)"
        continue
    fi
    ROW_PRELOAD=$libdir/$lib compat_row "$name" '^compat_alloc (compat_alloc_work|thread_main)' \
        "$TMPDIR/compat_alloc"
done

compat_done
