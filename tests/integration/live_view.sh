#!/bin/bash
# faultprof --live and faultprof-report --live, driven in a tmux session of a
# fixed size: the view names the top site, its fault rate changes when the
# program speeds up, q quits the view and leaves the program running, and
# the program's output and exit status are those of a native run; a run
# directory's fork child is listed and shown with n; -p PID --live on the C
# program and on a running python3.
. "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip "no tmux (scripts/install-deps.sh --test)"

prog=$PROGS/live_faults
native=$(timeout 20 "$prog" 0.5 0.5) && nrc=0 || nrc=$?
assert_eq "$nrc" 3 "native exit status"

sock=fp-live-$$
tm() { timeout 5 tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT
# the program: 3 s slow (about 256 faults a second), then 4 s fast (6400)
tm new-session -d -x 120 -y 30 -e TERM=xterm -e TMPDIR="$TMPDIR" \
    "timeout --foreground 30 $LAUNCHER --live $prog 3 4 >$TMPDIR/out 2>$TMPDIR/err; echo \$? >$TMPDIR/rc; sleep 60"

# capture N: the pane once it shows the view, into $TMPDIR/capN
capture() {
    tm capture-pane -p >"$TMPDIR/cap$1"
}
rate() {
    sed -n 's/^faults  *\([0-9][0-9]*\)\/s.*/\1/p' "$TMPDIR/cap$1"
}
# the first view within the slow 3 s (a loaded machine may start it late)
t_start=$(date +%s.%N)
sleep 1.5
for _ in $(seq 7); do
    capture 1
    grep -q 'live_hog_site' "$TMPDIR/cap1" && break
    sleep 0.2
done
grep -q 'faultprof live  pid' "$TMPDIR/cap1" || { cat "$TMPDIR/cap1"; die "no live view in the pane"; }
grep -q 'live_hog_site' "$TMPDIR/cap1" || { cat "$TMPDIR/cap1"; die "top site live_hog_site not shown"; }
r1=$(rate 1)
sleep "$(awk -v t0="$t_start" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + 4.7 - now; print (d > 0 ? d : 0) }')"
capture 2
r2=$(rate 2)
[ -n "$r1" ] && [ -n "$r2" ] || { cat "$TMPDIR/cap1" "$TMPDIR/cap2"; die "no fault rate in the view"; }
# slow then fast: a few hundred a second, then thousands
[ "$r1" -lt 1500 ] && [ "$r2" -gt 3000 ] ||
    { cat "$TMPDIR/cap1" "$TMPDIR/cap2"; die "fault rate: $r1/s then $r2/s, expected <1500 then >3000"; }
pid=$(sed -n 's/^faultprof live  pid \([0-9]*\).*/\1/p' "$TMPDIR/cap2")
[ -n "$pid" ] || die "no pid in the view"
grep -q 'live_faults' "/proc/$pid/cmdline" || die "pid $pid of the view is not the program"
# t shows the threads, s sorts by allocs/s
tm send-keys t s
sleep 0.5
capture 3
grep -q "threads (by allocs/s)" "$TMPDIR/cap3" || { cat "$TMPDIR/cap3"; die "keys t and s"; }
grep -q "^ .* $pid" "$TMPDIR/cap3" || { cat "$TMPDIR/cap3"; die "thread $pid not listed"; }
tm send-keys q
sleep 0.5
capture 4
grep -q 'faultprof live' "$TMPDIR/cap4" && { cat "$TMPDIR/cap4"; die "q did not quit the view"; }
kill -0 "$pid" 2>/dev/null || die "the program ended with the view"
for _ in $(seq 100); do [ -s "$TMPDIR/rc" ] && break; sleep 0.1; done
assert_eq "$(cat "$TMPDIR/rc")" 3 "exit status under --live"
assert_eq "$(sed 's/[0-9]* blocks/N blocks/' "$TMPDIR/out")" \
    "$(echo "$native" | sed 's/[0-9]* blocks/N blocks/')" "output under --live"
trace=$(ls "$TMPDIR"/faultprof-live.*/faultprof."$pid".gz) || die "no trace of pid $pid"
grep -q "faultprof-live.*/faultprof.$pid.gz" "$TMPDIR/err" || { cat "$TMPDIR/err"; die "trace not named"; }

# faultprof-report --live on a trace that is complete: one view, then it ends
tm new-session -d -s done -x 250 -y 20 -e TERM=xterm \
    "timeout --foreground 10 $REPORT --live $trace; echo rc=\$?; sleep 60"
for _ in $(seq 50); do tm capture-pane -p -t done | grep -q '^rc=' && break; sleep 0.1; done
tm capture-pane -p -t done >"$TMPDIR/cap5"
grep -q "the program ended" "$TMPDIR/cap5" && grep -q '^rc=0' "$TMPDIR/cap5" ||
    { cat "$TMPDIR/cap5"; die "--live of a complete trace"; }

# faultprof --live -o DIR/: the run's processes, n picks the fork child
tm new-session -d -s run -x 120 -y 30 -e TERM=xterm \
    "timeout --foreground 30 $LAUNCHER --live -o $TMPDIR/run/ $prog 2 3 5 >$TMPDIR/rout 2>$TMPDIR/rerr; echo \$? >$TMPDIR/rrc; sleep 60"
sleep 2.5
tm send-keys -t run t t
sleep 0.5
tm capture-pane -p -t run >"$TMPDIR/cap7"
grep -q "process 1 of 2" "$TMPDIR/cap7" && grep -q "processes (by live bytes)" "$TMPDIR/cap7" ||
    { cat "$TMPDIR/cap7" "$TMPDIR/rerr"; die "--live -o DIR/: no process list"; }
rpid=$(sed -n 's/^faultprof live  pid \([0-9]*\).*/\1/p' "$TMPDIR/cap7")
grep -q "^ .*> $rpid .*live_faults.*(running)" "$TMPDIR/cap7" ||
    { cat "$TMPDIR/cap7"; die "--live -o DIR/: the root $rpid not marked"; }
kid=$(grep -v "> $rpid" "$TMPDIR/cap7" | sed -n 's/^ .*[0-9]  *\([0-9][0-9]*\) .*live_faults.*(running)$/\1/p')
[ -n "$kid" ] && [ "$kid" != "$rpid" ] || { cat "$TMPDIR/cap7"; die "--live -o DIR/: no child row"; }
tm send-keys -t run n t
sleep 0.5
tm capture-pane -p -t run >"$TMPDIR/cap8"
grep -q "faultprof live  pid $kid " "$TMPDIR/cap8" && grep -q "live_child_site" "$TMPDIR/cap8" &&
    ! grep -q "live_hog_site" "$TMPDIR/cap8" ||
    { cat "$TMPDIR/cap7" "$TMPDIR/cap8"; die "--live -o DIR/: n did not show the child $kid's sites"; }
for _ in $(seq 100); do [ -s "$TMPDIR/rrc" ] && break; sleep 0.1; done
assert_eq "$(cat "$TMPDIR/rrc")" 3 "exit status under --live -o DIR/"
assert_eq "$(sed 's/[0-9]* blocks/N blocks/' "$TMPDIR/rout")" "live_faults: N blocks" "output under --live -o DIR/"
[ -s "$TMPDIR/run/manifest" ] || die "--live -o DIR/: no manifest"
tm new-session -d -s rundone -x 250 -y 20 -e TERM=xterm \
    "timeout --foreground 10 $REPORT --live $TMPDIR/run; echo rc=\$?; sleep 60"
for _ in $(seq 50); do tm capture-pane -p -t rundone | grep -q '^rc=' && break; sleep 0.1; done
tm capture-pane -p -t rundone >"$TMPDIR/cap9"
grep -q "the program ended; its 2 traces hold" "$TMPDIR/cap9" && grep -q '^rc=0' "$TMPDIR/cap9" ||
    { cat "$TMPDIR/cap9"; die "--live of a complete run directory"; }

# faultprof -p PID --live: attach with the view; q detaches, the program runs on
if command -v gdb >/dev/null; then
    mkdir -p "$TMPDIR/p"
    "$prog" 5 0 >"$TMPDIR/pout" & ppid=$!
    sleep 0.3
    tm new-session -d -s attach -x 120 -y 30 -e TERM=xterm -e TMPDIR="$TMPDIR/p" \
        "timeout --foreground 20 $LAUNCHER -p $ppid --live 2>$TMPDIR/perr; echo \$? >$TMPDIR/prc; sleep 60"
    sleep 1.5
    for _ in $(seq 30); do    # the attach (gdb) may start the view late on a loaded machine
        tm capture-pane -p -t attach >"$TMPDIR/cap6"
        grep -q "pid $ppid .*live_faults" "$TMPDIR/cap6" && grep -q live_hog_site "$TMPDIR/cap6" &&
            break
        sleep 0.2
    done
    grep -q "pid $ppid .*live_faults" "$TMPDIR/cap6" && grep -q live_hog_site "$TMPDIR/cap6" ||
        { cat "$TMPDIR/cap6" "$TMPDIR/perr"; die "-p --live: no view of $ppid"; }
    tm send-keys -t attach q
    for _ in $(seq 100); do [ -s "$TMPDIR/prc" ] && break; sleep 0.1; done
    assert_eq "$(cat "$TMPDIR/prc")" 0 "-p --live exit status"
    kill -0 "$ppid" 2>/dev/null || die "-p --live: q ended the program"
    wait "$ppid" && prc=0 || prc=$?
    assert_eq "$prc" 3 "exit status after -p --live"
    assert_eq "$(sed 's/[0-9]* blocks/N blocks/' "$TMPDIR/pout")" "live_faults: N blocks" "output after -p --live"
    "$REPORT" -q "$TMPDIR"/p/faultprof-live.*/faultprof."$ppid".gz | grep -q 'attached' ||
        die "-p --live: no complete trace"
fi

# a real runtime: attach to a running python3 with the view, watch 60
# bytearrays of 100000 bytes appear (5.72 MiB live at CPython's allocator,
# _PyObject_Malloc), q detaches; python's output and exit status are native's
if command -v gdb >/dev/null && command -v python3 >/dev/null; then
    cat >"$TMPDIR/py.py" <<'PY'
import os, sys, time
print("pid", os.getpid(), flush=True)
keep = []
sys.stdin.readline()
for i in range(60):
    keep.append(bytearray(100000))
    time.sleep(0.05)
print("arrays", len(keep), flush=True)
sys.stdin.readline()
print("done", len(keep))
sys.exit(4)
PY
    printf 'go\nx\n' | timeout 20 python3 "$TMPDIR/py.py" >"$TMPDIR/py.native" && nrc=0 || nrc=$?
    assert_eq "$nrc" 4 "python3's native exit status"
    mkfifo "$TMPDIR/pin"
    timeout 60 python3 "$TMPDIR/py.py" <"$TMPDIR/pin" >"$TMPDIR/py.out" & pyt=$!
    exec 4>"$TMPDIR/pin"
    for _ in $(seq 100); do grep -q "^pid" "$TMPDIR/py.out" && break; sleep 0.1; done
    py=$(awk '/^pid/{print $2}' "$TMPDIR/py.out")
    mkdir -p "$TMPDIR/py"
    tm new-session -d -s py -x 120 -y 30 -e TERM=xterm -e TMPDIR="$TMPDIR/py" \
        "timeout --foreground 30 $LAUNCHER -p $py --live 2>$TMPDIR/pyerr; echo \$? >$TMPDIR/pyrc; sleep 60"
    for _ in $(seq 100); do ls "$TMPDIR"/py/faultprof-live.*/faultprof."$py".gz >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 1
    echo go >&4
    for _ in $(seq 100); do grep -q "^arrays" "$TMPDIR/py.out" && break; sleep 0.1; done
    sleep 1.5
    tm capture-pane -p -t py >"$TMPDIR/cap10"
    live=$(sed -n 's/^ *\([0-9.]*\) MiB .*_PyObject_Malloc (obmalloc.c)$/\1/p' "$TMPDIR/cap10")
    grep -q "pid $py .*py.py" "$TMPDIR/cap10" && [ -n "$live" ] &&
        awk -v v="$live" 'BEGIN { exit !(v >= 5.5 && v <= 5.75) }' ||
        { cat "$TMPDIR/cap10" "$TMPDIR/pyerr"; die "python3 -p --live: no 5.5-5.75 MiB live at _PyObject_Malloc"; }
    tm send-keys -t py q
    for _ in $(seq 100); do [ -s "$TMPDIR/pyrc" ] && break; sleep 0.1; done
    assert_eq "$(cat "$TMPDIR/pyrc")" 0 "python3 -p --live exit status"
    echo x >&4; exec 4>&-
    rc=0; wait "$pyt" || rc=$?
    assert_eq "$rc" 4 "python3's exit status after -p --live"
    assert_eq "$(grep -v '^pid' "$TMPDIR/py.out")" "$(grep -v '^pid' "$TMPDIR/py.native")" "python3's output"
    "$REPORT" -q "$TMPDIR"/py/faultprof-live.*/faultprof."$py".gz | grep -q 'attached' ||
        die "python3 -p --live: no complete trace"
fi

# errors: one line and a non-zero status
out=$("$REPORT" --live a b 2>&1) && die "--live a b passed"
assert_contains "$out" "--live reads one trace or run directory"
out=$(setsid -w "$REPORT" --live "$trace" 2>&1 </dev/null) && die "--live without a terminal passed"
assert_contains "$out" "--live needs a terminal"
echo "ok: rates $r1/s then $r2/s"
