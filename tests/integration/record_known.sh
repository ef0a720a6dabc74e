#!/bin/bash
# A program with known allocations in known functions across three threads
# decodes to exactly those counts and sizes per function, with C's whole
# allocation family, a block glibc served by mmap, a leak, and the program's
# own mmap/mremap/munmap and sbrk calls.  The same under jemalloc, mimalloc
# and tcmalloc where installed (no mmapped flag there: not glibc's chunks).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_known)

check_counts() {
    local what=$1 pv=${2:-2}
    assert_eq "$(json_get 'site("alloc_small")["allocations"]')" 300 "$what: alloc_small allocations"
    assert_eq "$(json_get 'site("alloc_small")["bytes"]')" 7200 "$what: alloc_small bytes"
    assert_eq "$(json_get 'site("alloc_zeroed")["allocations"]')" 150 "$what: alloc_zeroed allocations"
    assert_eq "$(json_get 'site("alloc_zeroed")["bytes"]')" 12000 "$what: alloc_zeroed bytes"
    # realloc growth: every call returned a block of 64*i bytes
    assert_eq "$(json_get 'site("grow_buffer")["allocations"]')" 30 "$what: grow_buffer allocations"
    assert_eq "$(json_get 'site("grow_buffer")["bytes"]')" $((3 * 64 * 55)) "$what: grow_buffer bytes"
    assert_eq "$(json_get 'site("aligned_family")["allocations"]')" $((3 * (18 + pv))) "$what: aligned_family allocations"
    assert_eq "$(json_get 'site("aligned_family")["bytes"]')" $((3 * (500 + 640 + 1000 + 3000 + pv * 1000))) \
        "$what: aligned_family bytes"
    assert_eq "$(json_get 'site("array_family")["allocations"]')" 12 "$what: array_family allocations"
    assert_eq "$(json_get 'site("big_block")["allocations"]')" 1 "$what: big_block allocations"
    assert_eq "$(json_get 'site("leak_some")["allocations"]')" 7 "$what: leak_some allocations"
    assert_eq "$(json_get 'site("leak_some")["leaked_bytes"]')" 280 "$what: leak_some leaked bytes"
    assert_eq "$(json_get 'r["summary"]["mmap_calls"]')" 1 "$what: program mmap calls"
    assert_eq "$(json_get 'r["summary"]["munmap_calls"]')" 1 "$what: program munmap calls"
    assert_eq "$(json_get 'r["summary"]["mremap_calls"]')" 1 "$what: program mremap calls"
    assert_eq "$(json_get 'r["summary"]["brk_calls"]')" 2 "$what: program sbrk calls"
    assert_eq "$(json_get 'r["summary"]["threads"]')" 4 "$what: threads"
}

run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "exit status"
assert_eq "$(cat "$RUN_OUT")" done "program output"
assert_eq "${#TRACES[@]}" 1 "traces written"
report_json "$TRACE"
check_counts glibc
# glibc served the 8 MiB block by its own mmap; nothing else was that big
assert_eq "$(json_get 'r["summary"]["mmapped_allocations"]')" 1 "mmapped allocations"

# each entry point is recorded as itself: the allocation records (full,
# or short with the full form after " = "), not the SITEs they name
"$REPORT" --dump "$TRACE" | grep -v '^SITE ' >"$TMPDIR/dump" 2>/dev/null
for f in posix_memalign:15 aligned_alloc:15 memalign:15 valloc:9 pvalloc:6 reallocarray:12; do
    name=${f%%:*} want=${f##*:}
    got=$(grep -c " func=$name " "$TMPDIR/dump" || true)
    assert_eq "$got" "$want" "records with func=$name"
done
grep -q 'ALLOC.* func=posix_memalign .*align=64' "$TMPDIR/dump" || die "posix_memalign's alignment not recorded"

for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 \
    /usr/lib/x86_64-linux-gnu/libmimalloc.so.2 \
    /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4; do
    [ -f "$lib" ] || continue
    rm -f "$TMPDIR"/alt.*.gz
    # no pvalloc: jemalloc lacks it, and free() would get glibc's block
    out=$(LD_PRELOAD="$SHIM $lib" FAULTPROF_OUTPUT="$TMPDIR/alt.%p.gz" "$prog" no-pvalloc 2>"$TMPDIR/alt.err") ||
        die "$prog under $lib failed: $(cat "$TMPDIR/alt.err")"
    assert_eq "$out" done "output under $lib"
    report_json "$TMPDIR"/alt.*.gz
    check_counts "$(basename "$lib")" 0
done
exit 0
