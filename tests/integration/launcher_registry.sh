#!/bin/bash
# The closing lines list the traces written, found through FAULTPROF_REGISTRY,
# and say how to read them; -q drops them; the registry file is removed.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_launcher
require_shim
grep -aq FAULTPROF_REGISTRY "$SHIM" || skip "the shim does not write FAULTPROF_REGISTRY yet"
prog=$(require_prog launch_status)

# paths outside the working directory are shown in full
mkdir -p "$TMPDIR/elsewhere" "$TMPDIR/traces"
(cd "$TMPDIR/elsewhere" &&
 "$LAUNCHER" -o "$TMPDIR/traces/one.%p.gz" "$prog" exit 0 >"$TMPDIR/out" 2>"$TMPDIR/err")
trace=$(ls "$TMPDIR"/traces/one.*.gz)
assert_eq "$(cat "$TMPDIR/err")" "faultprof: wrote $trace (1 process)
faultprof: read it with: faultprof-report $trace" "closing lines"
assert_eq "$(cat "$TMPDIR/out")" "" "stdout"

# and those under it relative to it, as a user would type them
(cd "$TMPDIR" && "$LAUNCHER" -o "traces/rel.%p.gz" "$prog" exit 0 2>"$TMPDIR/err")
trace=$(cd "$TMPDIR" && ls traces/rel.*.gz)
assert_eq "$(cat "$TMPDIR/err")" "faultprof: wrote $trace (1 process)
faultprof: read it with: faultprof-report $trace" "closing lines, relative"

# a path that needs quoting is quoted in the command to run
mkdir -p "$TMPDIR/a b"
(cd "$TMPDIR/elsewhere" && "$LAUNCHER" -o "$TMPDIR/a b/q.%p.gz" "$prog" exit 0 2>"$TMPDIR/err")
trace=$(ls "$TMPDIR"/a\ b/q.*.gz)
assert_contains "$(cat "$TMPDIR/err")" "faultprof: read it with: faultprof-report '$trace'"

# a fork child writes a trace of its own: both are listed, parent first
(cd "$TMPDIR/elsewhere" && "$LAUNCHER" -o "$TMPDIR/two.%p.gz" "$prog" fork 0 2>"$TMPDIR/err")
err=$(cat "$TMPDIR/err")
assert_contains "$err" "faultprof: wrote 2 traces:"
n=0
for t in "$TMPDIR"/two.*.gz; do
    assert_contains "$err" "faultprof:   $t
" "closing lines for the fork"
    n=$((n + 1))
done
assert_eq "$n" 2 "traces written by a forking program"
assert_contains "$err" "faultprof: read them with: faultprof-report $TMPDIR/two."

# the exit status is unchanged by the closing lines, and -q drops them
rc=$(status "$LAUNCHER" -q -o "$TMPDIR/three.%p.gz" "$prog" exit 3 2>"$TMPDIR/err")
assert_eq "$rc" 3 "exit status"
assert_eq "$(cat "$TMPDIR/err")" "" "stderr with -q"

assert_no_registry
