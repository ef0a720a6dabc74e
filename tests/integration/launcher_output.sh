#!/bin/bash
# -o is honoured: %e becomes the program name and %p its pid, and the file
# is a faultprof trace; without -o the trace is faultprof.<prog>.<pid>.gz in
# the working directory.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_launcher
require_shim
prog=$(require_prog launch_env)

mkdir -p "$TMPDIR/out"
pid=$("$LAUNCHER" -q -o "$TMPDIR/out/t.%e.%p.gz" "$prog" | sed -n 's/^pid=//p')
[ -n "$pid" ] || die "launch_env printed no pid"
assert_file "$TMPDIR/out/t.launch_env.$pid.gz"
assert_eq "$(trace_magic "$TMPDIR/out/t.launch_env.$pid.gz")" FAULTPRF "magic of the -o trace"
assert_eq "$(ls "$TMPDIR/out")" "t.launch_env.$pid.gz" "files written for -o"

# the default name, in the working directory
mkdir -p "$TMPDIR/cwd"
pid=$(cd "$TMPDIR/cwd" && "$LAUNCHER" -q "$prog" | sed -n 's/^pid=//p')
assert_file "$TMPDIR/cwd/faultprof.launch_env.$pid.gz"
assert_eq "$(trace_magic "$TMPDIR/cwd/faultprof.launch_env.$pid.gz")" FAULTPRF "magic of the default trace"

# --output= and an explicit name without any %
pid=$("$LAUNCHER" -q --output="$TMPDIR/out/fixed.gz" "$prog" | sed -n 's/^pid=//p')
assert_eq "$(trace_magic "$TMPDIR/out/fixed.gz")" FAULTPRF "magic of the fixed-name trace"
