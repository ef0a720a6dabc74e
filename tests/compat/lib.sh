# Helpers for the compatibility matrix, tests/integration/compat_*.sh: each
# row is a real runtime running one of the small programs in tests/compat/,
# run four times:
#   native    as is (with ROW_PRELOAD preloaded, if set)
#   default   LD_PRELOAD=$SHIM[:$ROW_PRELOAD], FAULTPROF_OUTPUT in TMPDIR
#   period1   the same with FAULTPROF_FAULT_PERIOD=1
#   launcher  $LAUNCHER -o TMPDIR/... (ROW_PRELOAD in the environment)
# and each traced run must print byte-identical stdout, end the same way
# (exit status or signal), write traces that $REPORT reads, and, when the
# row names a pattern, the default run's report must have sites whose
# function names match it (the runtime's own functions, where its symbols
# are there to be found).  Every run is
# bounded by timeout(1); a run still going is killed and the row FAILs as
# hung, with its name; it never blocks.
#
# Source after tests/lib.sh:  . "$TESTS/compat/lib.sh"
# Then, per row:  compat_row NAME PATTERN CMD...    (or compat_skip NAME WHY)
# and last:       compat_done
#
# Settings (environment):
#   COMPAT_TIMEOUT  seconds a run may take before it counts as hung (120),
#                   then kill -9 5 s later
#   COMPAT_HUNG_TIMEOUT  the limit for a row's other traced runs once one of
#                   them hung (20): the row has failed already, and the
#                   rest only tells whether every mode hangs
#   COMPAT_LOG      also append the row lines to this file (default
#                   $BUILD/compat-matrix.log; empty: don't)
#   COMPAT_GDB=1    before killing a hung run, print every thread's
#                   backtrace of its processes (gdb -p), for the log
# Per-row variables, reset by compat_row:
#   ROW_PRELOAD     a library preloaded after the shim (another allocator)
#   ROW_STDERR=1    stderr is compared too (lines starting "faultprof:"
#                   left out), for a program that writes its output there
#   ROW_SITES_FROM  a glob of trace names (they are PROGRAM.PID.gz), e.g.
#                   'cc1plus.*': only those traces are symbolized for
#                   PATTERN (all are still read); symbolizing a compiler
#                   driver, as and ld costs more than the row's runs
# shellcheck shell=bash disable=SC2034 # ROW_* are set by the tests

COMPAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 to read the report's JSON"
[ -x /usr/bin/time ] || skip "no /usr/bin/time (package time) to time the runs"
require_shim
require_report
require_launcher
ulimit -c 0

: "${COMPAT_TIMEOUT:=120}" "${COMPAT_HUNG_TIMEOUT:=20}"
COMPAT_LOG=${COMPAT_LOG-$BUILD/compat-matrix.log}
COMPAT_RAN=0
COMPAT_FAILED=()
COMPAT_SKIPPED=()
COMPAT_N=0

# compat_log LINE: print LINE, and append it to COMPAT_LOG
compat_log() {
    echo "$1"
    if [ -n "$COMPAT_LOG" ]; then
        echo "$(date -u +%FT%TZ) $(basename "$0" .sh) $1" >>"$COMPAT_LOG" 2>/dev/null || true
    fi
}

# compat_skip NAME WHY: the row's runtime is not here
compat_skip() {
    COMPAT_SKIPPED+=("$1")
    compat_log "row $1: SKIP: $2"
}

# compat_find_rustc: prints the rustc to use ($HOME/.cargo/bin first, then
# PATH); fails when there is none.  A rustup proxy (what ~/.cargo/bin/rustc
# is) is resolved to the toolchain's own rustc, so that what runs traced is
# the compiler, not rustup in front of it.
compat_find_rustc() {
    local rustc sysroot
    if [ -x "${HOME:-/nonexistent}/.cargo/bin/rustc" ]; then
        rustc=$HOME/.cargo/bin/rustc
    else
        rustc=$(command -v rustc) || return 1
    fi
    sysroot=$("$rustc" --print sysroot 2>/dev/null || true)
    if [ -n "$sysroot" ] && [ -x "$sysroot/bin/rustc" ]; then
        rustc=$sysroot/bin/rustc
    fi
    echo "$rustc"
}

