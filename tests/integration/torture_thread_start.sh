#!/bin/bash
# Torture: threads whose first call is pthread_getattr_np (the JVM, Ruby and
# Rust's std ask for their stack bounds first thing).  glibc holds the
# thread's own lock while that call reallocs; a recorder that asked glibc
# for the stack from that realloc waited for ever (java -version, rustc and
# ruby hung).  Threads made by pthread_create, by libc's own pthread_create
# looked up past the shim, and by thrd_create; with glibc's malloc and with
# jemalloc, mimalloc and tcmalloc under the shim (their own mmaps are then
# a thread's first calls, made inside the allocator's locks); at the
# default fault period and at 1.  Same stdout and status, and every
# thread's block is in the trace.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog rec_getattr)
CAPTURE_TIMEOUT=20
n=6

allocators=("")
for lib in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc_minimal.so.4; do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
    if [ -n "$path" ]; then allocators+=("$path"); else echo "no $lib: not tested"; fi
done

for extra in "${allocators[@]}"; do
    for period in "" 1; do
        label="${extra:+${extra##*/} }period ${period:-default}"
        PRELOAD_EXTRA=$extra FAULTPROF_FAULT_PERIOD=$period compare_runs run "$prog" "$n" ||
            die "$label: the traced run differs (ended $TRACED_END)"
        assert_contains "$(cat "$TRACED_OUT")" "pthread_create $n, libc's $n, thrd_create $n of $n" "$label"
        readable "${TRACES[@]}"
        report_json "${TRACES[@]}" || die "$label: report failed: $(cat "$REPORT_JSON.err")"
        expect_func thread_block allocations $((3 * n))
        rm -f "${TRACES[@]}"
        echo "ok: $label ($(summary threads) threads)"
    done
done
