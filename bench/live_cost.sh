#!/usr/bin/env bash
# bench/live_cost.sh: what a paused shim and the live view cost the program.
# bench/alloc_heavy (2 threads x PAIRS malloc/free pairs), configurations
# interleaved REPS times, each a whole process under /usr/bin/time:
#   native           ./ah 2 PAIRS
#   paused           faultprof --paused (every call passes straight through)
#   record-250       faultprof with FAULTPROF_FLUSH_MS=250 (what --live sets)
#   live             faultprof --live, the viewer drawing in a tmux pane
# Prints each run and the medians (wall, user, sys seconds of the launcher
# and what it waited for: the viewer's CPU is in live's user time), and for
# the recorded runs the program's own wall and user time from its trace's
# end (PROCESS_END).
#
#   bench/live_cost.sh [--reps N] [--pairs N]     (defaults 3, 5000000)
REPS=3 PAIRS=5000000
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_options live_cost live_cost "$@"
rm -f "$OUT"/raw.txt "$OUT"/*.gz
command -v tmux >/dev/null || { echo "bench/live_cost.sh: needs tmux" >&2; exit 1; }
make -s -C "$ROOT" all
cc -O2 -g -pthread -o "$OUT/ah" "$ROOT/bench/alloc_heavy.c"
FP=$ROOT/build/faultprof
sock=fp-live-cost-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
TF="%e %U %S"

own() { # TRACE: the program's wall and user seconds, from its PROCESS_END
    "$ROOT/build/faultprof-report" -q --no-symbols "$1" |
        sed -n 's/.*time -v *wall \([0-9.]*\) s, user \([0-9.]*\) s.*/\1 \2/p'
}
run() { # NAME TRACE|- CMD...
    local name=$1 trace=$2; shift 2
    /usr/bin/time -o "$OUT/t" -f "$TF" "$@" >/dev/null 2>"$OUT/err" ||
        { echo "bench: $name failed" >&2; cat "$OUT/err" >&2; exit 1; }
    # shellcheck disable=SC2086 # TRACE is a glob (r.*.gz): the trace has the pid in its name
    echo "$name $(cat "$OUT/t") $([ "$trace" = - ] || own "$OUT"/$trace)" | tee -a "$OUT/raw.txt"
}
run_live() {
    rm -f "$OUT/done"
    tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 30 -e TERM=xterm \
        "/usr/bin/time -o $OUT/t -f '$TF' $FP --live -q -o $OUT/l.%p.gz $OUT/ah 2 $PAIRS >/dev/null 2>$OUT/err; touch $OUT/done"
    while [ ! -e "$OUT/done" ]; do sleep 0.1; done
    tmux -L "$sock" kill-server 2>/dev/null || true
    echo "live $(cat "$OUT/t") $(own "$OUT"/l.*.gz)" | tee -a "$OUT/raw.txt"
}
for _ in $(seq "$REPS"); do
    run native - "$OUT/ah" 2 "$PAIRS"
    run paused - "$FP" -q --paused -o "$OUT/p.%p.gz" "$OUT/ah" 2 "$PAIRS"
    run record-250 'r.*.gz' env FAULTPROF_FLUSH_MS=250 "$FP" -q -o "$OUT/r.%p.gz" "$OUT/ah" 2 "$PAIRS"
    run_live
    rm -f "$OUT"/*.gz
done
echo "medians of $REPS (wall user sys, seconds; then the program's own wall user), 2 x $PAIRS pairs:"
med() { # NAME FIELD
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$OUT/raw.txt" | sort -g |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
for name in native paused record-250 live; do
    printf '  %-11s %6s %6s %6s %6s %6s\n' "$name" "$(med "$name" 2)" "$(med "$name" 3)" \
        "$(med "$name" 4)" "$(med "$name" 5)" "$(med "$name" 6)"
done
