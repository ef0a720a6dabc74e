#!/bin/bash
# faultprof -p PID: attached to a program that has run (allocated in a
# thread, kept blocks, faulted) for a while, the trace holds exactly what it
# did between the attach and the detach; frees of blocks from before are
# counted apart; the program's output and exit status are unchanged; the
# refusals say why; the injector killed at any step leaves it running.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/rounds_lib.sh
. "$(dirname "$0")/../rounds_lib.sh"
require_shim
require_report
command -v gdb >/dev/null || skip "no gdb (scripts/install-deps.sh installs it)"
prog=$(require_prog live_rounds)

rounds_start "$prog"
rounds_do 50 100; rounds_do 100 200; echo f >&3; rounds_wait "^freed 75"; rounds_do 30 100
rounds_end
native_rc=$app_rc
grep -v '^ready' "$TMPDIR/rout" | grep -v '^freed' >"$TMPDIR/native.out"

rounds_start "$prog"
rounds_do 50 100                        # before: 25 blocks kept
timeout 60 "$LAUNCHER" -p "$app_pid" -o "$TMPDIR/a.%p.gz" >"$TMPDIR/att.out" 2>"$TMPDIR/att.err" &
att=$!
for _ in $(seq 100); do grep -q "recording $app_pid" "$TMPDIR/att.err" && break; sleep 0.1; done
grep -q "recording $app_pid" "$TMPDIR/att.err" || die "no attach: $(cat "$TMPDIR/att.err")"
rounds_do 100 200                       # recorded: 100 allocations, 1 mmap
echo f >&3                              # frees 25 blocks from before, 50 from the attach
rounds_wait "^freed 75"
kill -INT "$att"
wait "$att" || die "faultprof -p failed: $(cat "$TMPDIR/att.err")"
rounds_do 30 100                        # after the detach: not recorded
rounds_end
assert_eq "$app_rc" "$native_rc" "exit status after the detach"
grep -v '^ready' "$TMPDIR/rout" | grep -v '^freed' >"$TMPDIR/att.out2"
assert_same_file "$TMPDIR/att.out2" "$TMPDIR/native.out" "the program's output"
trace="$TMPDIR/a.$app_pid.gz"
assert_file "$trace"
assert_contains "$(cat "$TMPDIR/att.err")" "wrote $trace"
"$REPORT" --format json "$trace" >"$TMPDIR/a.json"
assert_eq "$(json_num allocations "$TMPDIR/a.json")" 100 "allocations after the attach"
assert_eq "$(json_num frees "$TMPDIR/a.json")" 125 "frees after the attach"
assert_eq "$(json_num unmatched_frees "$TMPDIR/a.json")" 25 "frees of blocks from before"
assert_eq "$(json_num mmap_calls "$TMPDIR/a.json")" 1 "mmap calls after the attach"
assert_eq "$(json_num leaked_bytes "$TMPDIR/a.json")" 0 "live bytes at the detach"
minor=$(json_num minor_faults "$TMPDIR/a.json")
[ "$minor" -ge 200 ] && [ "$minor" -lt 400 ] || die "minor faults after the attach: $minor"
text=$("$REPORT" "$trace")
assert_contains "$text" "attached         recording began in the running process: 25 frees"
assert_contains "$text" "do_round (live_rounds.c"

# refusals
rc=$(status "$LAUNCHER" -p 999999 2>"$TMPDIR/e")
assert_eq "$rc" 1 "-p of no process"
assert_contains "$(cat "$TMPDIR/e")" "no process 999999"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
    sleep 30 & other=$!
    rc=$(status setpriv --reuid=65534 --regid=65534 --clear-groups "$LAUNCHER" -p "$other" 2>"$TMPDIR/e")
    assert_eq "$rc" 1 "-p of another user's process"
    assert_contains "$(cat "$TMPDIR/e")" "belongs to another user (uid 0)"
    setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30 & nob=$!
    sleep 0.2
    rc=$(status setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace "$LAUNCHER" -p "$nob" 2>"$TMPDIR/e")
    assert_eq "$rc" 1 "-p without CAP_SYS_PTRACE"
    assert_contains "$(cat "$TMPDIR/e")" "no CAP_SYS_PTRACE"
    kill "$other" "$nob"
    # a set-user-ID program (a root-owned copy of a test program, mode 4755)
    # that uid 65534 runs: its effective uid is 0
    suid=$(mktemp -d /tmp/faultprof-suid.XXXXXX)
    chmod 755 "$suid"
    printf '#include <unistd.h>\nint main(void) { sleep(30); return 0; }\n' |
        "${CC:-cc}" -o "$suid/sleeper" -x c - || die "cannot build the set-uid program"
    chmod 4755 "$suid/sleeper"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$suid/sleeper" & su=$!
    sleep 0.2
    grep -q '^Uid:.*65534.*0.*0.*0' "/proc/$su/status" || { grep Uid "/proc/$su/status";
        die "the set-uid copy did not run with effective uid 0 (nosuid mount?)"; }
    rc=$(status setpriv --reuid=65534 --regid=65534 --clear-groups "$LAUNCHER" -p "$su" 2>"$TMPDIR/e")
    kill "$su"
    assert_eq "$rc" 1 "-p of a set-uid program"
    assert_contains "$(cat "$TMPDIR/e")" "process $su runs set-user-ID or set-group-ID (effective uid 0): only root may trace it"
    # Yama (this kernel may have none: the launcher reads the file the test names)
    setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30 & ya=$!
    sleep 0.2
    for scope in 1 2 3; do
        echo "$scope" >"$suid/yama"
        chmod 644 "$suid/yama"
        rc=$(status env FAULTPROF_TEST_YAMA_FILE="$suid/yama" setpriv --reuid=65534 \
             --regid=65534 --clear-groups "$LAUNCHER" -p "$ya" 2>"$TMPDIR/e")
        assert_eq "$rc" 1 "-p under Yama ptrace_scope $scope"
        assert_contains "$(cat "$TMPDIR/e")" "Yama ptrace_scope is $scope"
    done
    kill "$ya"
    rm -rf "$suid"
    assert_contains "$(cat "$TMPDIR/e")" "attaching is disabled until the next boot"
