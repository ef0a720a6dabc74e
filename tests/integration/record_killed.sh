#!/bin/bash
# SIGKILL after 200000 allocations: the trace is readable and holds all but
# at most one unwritten buffer of them (64 KiB of records, a few thousand
# events); the program's output is what it printed.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_killed)

fifo=$TMPDIR/out
mkfifo "$fifo"
LD_PRELOAD=$SHIM FAULTPROF_OUTPUT=$TMPDIR/k.%p.gz "$prog" 200000 >"$fifo" &
pid=$!
read -r line <"$fifo"
assert_eq "$line" ready "program output"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
trace=$TMPDIR/k.$pid.gz
assert_file "$trace"
report_json "$trace"
n=$(json_get 'site("before_kill")["allocations"]')
[ "$n" -le 200000 ] || die "more allocations than the program made: $n"
lost=$((200000 - n))
echo "lost $lost of 200000 allocations to SIGKILL"
# one 64 KiB buffer holds more than 4000 of these records, never 10000
[ "$lost" -lt 10000 ] || die "lost $lost allocations: more than one buffer"
assert_eq "$(json_get 'r["summary"]["exited"]')" False "the killed process is not marked as exited"
exit 0
