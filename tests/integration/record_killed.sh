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
# one 64 KiB buffer: as many pairs as fit at the trace's own bytes per pair
# (about 3.6 in format 4.0), with a tenth to spare for the records around
per_buffer=$(zcat "$trace" 2>/dev/null | wc -c | awk -v n="$n" '{ printf "%d", 1.1 * 65536 * n / $1 }')
echo "lost $lost of 200000 allocations to SIGKILL (a buffer holds about $per_buffer)"
[ "$lost" -le "$per_buffer" ] || die "lost $lost allocations: more than one buffer ($per_buffer)"
assert_eq "$(json_get 'r["summary"]["exited"]')" False "the killed process is not marked as exited"
exit 0