fi
if printf '#include <unistd.h>\nint main(void) { sleep(30); return 0; }\n' |
       "${CC:-cc}" -static -o "$TMPDIR/static" -x c - 2>/dev/null; then
    "$TMPDIR/static" & st=$!
    sleep 0.2
    rc=$(status "$LAUNCHER" -p "$st" 2>"$TMPDIR/e")
    kill "$st"
    assert_eq "$rc" 1 "-p of a static program"
    assert_contains "$(cat "$TMPDIR/e")" "statically linked"
fi

# a real runtime: a python3 that has been running for a while
if command -v python3 >/dev/null; then
    cat >"$TMPDIR/py.py" <<'PY'
import os, sys
print("pid", os.getpid(), flush=True)
keep = []
for line in sys.stdin:
    if line.startswith("q"):
        break
    n = int(line)
    keep.extend(bytearray(100000) for _ in range(n))
    print("round", n, len(keep), flush=True)
print("done", len(keep))
sys.exit(4)
PY
    rm -f "$TMPDIR/pin"; mkfifo "$TMPDIR/pin"
    timeout 60 python3 "$TMPDIR/py.py" <"$TMPDIR/pin" >"$TMPDIR/py.out" & pyt=$!
    exec 4>"$TMPDIR/pin"
    echo 10 >&4
    for _ in $(seq 100); do grep -q "^round 10" "$TMPDIR/py.out" && break; sleep 0.1; done
    py=$(awk '/^pid/{print $2}' "$TMPDIR/py.out")
    timeout 60 "$LAUNCHER" -q -p "$py" -o "$TMPDIR/py.%p.gz" 2>"$TMPDIR/py.err" & att=$!
    for _ in $(seq 100); do [ -e "$TMPDIR/py.$py.gz" ] && break; sleep 0.1; done
    sleep 0.5
    echo 30 >&4; sleep 0.5
    kill -INT "$att"; wait "$att" || die "faultprof -p python3: $(cat "$TMPDIR/py.err")"
    echo 5 >&4; echo q >&4; exec 4>&-
    rc=0; wait "$pyt" || rc=$?
    assert_eq "$rc" 4 "python3's exit status after the detach"
    assert_eq "$(tail -n 1 "$TMPDIR/py.out")" "done 45" "python3's output"
    "$REPORT" --format json "$TMPDIR/py.$py.gz" >"$TMPDIR/py.json"
    # 30 bytearrays of 100000 bytes, each its own block
    big=$("$REPORT" --dump "$TMPDIR/py.$py.gz" | grep -c '^ALLOC[_A-Z]* .* size=1000[0-9][0-9] ' || true)
    [ "$big" -ge 30 ] && [ "$big" -le 32 ] || die "python3: $big allocations of ~100000 bytes, expected 30"
fi

# the injector killed at each step: the program goes on and ends as natively
for delay in 0.05 0.2 0.4 0.8; do
    rounds_start "$prog"
    rounds_do 50 100
    timeout 60 "$LAUNCHER" -q -p "$app_pid" -o "$TMPDIR/k.%p.gz" 2>/dev/null & att=$!
    sleep "$delay"
    kill -9 "$att" 2>/dev/null || true
    wait "$att" 2>/dev/null || true
    sleep 1                             # gdb, if it was running, finishes and leaves
    rounds_do 100 200; echo f >&3; rounds_wait "^freed"
    rounds_do 30 100
    rounds_end
    assert_eq "$app_rc" "$native_rc" "exit status, injector killed after $delay s"
    grep -v '^ready' "$TMPDIR/rout" | grep -v '^freed' >"$TMPDIR/k.out"
    assert_same_file "$TMPDIR/k.out" "$TMPDIR/native.out" "output, injector killed after $delay s"
done
echo PASS
