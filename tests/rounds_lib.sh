# Helpers for the tests that drive tests/progs/live_rounds through a FIFO
# (control_toggle.sh, control_attach.sh): start it, send it a line and wait
# for its answer, end it.  Sourced after tests/lib.sh.

# rounds_start CMD...: runs CMD (which runs live_rounds) in the background,
# its stdin the FIFO $TMPDIR/in (held open on fd 3), its stdout $TMPDIR/rout;
# sets app_pid to live_rounds' own pid.
rounds_start() {
    rm -f "$TMPDIR/in" "$TMPDIR/rout" "$TMPDIR/rerr" "$TMPDIR/rrc"
    mkfifo "$TMPDIR/in"
    ( rc=0; timeout 60 "$@" <"$TMPDIR/in" >"$TMPDIR/rout" 2>"$TMPDIR/rerr" || rc=$?
      echo "$rc" >"$TMPDIR/rrc" ) &
    exec 3>"$TMPDIR/in"
    rounds_wait "^ready "
    app_pid=$(awk '/^ready /{print $2}' "$TMPDIR/rout")
}

# rounds_wait REGEX [N]: until live_rounds printed N (1) lines matching it
rounds_wait() {
    local i
    for i in $(seq 200); do
        [ "$(grep -c "$1" "$TMPDIR/rout" 2>/dev/null)" -ge "${2:-1}" ] && return 0
        sleep 0.05
    done
    die "live_rounds did not print '$1'; it printed: $(cat "$TMPDIR/rout" 2>/dev/null)"
}

# rounds_do ALLOCS PAGES: one round, waited for
rounds_do() {
    local n
    n=$(grep -c "^round $1 $2\$" "$TMPDIR/rout" || true)
    echo "$1 $2" >&3
    rounds_wait "^round $1 $2\$" $((n + 1))
}

# rounds_end: q, then wait for it; sets app_rc
rounds_end() {
    echo q >&3
    exec 3>&-
    wait
    app_rc=$(cat "$TMPDIR/rrc")
}

# json_num KEY FILE: a number of faultprof-report --format json's output
json_num() {
    grep -o "\"$1\": [0-9.]*" "$2" | head -n 1 | awk '{print $2}'
}
