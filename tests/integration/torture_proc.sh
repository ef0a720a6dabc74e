#!/bin/bash
# Torture: fork from a multi-threaded program while its threads allocate,
# fork chains, posix_spawn, vfork+exec, system(), exec of a static binary.
# Same stdout and status with and without the shim; every traced process
# has a readable trace with exactly its own allocations.
# TORTURE_LOOPS (default 1) repeats the fork-while-allocating case.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog tort_proc)

# report_all: report_json over every trace of the last compare_runs
report_all() {
    readable "${TRACES[@]}"
    report_json "${TRACES[@]}" || die "report failed: $(cat "$REPORT_JSON.err")"
}

# the same where seccomp denies membarrier (and perf_event_open): the fork
# gate's hot half falls back to a locked store, and no fork deadlocks
noperf=$(require_prog rec_noperf)
rm -f "$TMPDIR"/fn.*
compare_runs fn "$noperf" "$prog" forkthreads 20 || die "forkthreads without membarrier: the traced run differs"
report_all
expect_func child_work allocations 2000
expect_func child_work frees 2000

# fork while 4 threads allocate: 20 forks a run
for i in $(seq "${TORTURE_LOOPS:-1}"); do
    rm -f "$TMPDIR"/ft.*
    compare_runs ft "$prog" forkthreads 20 || die "forkthreads (run $i): the traced run differs"
    report_all
    assert_eq "${#TRACES[@]}" 21 "forkthreads: trace files"
    assert_eq "$("$PY" "$TORTURE/fpq.py" procs <"$REPORT_JSON")" 21 "forkthreads: processes"
    expect_func child_work allocations 2000
    expect_func child_work frees 2000
    spin=$(sed -n 's/^spin //p' "$TRACED_ERR")
    expect_func spin_work allocations "$spin"
    expect_func spin_work frees "$spin"
done

# a fork chain: child of child of child...
compare_runs chain "$prog" chain 5 || die "chain: the traced run differs"
report_all
assert_eq "${#TRACES[@]}" 6 "chain: trace files"
expect_func child_work allocations 600

# posix_spawn, vfork+exec, system(): the started program is traced too
compare_runs spawn "$prog" spawn || die "spawn: the traced run differs"
report_all
assert_eq "${#TRACES[@]}" 2 "spawn: trace files"
expect_func leaf_work allocations 50

compare_runs vfork "$prog" vfork || die "vfork: the traced run differs"
report_all
assert_eq "${#TRACES[@]}" 2 "vfork: trace files"
expect_func leaf_work allocations 60

compare_runs system "$prog" system || die "system: the traced run differs"
report_all
# tort_proc, /bin/sh (unless it execs the command itself) and the leaf
[ "${#TRACES[@]}" -ge 2 ] || die "system: ${#TRACES[@]} trace files"
expect_func leaf_work allocations 70

# exec of a static binary: not traced, but it runs and says the same
gcc -static -O2 -o "$TMPDIR/tort_static" "$TORTURE/tort_static.c" 2>"$TMPDIR/cc.err" ||
    skip "gcc -static does not work here: $(head -n 1 "$TMPDIR/cc.err")"
compare_runs static "$prog" exec "$TMPDIR/tort_static" arg || die "exec static: the traced run differs"
assert_contains "$(cat "$TRACED_OUT")" "static arg sum " "exec static: output"
assert_eq "$TRACED_END" "exit 3" "exec static: status"
report_all
assert_eq "${#TRACES[@]}" 1 "exec static: trace files"
expect_func main_work allocations 10
assert_eq "$(dump_count EXEC "$TRACE")" 1 "exec static: EXEC records"

torture_done
