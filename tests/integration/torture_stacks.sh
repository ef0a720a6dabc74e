#!/bin/bash
# Torture: small and nearly full stacks (issue: never crash the program).
# A SA_ONSTACK handler that mallocs, maps and touches pages on a sigaltstack
# only 1 KiB bigger than what it needs natively (measured here by stack
# painting, so a CPU with a bigger signal frame gets a bigger stack and what
# is tested is the recorder's own need, on any machine), and a thread that
# does the same with one signal frame (AT_MINSIGSTKSZ) and 2 KiB of its
# stack left, and with one signal frame only: a sampled fault's frame then
# leaves a few hundred bytes, which the fault handler's entry must not need
# (it moves to its own stack first; before it did, the handler's first call
# overran the stack there, on any CPU).  At the default fault period and at
# period 1, where every fault is a SIGTRAP: same stdout and status as
# natively, and the handler's allocations are in the trace with their
# stacks through the signal frame.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog rec_smallstack)
CAPTURE_TIMEOUT=30

need=$("$prog" measure | tail -n 1)
[ "$need" -gt 1000 ] || die "measure: the handler used $need bytes of its stack?"
frame=$(LD_SHOW_AUXV=1 /bin/true | awk '/AT_MINSIGSTKSZ/ {print $2}')
[ -n "$frame" ] || frame=2048
alt=$((need + 1024))
echo "handler needs $need bytes natively: sigaltstack of $alt; signal frame $frame: $((frame + 2048)) and $frame bytes left in the thread"

for period in "" 1; do
    label=${period:-default}
    FAULTPROF_FAULT_PERIOD=$period compare_runs "alt$label" "$prog" alt "$alt" 200 ||
        die "sigaltstack of $alt bytes, fault period $label: the traced run differs"
    assert_contains "$(cat "$TRACED_OUT")" "handled 200 signals" "alt $label"
    assert_contains "$(cat "$TRACED_OUT")" "handler mask has SIGTRAP: 0" "the program's view of its mask"
    readable "${TRACES[@]}"
    report_json "${TRACES[@]}" || die "report failed: $(cat "$REPORT_JSON.err")"
    # 200 from the handler, 1 from main: work() mallocs once per call
    expect_func work allocations 201
    "$REPORT" -n 0 "${TRACES[@]}" >"$TMPDIR/alt.txt" 2>/dev/null
    grep -A1 '  work (rec_smallstack.c' "$TMPDIR/alt.txt" | grep -q '<- on_signal' ||
        die "no stack through the handler: $(head -n 60 "$TMPDIR/alt.txt")"

    for room in $((frame + 2048)) "$frame"; do
        FAULTPROF_FAULT_PERIOD=$period compare_runs "near$label$room" "$prog" nearfull "$room" ||
            die "a thread with $room bytes of stack left, fault period $label: the traced run differs"
        readable "${TRACES[@]}"
        report_json "${TRACES[@]}" || die "report failed: $(cat "$REPORT_JSON.err")"
        # 20 at the bottom, 1 before the descent
        expect_func work allocations 21
    done
done
echo "ok: sigaltstack $alt B, and $((frame + 2048)) B and $frame B of stack left, at the default fault period and at 1"
