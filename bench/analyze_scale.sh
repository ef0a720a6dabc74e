#!/usr/bin/env bash
# bench/analyze_scale.sh: the analysis side of "Performance, round 2" by
# thread count: faultprof-report -q at -j 1, 2 and all online CPUs against
# heaptrack_print on the same workloads (bench/tight_loop 2 PAIRS and
# bench/alloc_heavy), runs interleaved, medians of REPS whole-process times
# from /usr/bin/time (wall, user+sys CPU, max RSS).
#
#   bench/analyze_scale.sh [--instructions] [--reps N] [--pairs N]   (defaults 5, 5000000)
# --instructions: also each analyzer once under valgrind's callgrind, -j 1:
# instructions executed, which a busy or shared machine does not blur (a
# few minutes more).
# Writes bench/out/scale/scale.md and prints it; bench/run copies it into
# bench/results.md's round-2 section.
REPS=5 PAIRS=5000000 INSTR=0
args=()
for a in "$@"; do
    if [ "$a" = --instructions ]; then INSTR=1; else args+=("$a"); fi
done
BENCH_USAGE="[--instructions] [--reps N] [--pairs N]"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_options analyze_scale scale "${args[@]}"
command -v heaptrack >/dev/null || apt-get install -y -qq heaptrack >/dev/null
[ "$INSTR" = 0 ] || command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
bench_build tight_loop alloc_heavy
CORES=$(nproc)
JOBS="1 2"
[ "$CORES" -le 2 ] || JOBS="$JOBS $CORES"

# the traces: one recording of each workload by each profiler
rm -f "$OUT"/*.gz "$OUT"/ht.*
env LD_PRELOAD="$OUT/libfaultprof.so" FAULTPROF_OUTPUT="$OUT/tl.%p.gz" "$OUT/tight_loop" 2 "$PAIRS" >/dev/null
env LD_PRELOAD="$OUT/libfaultprof.so" FAULTPROF_OUTPUT="$OUT/ah.%p.gz" "$OUT/alloc_heavy" >/dev/null
heaptrack -o "$OUT/ht.tl" "$OUT/tight_loop" 2 "$PAIRS" >/dev/null 2>&1
heaptrack -o "$OUT/ht.ah" "$OUT/alloc_heavy" >/dev/null 2>&1
TL=$(ls "$OUT"/tl.*.gz) AH=$(ls "$OUT"/ah.*.gz)
HT_TL=$(ls "$OUT"/ht.tl.*) HT_AH=$(ls "$OUT"/ht.ah.*)

: >"$OUT/raw.txt"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq 1 "$REPS"); do
    for w in tl ah; do
        trace=$TL ht=$HT_TL
        [ $w = tl ] || trace=$AH ht=$HT_AH
        for j in $JOBS; do
            bench_run "$w.j$j" "$OUT/faultprof-report" -q -j "$j" "$trace"
        done
        bench_run "$w.ht" heaptrack_print "$ht"
    done
done
# instructions NAME CMD...: appends "NAME count" (callgrind's total)
: >"$OUT/instr.txt"
instructions() {
    local name=$1; shift
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$OUT/stderr.tmp" ||
        { echo "bench: $name failed under callgrind:" >&2; cat "$OUT/stderr.tmp" >&2; exit 1; }
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/stderr.tmp" | awk -v n="$name" '{ print n, $1 }' >>"$OUT/instr.txt"
}
if [ "$INSTR" = 1 ]; then
    instructions tl.j1 "$OUT/faultprof-report" -q -j 1 "$TL"
    instructions tl.ht heaptrack_print "$HT_TL"
    instructions ah.j1 "$OUT/faultprof-report" -q -j 1 "$AH"
    instructions ah.ht heaptrack_print "$HT_AH"
fi
icount() { awk -v n="$1" '$1 == n { print $2 }' "$OUT/instr.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
    echo "# analysis by thread count: \`bench/analyze_scale.sh$([ "$INSTR" = 0 ] || echo " --instructions") --reps $REPS --pairs $PAIRS\`"
    echo
    echo "- $(bench_stamp), load before the run: $LOAD"
    echo "- \`faultprof-report -q -j N TRACE\` against \`heaptrack_print TRACE\`, medians of $REPS interleaved runs; efficiency: heaptrack_print's CPU over ours"
    for w in tl ah; do
        echo
        if [ $w = tl ]; then
            echo "\`tight_loop 2 $PAIRS\` ($((4 * PAIRS)) events), trace $(stat -c %s "$TL") bytes (heaptrack's $(stat -c %s "$HT_TL")):"
        else
            echo "bench/alloc_heavy (4000003 events), trace $(stat -c %s "$AH") bytes (heaptrack's $(stat -c %s "$HT_AH")):"
        fi
        echo
        echo "| | wall s | CPU s (user+sys) | max RSS KiB | CPU efficiency vs heaptrack_print | wall vs heaptrack_print |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: |"
        hw=$(bench_med "$w.ht" 2) hc=$(bench_med "$w.ht" 3)
        for j in $JOBS; do
            echo "| faultprof-report -j $j | $(bench_med "$w.j$j" 2) | $(bench_med "$w.j$j" 3) | $(bench_med "$w.j$j" 4) | $(ratio "$hc" "$(bench_med "$w.j$j" 3)")x | $(ratio "$hw" "$(bench_med "$w.j$j" 2)")x faster |"
        done
        echo "| heaptrack_print | $hw | $hc | $(bench_med "$w.ht" 4) | | |"
    done
    if [ "$INSTR" = 1 ]; then
        echo
        echo "Instructions executed (valgrind --tool=callgrind, one run each, \`-j 1\`):"
        echo
        echo "| | faultprof-report | heaptrack_print | heaptrack_print's over ours |"
        echo "| --- | ---: | ---: | ---: |"
        for w in tl ah; do
            label="tight loop"
            [ $w = tl ] || label="alloc_heavy"
            a=$(icount "$w.j1") b=$(icount "$w.ht")
            echo "| $label | $a | $b | $(ratio "$b" "$a")x |"
        done
    fi
} >"$OUT/scale.md"
cat "$OUT/scale.md"
