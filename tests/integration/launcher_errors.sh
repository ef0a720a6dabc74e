#!/bin/bash
# The launcher's own failures: usage errors exit 2, a program that can't be
# found exits 127 and one that can't be executed 126, like a shell; no
# library exits 125.  None of this needs the real shim.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_launcher

fake=$TMPDIR/fake/libfaultprof.so
mkdir -p "$TMPDIR/fake" && : >"$fake"

# --- usage errors: message and usage on stderr, nothing on stdout, exit 2
run_launcher --bogus true
assert_eq "$rc" 2 "exit status for an unknown option"
assert_contains "$err" "faultprof: unknown option '--bogus'"
assert_contains "$err" "usage: faultprof"
assert_eq "$out" "" "stdout for an unknown option"

run_launcher -x true
assert_eq "$rc" 2 "exit status for an unknown short option"
assert_contains "$err" "faultprof: unknown option '-x'"

run_launcher
assert_eq "$rc" 2 "exit status without a program"
assert_contains "$err" "faultprof: no program to run"

run_launcher -o
assert_eq "$rc" 2 "exit status for -o without its argument"
assert_contains "$err" "faultprof: option '-o' needs an argument"

for bad in "--depth -1" "--depth 257" "--depth x" "-d 8k" "--buffer-kb -1" \
           "--buffer-kb 15" "--buffer-kb 65537" "--flush-ms 0" \
           "--rusage-every ''" "--rusage-every 1073741825" "--fault-period 0" \
           "--sample-bytes 99999999999999999999"; do
    eval "run_launcher --lib \"\$fake\" $bad true"
    assert_eq "$rc" 2 "exit status for $bad"
    assert_contains "$err" "expected a whole number" "stderr for $bad"
done

# --- help and version go to stdout and succeed
run_launcher --help
assert_eq "$rc" 0 "--help exit status"
assert_contains "$out" "usage: faultprof [OPTIONS] [--] PROGRAM [ARGS...]"
assert_contains "$out" "--no-follow"
assert_eq "$err" "" "--help stderr"
run_launcher --version
assert_eq "$rc" 0 "--version exit status"
assert_contains "$out" "faultprof 0."

# --- the program can't be run: one line on stderr, like a shell
run_launcher --lib "$fake" no-such-program-faultprof
assert_eq "$rc" 127 "exit status for a missing program"
assert_eq "$err" "faultprof: no-such-program-faultprof: No such file or directory"
assert_eq "$out" "" "stdout for a missing program"

run_launcher --lib "$fake" ./no/such/path
assert_eq "$rc" 127 "exit status for a missing path"
assert_eq "$err" "faultprof: ./no/such/path: No such file or directory"

printf 'not a program\n' >"$TMPDIR/plain"
chmod 644 "$TMPDIR/plain"
run_launcher --lib "$fake" "$TMPDIR/plain"
assert_eq "$rc" 126 "exit status for a file that is not executable"
assert_eq "$err" "faultprof: $TMPDIR/plain: Permission denied"

run_launcher --lib "$fake" "$TMPDIR"
assert_eq "$rc" 126 "exit status for a directory"

# --- the program exits 127 itself: that is passed through, with no message
run_launcher -q --lib "$fake" sh -c 'exit 127'
assert_eq "$rc" 127 "exit status of a program that exits 127"
assert_not_contains "$err" "faultprof:" "stderr of a program that exits 127"

# --- no library: exit 125 with a message that says how to point at one
run_launcher --lib "$TMPDIR/none/libfaultprof.so" true
assert_eq "$rc" 125 "exit status for a missing --lib"
assert_contains "$err" "faultprof: --lib $TMPDIR/none/libfaultprof.so: No such file or directory"

rc=0
FAULTPROF_LIB=$TMPDIR/none.so "$LAUNCHER" true 2>"$TMPDIR/err" || rc=$?
assert_eq "$rc" 125 "exit status for a missing FAULTPROF_LIB"
assert_contains "$(cat "$TMPDIR/err")" "faultprof: FAULTPROF_LIB $TMPDIR/none.so: No such file or directory"

mkdir -p "$TMPDIR/alone"
cp "$LAUNCHER" "$TMPDIR/alone/faultprof"
rc=0
"$TMPDIR/alone/faultprof" true 2>"$TMPDIR/err" || rc=$?
assert_eq "$rc" 125 "exit status without any library"
assert_contains "$(cat "$TMPDIR/err")" "cannot find libfaultprof.so"
assert_contains "$(cat "$TMPDIR/err")" "use --lib PATH or set FAULTPROF_LIB"

# --- nothing left behind: the registry file is removed on every path
assert_no_registry