# compat_gdb_dump PGID: every thread's backtrace of each process in the
# process group (what a hang looks like from the inside)
compat_gdb_dump() {
    local pid
    command -v gdb >/dev/null 2>&1 || { echo "    (no gdb for a backtrace)"; return 0; }
    for pid in $(pgrep -g "$1" || true); do
        echo "    --- pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c 1-120)"
        timeout 30 gdb -batch -nx -ex 'thread apply all bt 20' -p "$pid" 2>/dev/null |
            grep -E '^(Thread|#)' | head -n 60 | sed 's/^/    | /'
    done
}

# compat_run MODE DIR LIMIT CMD...: one run of CMD in MODE; its stdout,
# stderr, traces and /usr/bin/time output go to DIR.  Sets RUN_END ("exit
# N", "signal N" or "hung") and RUN_SECS (wall seconds of the whole process,
# from /usr/bin/time -f %e; the limit when it hung).
compat_run() {
    local mode=$1 dir=$2 limit=$3
    shift 3
    local env_=(env) line rc=0
    mkdir -p "$dir"
    local shim_pre=$SHIM${ROW_PRELOAD:+:$ROW_PRELOAD}
    case $mode in
    native)   [ -n "${ROW_PRELOAD:-}" ] && env_+=("LD_PRELOAD=$ROW_PRELOAD") ;;
    default)  env_+=("LD_PRELOAD=$shim_pre" "FAULTPROF_OUTPUT=$dir/%e.%p.gz") ;;
    period1)  env_+=("LD_PRELOAD=$shim_pre" "FAULTPROF_OUTPUT=$dir/%e.%p.gz"
                     FAULTPROF_FAULT_PERIOD=1) ;;
    launcher) [ -n "${ROW_PRELOAD:-}" ] && env_+=("LD_PRELOAD=$ROW_PRELOAD")
              env_+=("$LAUNCHER" -o "$dir/%e.%p.gz") ;;
    esac
    # timeout(1) runs time, env and CMD in a process group of their own and
    # kills all of it; /usr/bin/time, killed with it, then writes nothing.
    if [ "${COMPAT_GDB:-0}" = 1 ]; then
        timeout -k 5 "$limit" /usr/bin/time -f '%e %x' -o "$dir/time" "${env_[@]}" "$@" \
            </dev/null >"$dir/out" 2>"$dir/err" &
        local tpid=$! waited=0
        while kill -0 "$tpid" 2>/dev/null && [ "$waited" -lt $((limit - 2)) ]; do
            sleep 1
            waited=$((waited + 1))
        done
        if kill -0 "$tpid" 2>/dev/null; then
            echo "    $mode: still running after ${waited}s; its threads:"
            compat_gdb_dump "$tpid"
        fi
        wait "$tpid" || rc=$?
    else
        timeout -k 5 "$limit" /usr/bin/time -f '%e %x' -o "$dir/time" "${env_[@]}" "$@" \
            </dev/null >"$dir/out" 2>"$dir/err" || rc=$?
    fi
    line=$(tail -n 1 "$dir/time" 2>/dev/null || true)
    if [ -z "$line" ]; then
        # time was killed too: timeout's 124 (SIGTERM) or 137 (SIGKILL)
        RUN_END=hung RUN_SECS=$limit
        [ "$rc" = 124 ] || [ "$rc" = 137 ] || RUN_END="lost (status $rc, no time)"
        return 0
    fi
    RUN_SECS=${line%% *}
    if grep -q '^Command terminated by signal' "$dir/time"; then
        RUN_END="signal $(sed -n 's/^Command terminated by signal \([0-9]*\).*/\1/p' "$dir/time")"
    else
        RUN_END="exit ${line##* }"
    fi
}

