# Helpers for the torture and real-world tests (tests/integration/torture_*.sh,
# realworld_*.sh): run a program with and without the shim and compare what a
# user would notice; query the trace through faultprof-report's JSON.
# Source after tests/lib.sh:  . "$TESTS/torture/lib.sh"
# shellcheck shell=bash disable=SC2034 # NATIVE_*, REPORT_JSON are for the tests

TORTURE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3 to read the report's JSON"
ulimit -c 0

# Failures reported to the shim's or analyzer's owner are "known": the
# test records them with known_eq and ends with torture_done, which exits 77
# with one "KNOWN FAILURE: ..." line each, so that CI stays green while they
# are open.  Once fixed, the check passes and so does the test.
# TORTURE_STRICT=1 makes known failures fail the test instead.
KNOWN=()

# known_eq ACTUAL EXPECTED "ONE LINE": a known failure unless equal
known_eq() {
    [ "$1" = "$2" ] || KNOWN+=("$3 (expected '$2', got '$1')")
}

# known_failure "ONE LINE": a known failure, unconditionally
known_failure() {
    KNOWN+=("$1")
}

# torture_done: exit 0, or 77 (1 with TORTURE_STRICT=1) listing KNOWN
torture_done() {
    local k
    [ ${#KNOWN[@]} -eq 0 ] && exit 0
    for k in "${KNOWN[@]}"; do
        echo "KNOWN FAILURE: $k"
    done
    if [ "${TORTURE_STRICT:-0}" = 1 ]; then
        echo "FAIL: (strict) ${#KNOWN[@]} known failure(s)" >&2
        exit 1
    fi
    echo "SKIP: KNOWN FAILURE: ${KNOWN[0]}${KNOWN[1]:+ (and $((${#KNOWN[@]} - 1)) more)}"
    exit 77
}

# ended CMD...: prints "exit N" or "signal N" (perl tells the two apart);
# stdout of CMD goes to $ENDED_OUT if set, else /dev/null.
ended() {
    perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; system @ARGV; my $s = $?;
             print $s == -1 ? "not run\n" : $s & 127 ? "signal " . ($s & 127) . "\n"
                                         : "exit " . ($s >> 8) . "\n"' "$@"
}

# compare_runs NAME CMD...: runs CMD natively, then with the shim preloaded
# (trace template $TMPDIR/NAME.%p.gz), stdin /dev/null both times.  Returns
# 1 when stdout differs, 2 when the way it ended (exit status or signal)
# does, after showing both.
# Sets NATIVE_OUT NATIVE_END TRACED_OUT TRACED_ERR TRACED_END TRACES TRACE.
# PRELOAD_EXTRA is appended to LD_PRELOAD after the shim (another allocator),
# and used alone for the native run.
compare_runs() {
    local name=$1; shift
    NATIVE_OUT=$TMPDIR/$name.native.out
    TRACED_OUT=$TMPDIR/$name.traced.out
    TRACED_ERR=$TMPDIR/$name.traced.err
    local pre=${PRELOAD_EXTRA:+ $PRELOAD_EXTRA}
    CAPTURE_PRELOAD=${PRELOAD_EXTRA:-} \
        run_capture "$NATIVE_OUT" "$TMPDIR/$name.native.err" "$@"
    NATIVE_END=$CAPTURE_END
    CAPTURE_PRELOAD="$SHIM$pre" CAPTURE_OUTPUT="$TMPDIR/$name.%p.gz" \
        run_capture "$TRACED_OUT" "$TRACED_ERR" "$@"
    TRACED_END=$CAPTURE_END
    mapfile -t TRACES < <(ls -tr "$TMPDIR/$name".*.gz 2>/dev/null || true)
    TRACE=${TRACES[0]:-}
    if ! cmp -s "$NATIVE_OUT" "$TRACED_OUT"; then
        echo "--- ended natively: $NATIVE_END, traced: $TRACED_END"
        echo "--- native stdout"; head -n 20 "$NATIVE_OUT"
        echo "--- traced stdout"; head -n 20 "$TRACED_OUT"
        echo "--- traced stderr"; head -n 20 "$TRACED_ERR"
        return 1
    fi
    if [ "$NATIVE_END" != "$TRACED_END" ]; then
        echo "--- ended natively: $NATIVE_END, traced: $TRACED_END"
        echo "--- traced stderr"; head -n 20 "$TRACED_ERR"
        return 2
    fi
    return 0
}

# run_capture OUT ERR CMD...: runs CMD with stdin /dev/null, stdout to OUT,
# stderr to ERR; sets CAPTURE_END to "exit N" or "signal N".  CMD (not the
# perl that waits for it) gets LD_PRELOAD=$CAPTURE_PRELOAD and
# FAULTPROF_OUTPUT=$CAPTURE_OUTPUT when these are set and not empty.  After
# CAPTURE_TIMEOUT seconds (60) CMD is killed and CAPTURE_END is "hung".
run_capture() {
    local out=$1 err=$2 endf
    shift 2
    endf=$(mktemp "$TMPDIR/end.XXXXXX")
    perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; my ($o, $e, $f, $limit) = splice @ARGV, 0, 4;
             open STDIN, "<", "/dev/null"; open STDOUT, ">", $o; open STDERR, ">", $e;
             $ENV{LD_PRELOAD} = $ENV{CAPTURE_PRELOAD} if $ENV{CAPTURE_PRELOAD};
             $ENV{FAULTPROF_OUTPUT} = $ENV{CAPTURE_OUTPUT} if $ENV{CAPTURE_OUTPUT};
             delete @ENV{qw(CAPTURE_PRELOAD CAPTURE_OUTPUT)};
             my $pid = fork // die "fork: $!";
             if (!$pid) { exec { $ARGV[0] } @ARGV; exit 127 }
             delete $ENV{LD_PRELOAD};
             my $timed_out = 0;
             local $SIG{ALRM} = sub { $timed_out = 1; kill "KILL", $pid };
             alarm $limit;
             waitpid $pid, 0; my $s = $?; alarm 0;
             open my $t, ">", $f or die; print $t ($timed_out ? "hung" : $s & 127 ?
                 "signal " . ($s & 127) : "exit " . ($s >> 8)), "\n"' \
        "$out" "$err" "$endf" "${CAPTURE_TIMEOUT:-60}" "$@"
    CAPTURE_END=$(cat "$endf")
    rm -f "$endf"
}

# report_json [ARGS...] TRACES...: faultprof-report --format json --by
# function -n 0 into $REPORT_JSON; returns its status (warnings kept in
# $REPORT_JSON.err).
report_json() {
    REPORT_JSON=$TMPDIR/report.$RANDOM.json
    "$REPORT" --format json --by function -n 0 "$@" >"$REPORT_JSON" 2>"$REPORT_JSON.err"
}

# summary FIELD: a summary field of the last report_json
summary() {
    "$PY" "$TORTURE/fpq.py" summary "$1" <"$REPORT_JSON"
}

# func_field FUNCTION FIELD: FIELD (allocations, frees, ...) of FUNCTION's
# site in the last report_json; 0 when FUNCTION has none
func_field() {
    "$PY" "$TORTURE/fpq.py" func "$1" "$2" <"$REPORT_JSON"
}

# module_field MODULE FIELD: FIELD summed over the sites in MODULE
module_field() {
    "$PY" "$TORTURE/fpq.py" module "$1" "$2" <"$REPORT_JSON"
}

# expect_func FUNCTION FIELD N: die unless func_field is N
expect_func() {
    local got
    got=$(func_field "$1" "$2")
    assert_eq "$got" "$3" "$1 $2"
}

# dump_count TYPE TRACE...: how many records of TYPE the traces hold
dump_count() {
    local type=$1 t n=0 c; shift
    for t; do
        c=$("$REPORT" --dump -q "$t" 2>/dev/null | grep -c "^$type " || true)
        n=$((n + c))
    done
    echo "$n"
}

# readable TRACE...: the report reads each trace (truncated is allowed)
readable() {
    local t
    for t; do
        "$REPORT" --format json -q "$t" >/dev/null 2>&1 ||
            die "faultprof-report cannot read $t: $("$REPORT" --format json "$t" 2>&1 >/dev/null | head -n 3)"
    done
}
