#!/bin/bash
# Torture: the fork gate while the forking thread is held up after the gate
# has closed.  The program links a library (tests/progs/dso/atfork_lib.c)
# whose constructor runs before the shim's, so its atfork prepare handler
# runs after the shim's has closed the gate.  Three threads allocate in a
# tight loop meanwhile.
#  - the handler sleeps 300 ms (what a loaded machine does to the forking
#    thread): no call may be dropped, the threads' allocations are counted
#    exactly, in the parent's trace;
#  - the handler takes a lock that a thread holds while it allocates (the
#    deadlock that a thread waiting at the gate would make): the program
#    must still finish with the same output, every trace readable, and each
#    call of the threads recorded or counted as dropped.
#  - the handler waits until a thread has allocated once more, on a
#    semaphore (a wait whose owner cannot be known: the threads at the gate
#    go on after 1 s) or spinning (a forking thread that looks busy: they go
#    on after 5 s); without these limits the program would hang.
# All: same stdout and status as natively, a trace per process, each
# child's own allocations exact.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
CAPTURE_TIMEOUT=60
src=$TESTS/progs/dso
${CC:-cc} -O2 -g -fPIC -shared -pthread -o "$TMPDIR/libatforklate.so" "$src/atfork_lib.c" ||
    die "cannot build the library"
${CC:-cc} -O2 -g -pthread -o "$TMPDIR/atfork_main" "$src/atfork_main.c" \
    -Wl,--no-as-needed -L"$TMPDIR" -latforklate -Wl,-rpath,"$TMPDIR" ||
    die "cannot build the program"
prog=$TMPDIR/atfork_main

# the parent's trace: the lowest pid (ls -tr would give the last written)
parent_trace() {
    printf '%s\n' "${TRACES[@]}" | sort -t. -k2,2n | head -n 1
}

check_children() {
    local forks=$1 label=$2
    assert_eq "$(cat "$TRACED_OUT")" "forked $forks, ok $forks" "$label: output"
    assert_eq "${#TRACES[@]}" $((forks + 1)) "$label: traces (the parent and each child)"
    readable "${TRACES[@]}"
    report_json "${TRACES[@]}" || die "$label: report failed: $(cat "$REPORT_JSON.err")"
    expect_func child_alloc allocations $((forks * 100))
    expect_func child_alloc frees $((forks * 100))
}

# the forking thread held up for 300 ms at each of 3 forks
forks=3
compare_runs sleep "$prog" sleep 300 "$forks" || die "sleep: the traced run differs (ended $TRACED_END)"
check_children "$forks" sleep
spin=$(sed -n 's/^spin //p' "$TRACED_ERR")
report_json "$(parent_trace)" || die "sleep: report failed: $(cat "$REPORT_JSON.err")"
assert_eq "$(summary dropped_calls)" 0 "sleep: calls dropped at the fork gate"
expect_func spin_alloc allocations "$spin"
expect_func spin_alloc frees "$spin"
echo "ok: sleep, $spin allocations"

# the handler waits for a lock a thread at the gate holds
forks=20
rm -f "${TRACES[@]}"
compare_runs lock "$prog" lock "$forks" || die "lock: the traced run differs (ended $TRACED_END)"
check_children "$forks" lock
spin=$(sed -n 's/^spin //p' "$TRACED_ERR")
report_json "$(parent_trace)" || die "lock: report failed: $(cat "$REPORT_JSON.err")"
allocs=$(func_field spin_alloc allocations)
[ "$allocs" -le "$spin" ] || die "lock: more spin_alloc allocations recorded ($allocs) than made ($spin)"
# every call recorded or counted (a free whose malloc was dropped is an
# unmatched one)
dropped=$(summary dropped_calls)
seen=$(($(summary allocations) + $(summary frees) + $(summary unmatched_frees) + dropped))
[ "$seen" -ge $((2 * spin)) ] ||
    die "lock: $((2 * spin - seen)) calls neither recorded nor counted as dropped"
echo "ok: lock, $allocs of $spin allocations recorded, $dropped calls dropped"

# elapsed S0: seconds since S0 (date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# the handler waits on a semaphore a thread at the gate would post: the
# wait's owner is unknown, so the threads stop waiting for the gate after 1 s
forks=2
rm -f "${TRACES[@]}"
t0=$(date +%s.%N)
compare_runs sem "$prog" sem "$forks" || die "sem: the traced run differs (ended $TRACED_END)"
took=$(elapsed "$t0")
check_children "$forks" sem
awk -v t="$took" -v f="$forks" 'BEGIN { exit !(t >= 0.9 * f && t < 4 * f) }' ||
    die "sem: $forks forks took $took s, expected about 1 s each (the limit for a wait nobody owns)"
echo "ok: sem, $forks forks in $took s"

# the handler spins until a thread at the gate allocates: the forking thread
# looks busy, so the threads wait for the gate until the 5 s limit
forks=1
rm -f "${TRACES[@]}"
t0=$(date +%s.%N)
compare_runs spin "$prog" spin "$forks" || die "spin: the traced run differs (ended $TRACED_END)"
took=$(elapsed "$t0")
check_children "$forks" spin
awk -v t="$took" 'BEGIN { exit !(t >= 4.5 && t < 20) }' ||
    die "spin: the fork took $took s, expected the 5 s limit"
echo "ok: spin, a fork in $took s"