# compat_sites JSON PATTERN: prints how many functions, among the allocation
# and fault sites of the report JSON, match the (Python) regex PATTERN, and
# up to 3 of them (the most allocating).  What is matched is "MODULE
# FUNCTION", e.g. "libjvm.so os::malloc"; a frame the report could not
# symbolize (MODULE+0x...) is "MODULE ?".  PATTERN may be several regexes
# joined by " && ": each must match some site (the count is then the
# smallest of their counts).
compat_sites() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
sites = {}
for key in ("allocation_sites", "fault_sites"):
    for s in r.get(key, []):
        f = s.get("function", "")
        if "+0x" in f or not f:
            f = "?"
        f = s.get("module", "") + " " + f
        sites[f] = sites.get(f, 0) + s.get("allocations", 0) + s.get("minor_faults", 0)
def show(f):
    m, _, fn = f.partition(" ")
    if len(fn) > 60:
        fn = fn[:57] + "..."
    return fn + " [" + m + "]"
count, top = None, []
for p in sys.argv[2].split(" && "):
    pat = re.compile(p)
    names = [f for f in sites if pat.search(f)]
    count = len(names) if count is None else min(count, len(names))
    top += sorted(names, key=lambda f: -sites[f])[:3]
print(count, "; ".join(show(f) for f in top))
PY
}

# compat_check_traced DIR PATTERN: what a traced run must have left:
# traces, all readable by faultprof-report, and, when PATTERN is not empty,
# sites matching it (compat_sites) in the traces ROW_SITES_FROM names.
# Symbolizing is what costs (10-20 s for a trace of cc1plus or node on this
# 2-core machine, against 0.2 s to read it with --no-symbols), so every
# trace is read with --no-symbols and only those are symbolized.  Sets ROW_PROBLEM to "" when all is
# well, else to what is wrong; sets ROW_TRACES (how many) and ROW_SITES
# (compat_sites' line).
compat_check_traced() {
    local dir=$1 pattern=$2 t bad=""
    local traces=() named=()
    mapfile -t traces < <(ls "$dir"/*.gz 2>/dev/null || true)
    ROW_TRACES=${#traces[@]}
    ROW_SITES=""
    ROW_PROBLEM=""
    if [ "${#traces[@]}" -eq 0 ]; then
        ROW_PROBLEM="no trace written"
        return 0
    fi
    if ! "$REPORT" --format json --no-symbols -n 1 "${traces[@]}" \
        >"$dir/report.json" 2>"$dir/report.err"; then
        for t in "${traces[@]}"; do
            "$REPORT" --format json --no-symbols -n 1 -q "$t" >/dev/null 2>"$dir/one.err" ||
                bad="$bad ${t##*/} ($(head -n 1 "$dir/one.err"))"
        done
        ROW_PROBLEM="faultprof-report failed:${bad:- on all of them together: $(head -n 2 "$dir/report.err")}"
        return 0
    fi
    [ -n "$pattern" ] || return 0
    # shellcheck disable=SC2086 # the glob is meant to expand
    mapfile -t named < <(cd "$dir" && { ls ${ROW_SITES_FROM:-*.gz} 2>/dev/null; true; })
    if [ "${#named[@]}" -eq 0 ]; then
        ROW_PROBLEM="no trace named ${ROW_SITES_FROM:-*.gz}"
        return 0
    fi
    if ! (cd "$dir" && "$REPORT" --format json --by function -n 0 "${named[@]}") \
        >"$dir/report.json" 2>"$dir/report.err"; then
        ROW_PROBLEM="faultprof-report failed on ${named[*]}: $(grep -v 'warning: no symbols' "$dir/report.err" | head -n 2)"
        return 0
    fi
    ROW_SITES=$(compat_sites "$dir/report.json" "$pattern")
    if [ "${ROW_SITES%% *}" = 0 ]; then
        ROW_PROBLEM="no site names a function matching /$pattern/"
    fi
}

