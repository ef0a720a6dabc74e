#!/bin/bash
# Page-fault sampling in the shim: FAULT records whose weights add up to the
# kernel's count; a program's own SIGTRAP handler (sigaction or signal) gets
# exactly its own SIGTRAPs; raise(SIGTRAP) with the default action still
# kills it the same way; with perf_event_open denied (seccomp) the program
# runs the same, stderr says why once, and the trace says "rusage".
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
trap_prog=$(require_prog rec_trap)
noperf=$(require_prog rec_noperf)

# sampling works here? (perf_event_paranoid <= 2, kernel >= 5.13)
run_traced "$trap_prog" sigaction 20
mode=$("$REPORT" --dump "$TRACE" 2>/dev/null | sed -n 's/^NOTE .*key="fault_mode" value="\(.*\)"/\1/p')
case $mode in
perf | rusage) ;;
*) die "no fault_mode note in the trace (got '$mode')" ;;
esac

for how in sigaction signal; do
    native=$("$trap_prog" "$how" 200)
    run_traced "$trap_prog" "$how" 200
    assert_eq "$(cat "$RUN_OUT")" "$native" "output with a $how SIGTRAP handler"
    assert_contains "$native" "traps=200 foreign=0" "native run"
    # and with every fault sampled, so profiler SIGTRAPs are many
    status=0
    out=$(LD_PRELOAD=$SHIM FAULTPROF_FAULT_PERIOD=1 FAULTPROF_OUTPUT="$TMPDIR/p1.%p.gz" \
        "$trap_prog" "$how" 200) || status=$?
    assert_eq "$status" 0 "exit status at period 1"
    assert_eq "$out" "$native" "output with a $how SIGTRAP handler at period 1"
done

# the default action: killed by SIGTRAP both ways, the trace readable
want=$(status "$trap_prog" default 2>/dev/null | tail -n 1)
assert_eq "$want" 133 "native status of raise(SIGTRAP)"
got=$(status env LD_PRELOAD="$SHIM" FAULTPROF_OUTPUT="$TMPDIR/d.%p.gz" "$trap_prog" default 2>/dev/null | tail -n 1)
assert_eq "$got" "$want" "traced status of raise(SIGTRAP)"
for t in "$TMPDIR"/d.*.gz; do
    "$REPORT" --format json "$t" >/dev/null 2>&1 || die "trace of the SIGTRAP death does not read"
done

if [ "$mode" = perf ]; then
    # 40000 fresh pages: the weights add up to the process's minor faults
    # within 90-105% (the rest: faults before the counter opened, in kernel
    # mode, and the profiler's own, which the handler counts, not records)
    run_traced "$trap_prog" touch 40000
    "$REPORT" --dump "$TRACE" 2>/dev/null >"$TMPDIR/dump"
    sampled=$(awk '/^FAULT .*kind=minor/ { for (i = 1; i <= NF; i++) if ($i ~ /^weight=/) { sub("weight=", "", $i); s += $i } } END { print s + 0 }' "$TMPDIR/dump")
    total=$(sed -n 's/^PROCESS_END .* minflt=\([0-9]*\) .*/\1/p' "$TMPDIR/dump")
    [ -n "$total" ] || die "no PROCESS_END minflt in the dump"
    [ "$sampled" -gt 0 ] || die "no FAULT samples recorded"
    lo=$((total * 90 / 100)) hi=$((total * 105 / 100))
    [ "$sampled" -ge "$lo" ] && [ "$sampled" -le "$hi" ] ||
        die "sampled minor faults $sampled not within 90-105% of the process's $total"
    echo "sampled $sampled of $total minor faults"
fi

if [ "$mode" = perf ]; then
    # a fork child opens counters of its own: its 50 MiB are sampled in its trace
    rm -f "$TMPDIR"/fk.*
    LD_PRELOAD=$SHIM FAULTPROF_OUTPUT="$TMPDIR/fk.%p.gz" /usr/bin/python3 -c '
import os
pid = os.fork()
if pid == 0:
    b = bytearray(50 * 1024 * 1024)
    os._exit(0)
os.waitpid(pid, 0)' || die "the forking python failed under the shim"
    child=""
    for t in "$TMPDIR"/fk.*.gz; do
        if "$REPORT" --dump "$t" 2>/dev/null | grep -q '^PROCESS .*flags=0x3'; then child=$t; fi
    done
    [ -n "$child" ] || die "no fork child trace"
    n=$("$REPORT" --dump "$child" 2>/dev/null | grep -c '^FAULT ' || true)
    # 12800 pages at period 64: about 200 samples
    [ "$n" -ge 150 ] || die "the fork child's trace has $n fault samples, expected about 200"
fi

# every fault sampled, in programs with all kinds of code (the handler
# unwinds from wherever the fault hit: prologues, leaf code, Rust)
check_period1() {
    local native traced st=0
    native=$("$@" 2>&1) || true
    traced=$(LD_PRELOAD=$SHIM FAULTPROF_FAULT_PERIOD=1 FAULTPROF_OUTPUT="$TMPDIR/all.%p.gz" "$@" 2>&1) || st=$?
    assert_eq "$st" 0 "exit status of $1 with every fault sampled"
    assert_eq "$traced" "$native" "output of $1 with every fault sampled"
}
check_period1 /usr/bin/python3 -c 'd = {i: str(i) for i in range(100000)}; print(len(d))'
check_period1 perl -e 'my @a = map { $_ x 3 } 1..100000; print scalar(@a), "\n"'
rustc=$(command -v rustc || echo /root/.cargo/bin/rustc)
if [ -x "$rustc" ] && [ -f "$TESTS/rust/rep_rust.rs" ]; then
    "$rustc" -O -g -o "$TMPDIR/rep_rust" "$TESTS/rust/rep_rust.rs" 2>/dev/null &&
        check_period1 "$TMPDIR/rep_rust"
fi

# perf events denied: same output, one line on stderr, rusage mode in the trace
native=$("$noperf" "$trap_prog" sigaction 20)
rm -f "$TMPDIR"/np.*
status=0
LD_PRELOAD=$SHIM FAULTPROF_OUTPUT="$TMPDIR/np.%e.%p.gz" "$noperf" "$trap_prog" sigaction 20 \
    >"$TMPDIR/np.out" 2>"$TMPDIR/np.err" || status=$?
assert_eq "$status" 0 "exit status without perf events"
assert_eq "$(cat "$TMPDIR/np.out")" "$native" "output without perf events"
assert_eq "$(grep -c '^faultprof: page faults are counted per thread, not sampled: perf_event_open: Permission denied' "$TMPDIR/np.err")" 1 \
    "stderr lines saying perf events are unavailable"
t=$(ls "$TMPDIR"/np.rec_trap.*.gz)
"$REPORT" --dump "$t" 2>/dev/null >"$TMPDIR/np.dump"
grep -q 'key="fault_mode" value="rusage"' "$TMPDIR/np.dump" || die "the trace does not say rusage mode"
grep -q '^FAULT ' "$TMPDIR/np.dump" && die "FAULT records without perf events"
grep -q '^RUSAGE ' "$TMPDIR/np.dump" || die "no RUSAGE records in rusage mode"
exit 0
