#!/bin/bash
# The traced program's stdout is byte-identical to its native run's, to a
# file and to a pipe, with stdin passed through; its stderr is its own plus
# only lines of the launcher's, each prefixed "faultprof: ".
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_launcher
require_shim
prog=$(require_prog launch_output)

# some stdin with a NUL and no final newline
printf 'line one\nline\000two\nlast' >"$TMPDIR/in"

"$prog" a "b c" '' <"$TMPDIR/in" >"$TMPDIR/native.out" 2>"$TMPDIR/native.err"
[ "$(wc -c <"$TMPDIR/native.out")" -gt 1000000 ] || die "native output is too short"

"$LAUNCHER" -o "$TMPDIR/t.%p.gz" "$prog" a "b c" '' \
    <"$TMPDIR/in" >"$TMPDIR/traced.out" 2>"$TMPDIR/traced.err"
assert_same_file "$TMPDIR/traced.out" "$TMPDIR/native.out" "stdout to a file"

"$LAUNCHER" -q -o "$TMPDIR/t.%p.gz" "$prog" a "b c" '' \
    <"$TMPDIR/in" 2>/dev/null | cat >"$TMPDIR/piped.out"
assert_same_file "$TMPDIR/piped.out" "$TMPDIR/native.out" "stdout to a pipe"

# stderr: the program's line, and anything else is the launcher's
grep -v '^faultprof: ' "$TMPDIR/traced.err" >"$TMPDIR/traced.err.own" || true
assert_same_file "$TMPDIR/traced.err.own" "$TMPDIR/native.err" "the program's stderr"

# with -q the launcher says nothing at all
"$LAUNCHER" -q -o "$TMPDIR/t.%p.gz" "$prog" <"$TMPDIR/in" >/dev/null 2>"$TMPDIR/quiet.err"
assert_same_file "$TMPDIR/quiet.err" "$TMPDIR/native.err" "stderr with -q"
