#!/bin/bash
# faultprof --paused and --toggle PID: only what the program did while
# recording is in the trace (exact allocation and mmap counts), the faults
# of the pauses are in the totals (the program's own getrusage), the
# program's output and exit status are unchanged, and a program's own
# handler for the toggle signal still gets a plain kill of it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/rounds_lib.sh
. "$(dirname "$0")/../rounds_lib.sh"
require_shim
require_report
prog=$(require_prog live_rounds)

# natively, for the output to compare with
rounds_start "$prog"
rounds_do 50 100; rounds_do 100 200; rounds_do 30 2000
rounds_end
native_rc=$app_rc
grep -v '^ready' "$TMPDIR/rout" >"$TMPDIR/native.out"

rounds_start "$LAUNCHER" --paused -q -o "$TMPDIR/t.gz" "$prog"
rounds_do 50 100                       # paused: not recorded
"$LAUNCHER" --toggle "$app_pid" 2>"$TMPDIR/toggle.err" || die "--toggle failed: $(cat "$TMPDIR/toggle.err")"
assert_contains "$(cat "$TMPDIR/toggle.err")" "toggled the recording of $app_pid (signal"
rounds_do 100 200                      # recorded
"$LAUNCHER" -q --toggle "$app_pid"
rounds_do 30 2000                      # paused: 2000 faults not sampled, still counted
rounds_end
assert_eq "$app_rc" "$native_rc" "exit status under --paused"
grep -v '^ready' "$TMPDIR/rout" >"$TMPDIR/paused.out"
assert_same_file "$TMPDIR/paused.out" "$TMPDIR/native.out" "the program's output"
prog_minflt=$(awk '/^minflt/{print $2}' "$TMPDIR/rerr")

"$REPORT" --format json "$TMPDIR/t.gz" >"$TMPDIR/r.json"
assert_eq "$(json_num allocations "$TMPDIR/r.json")" 100 "allocations recorded"
assert_eq "$(json_num mmap_calls "$TMPDIR/r.json")" 1 "mmap calls recorded"
assert_eq "$(json_num pauses "$TMPDIR/r.json")" 2 "pauses"
minor=$(json_num minor_faults "$TMPDIR/r.json")
paused_minor=$(json_num paused_minor_faults "$TMPDIR/r.json")
[ "$paused_minor" -ge 2000 ] || die "faults while paused: $paused_minor, expected >= 2000"
# the program counted its own faults just before its exit: the trace's total
# has them all, and at most the exit's few more
[ "$minor" -ge "$prog_minflt" ] && [ "$minor" -le $((prog_minflt + 200)) ] ||
    die "minor faults $minor, the program counted $prog_minflt"
text=$("$REPORT" "$TMPDIR/t.gz")
assert_contains "$text" "paused           2 times"

# --toggle of a process not recorded, and of no process
rc=$(status "$LAUNCHER" --toggle $$ 2>"$TMPDIR/e")
assert_eq "$rc" 1 "--toggle of an unrecorded process"
assert_contains "$(cat "$TMPDIR/e")" "is not recorded by faultprof"

# a program with its own handler for the signal keeps it: a plain kill goes
# to the program, --toggle to us
LIVE_ROUNDS_SIG=40 rounds_start "$LAUNCHER" -q --paused --toggle-signal 40 \
    -o "$TMPDIR/s.gz" "$prog"
rounds_do 10 0
kill -s 40 "$app_pid"
rounds_do 11 0
"$LAUNCHER" -q --toggle "$app_pid" || die "--toggle with --toggle-signal 40"
rounds_do 20 0
"$LAUNCHER" -q --toggle "$app_pid"
rounds_do 40 0
rounds_end
assert_contains "$(cat "$TMPDIR/rout")" "caught 1" "the program's handler"
"$REPORT" --format json "$TMPDIR/s.gz" >"$TMPDIR/s.json"
assert_eq "$(json_num allocations "$TMPDIR/s.json")" 20 "allocations between toggles (signal 40)"
"$REPORT" --dump "$TMPDIR/s.gz" | grep -q 'key="toggle_signal" value="40"' ||
    die "the trace does not announce toggle signal 40"
echo PASS