# compat_row NAME PATTERN CMD...: the row NAME, CMD run in every mode.
# PATTERN (a Python regex; empty for none) must match "MODULE FUNCTION" of
# at least one site of the default run's report (compat_sites).
compat_row() {
    local name=$1 pattern=$2
    shift 2
    local base dir mode limit verdict native_end native_secs hung=0
    local line row_failed=0 sites_note="" started=$SECONDS
    COMPAT_N=$((COMPAT_N + 1))
    base=$TMPDIR/row$COMPAT_N.$name
    compat_run native "$base/native" "$COMPAT_TIMEOUT" "$@"
    native_end=$RUN_END native_secs=$RUN_SECS
    if [ "$native_end" != "exit 0" ]; then
        # the program itself is broken here: nothing to compare against
        compat_log "row $name: FAIL: natively it ended $native_end; stderr: $(head -c 300 "$base/native/err")"
        COMPAT_FAILED+=("$name")
        return 0
    fi
    COMPAT_RAN=$((COMPAT_RAN + 1))
    line="row $name: native ${native_secs}s"
    for mode in default period1 launcher; do
        dir=$base/$mode
        limit=$COMPAT_TIMEOUT
        [ "$hung" = 1 ] && limit=$COMPAT_HUNG_TIMEOUT
        compat_run "$mode" "$dir" "$limit" "$@"
        verdict=ok
        if [ "$RUN_END" = hung ]; then
            verdict="HUNG"
            hung=1
        elif [ "$RUN_END" != "$native_end" ]; then
            verdict="ENDED $RUN_END (native: $native_end)"
        elif ! cmp -s "$base/native/out" "$dir/out"; then
            verdict="STDOUT DIFFERS ($(cmp "$base/native/out" "$dir/out" 2>&1 | head -n 1))"
        elif [ "${ROW_STDERR:-0}" = 1 ] &&
            ! cmp -s <(grep -v '^faultprof:' "$base/native/err") <(grep -v '^faultprof:' "$dir/err"); then
            verdict="STDERR DIFFERS"
        else
            # the runtime's functions in the default run's report; the
            # other runs' traces only have to be readable
            if [ "$mode" = default ]; then
                compat_check_traced "$dir" "$pattern"
            else
                compat_check_traced "$dir" ""
            fi
            [ -n "$ROW_PROBLEM" ] && verdict="BAD TRACE: $ROW_PROBLEM"
        fi
        if [ "$verdict" = ok ]; then
            line="$line, $mode ok ${RUN_SECS}s"
            # the ratio to native, when native took measurable time
            line="$line ($(awk -v a="$RUN_SECS" -v b="$native_secs" \
                'BEGIN { if (b > 0) printf "%.1fx", a / b; else printf "-" }'))"
        else
            if [ "$RUN_END" = hung ]; then
                line="$line, $mode FAIL: HUNG (killed after ${limit}s)"
            else
                line="$line, $mode FAIL: $verdict after ${RUN_SECS}s"
            fi
            row_failed=1
            if [ "$RUN_END" != hung ] && [ -s "$dir/err" ]; then
                echo "    $mode stderr: $(grep -v '^faultprof: wrote\|^faultprof: read it' "$dir/err" | head -c 400)"
            fi
        fi
        [ "$mode" = default ] && [ "$verdict" = ok ] &&
            sites_note="${ROW_TRACES} trace(s), ${ROW_SITES%% *} functions matching in ${ROW_SITES_FROM:-all}: ${ROW_SITES#* }"
    done
    [ -n "$sites_note" ] && [ -n "$pattern" ] && line="$line; default: $sites_note"
    line="$line [row: $((SECONDS - started))s with the reports]"
    if [ "$row_failed" = 1 ]; then
        COMPAT_FAILED+=("$name")
        compat_log "$line => FAIL"
    else
        compat_log "$line => PASS"
    fi
    # keep TMPDIR small: the row's traces are not needed any more
    rm -rf "$base"
    unset ROW_PRELOAD ROW_STDERR ROW_SITES_FROM
}

# compat_done: exit 1 when a row failed, 77 when none ran, else 0
compat_done() {
    echo "rows: $COMPAT_RAN ran, ${#COMPAT_FAILED[@]} failed${COMPAT_FAILED[0]:+ (${COMPAT_FAILED[*]})}, ${#COMPAT_SKIPPED[@]} skipped${COMPAT_SKIPPED[0]:+ (${COMPAT_SKIPPED[*]})}"
    if [ "${#COMPAT_FAILED[@]}" -gt 0 ]; then
        echo "FAIL: rows ${COMPAT_FAILED[*]}" >&2
        exit 1
    fi
    [ "$COMPAT_RAN" -gt 0 ] || skip "no row of $(basename "$0" .sh) could run: ${COMPAT_SKIPPED[*]} not installed"
    exit 0
}
