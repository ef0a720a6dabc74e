#!/bin/bash
# The launcher exits the way the traced program exits: the same exit status,
# or death by the same signal (the shell sees 128+N), and signals sent to the
# launcher reach the program.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_launcher
require_shim
prog=$(require_prog launch_status)
ulimit -c 0

# how PROGRAM ended, as "exit N" or "signal N": perl tells the two apart.
# SIGINT and SIGQUIT back to default: bash starts background jobs with them
# ignored, and the launcher (rightly) leaves ignored signals ignored.
ended() {
    perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; system @ARGV; my $s = $?;
             print $s == -1 ? "not run\n" : $s & 127 ? "signal " . ($s & 127) . "\n"
                                         : "exit " . ($s >> 8) . "\n"' "$@" 2>/dev/null
}

for n in 0 1 3 42 255; do
    assert_eq "$(ended "$prog" exit $n)" "exit $n" "native exit $n"
    assert_eq "$(ended "$LAUNCHER" -q "$prog" exit $n)" "exit $n" "traced exit $n"
done
assert_eq "$(ended "$LAUNCHER" -q "$prog" fork 5)" "exit 5" "exit after fork"

# death by a signal: the launcher dies of it too
for sig in 11 6 15 9 1; do
    assert_eq "$(ended "$prog" kill $sig)" "signal $sig" "native kill $sig"
    assert_eq "$(ended "$LAUNCHER" -q "$prog" kill $sig)" "signal $sig" "traced kill $sig"
done
# and a shell sees 128+N, as it would without faultprof (139 for SIGSEGV)
rc=$(status "$LAUNCHER" -q "$prog" kill 11 2>/dev/null)
assert_eq "$rc" 139 "shell status after SIGSEGV"
# the final lines still come out before the launcher dies
( "$LAUNCHER" "$prog" kill 11 2>"$TMPDIR/err" ) 2>/dev/null || true
assert_not_contains "$(cat "$TMPDIR/err")" "faultprof: no trace" "stderr after SIGSEGV"

# a signal that does not kill the program: it exits normally
assert_eq "$(ended "$LAUNCHER" -q "$prog" kill 17)" "exit 101" "SIGCHLD to itself"

# forward_check SIG TRAP EXPECTED: send SIG to the launcher of a waiting program
forward_check() {
    local sig=$1 trap=$2 want=$3 ready=$TMPDIR/ready.$1.$2 pid got
    rm -f "$ready"
    # shellcheck disable=SC2086 # an empty $trap is no argument
    ( ended "$LAUNCHER" -q "$prog" wait "$ready" $trap >"$TMPDIR/ended" ) &
    pid=$!
    for _ in $(seq 300); do
        [ -e "$ready" ] && break
        sleep 0.05
    done
    [ -e "$ready" ] || die "the program did not start"
    # signal the launcher, not its parent perl: find the launcher by parent pid
    local perl_pid launcher_pid
    perl_pid=$(pgrep -P "$pid" perl || true)
    launcher_pid=$(pgrep -P "${perl_pid:-$pid}" -f "$LAUNCHER" | head -n 1)
    [ -n "$launcher_pid" ] || die "no launcher process found"
    kill -"$sig" "$launcher_pid"
    wait "$pid"
    got=$(cat "$TMPDIR/ended")
    assert_eq "$got" "$want" "program ${trap:-without handler} after SIG$sig to the launcher"
}
forward_check TERM ""   "signal 15"
forward_check HUP  ""   "signal 1"
forward_check TERM trap "exit 55"
forward_check HUP  trap "exit 41"
forward_check INT  trap "exit 42"
forward_check QUIT ""   "signal 3"

# nothing keeps running after the launcher is gone
sleep 0.2
left=$(pgrep -f "$prog wait" || true)
assert_eq "$left" "" "program processes left"
