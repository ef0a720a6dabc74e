#!/bin/bash
# Torture: the shim in front of jemalloc, mimalloc and tcmalloc (LD_PRELOAD
# "$SHIM other.so"): the same programs give the same output as with that
# allocator alone, and their traces hold the same exact counts as over
# glibc's malloc.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
threads=$(require_prog tort_threads)
pressure=$(require_prog tort_pressure)
exc=$(require_prog tort_exc)
proc=$(require_prog tort_proc)
CAPTURE_TIMEOUT=60
libdir=/usr/lib/x86_64-linux-gnu
found=0

for lib in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc_minimal.so.4; do
    [ -f "$libdir/$lib" ] || { echo "no $libdir/$lib (scripts/install-deps.sh installs it)"; continue; }
    found=$((found + 1))
    name=${lib%%.so*}
    export PRELOAD_EXTRA=$libdir/$lib

    compare_runs "$name-threads" "$threads" loop 2 300 || die "$name: tort_threads loop differs"
    report_json "${TRACES[@]}" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    expect_func thread_churn allocations 38400
    expect_func thread_churn frees 38400

    compare_runs "$name-cross" "$threads" cross 5000 || die "$name: tort_threads cross differs"
    report_json "${TRACES[@]}" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    expect_func cross_alloc allocations 20000
    expect_func cross_alloc frees 20000
    # blocks of 24-123 B: none is served by its own mmap; the shim reads
    # glibc's chunk header only in front of glibc's malloc (tcmalloc and
    # mimalloc define __libc_malloc too)
    assert_eq "$(summary mmapped_allocations)" 0 "$name: mmapped allocations"
    "$REPORT" --dump -q "$TRACE" | grep -q '^PROCESS .* flags=0x[0-9a-f]*[02468ace] ' ||
        die "$name: the trace says the allocator is glibc's (PROCESS flag 0x1)"

    compare_runs "$name-edge" "$pressure" edge nopvalloc || die "$name: tort_pressure edge differs"
    report_json "${TRACES[@]}" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    # the calls that fail may differ between allocators: check it is the
    # number the program saw fail
    fails=$(grep -v '^mmap' "$TRACED_OUT" | grep -c -e ' NULL  *-> yes' -e 'EINVAL *-> yes' -e 'ENOMEM *-> yes' || true)
    echo "$name: $fails failed calls"
    assert_eq "$(summary failed_allocations)" "$fails" "$name: failed allocations"

    compare_runs "$name-exc" "$exc" 1000 || die "$name: tort_exc differs"
    report_json "${TRACES[@]}" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    expect_func frame_alloc allocations 4000
    expect_func frame_alloc frees 4000

    compare_runs "$name-fork" "$proc" forkthreads 5 || die "$name: tort_proc forkthreads differs"
    report_json "${TRACES[@]}" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    expect_func child_work allocations 500
    expect_func spin_work allocations "$(sed -n 's/^spin //p' "$TRACED_ERR")"
done
unset PRELOAD_EXTRA
[ "$found" -gt 0 ] || skip "none of jemalloc, mimalloc, tcmalloc is installed"
torture_done
