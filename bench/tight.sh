#!/usr/bin/env bash
# bench/tight.sh: the figures of "Performance, round 2" on bench/tight_loop.c
# (2 threads x PAIRS malloc/free pairs of 13 sizes, 11 frames deep), in one
# run, configurations interleaved: wall time native, under faultprof (full
# stacks, fault sampling at its default) and under heaptrack; trace bytes
# per event of both; analysis CPU of faultprof-report against
# heaptrack_print; the same on bench/alloc_heavy; and the recording cost per
# event at 1, 2, 4, 8 and 16 threads (the same total work).  Whole-process
# times from /usr/bin/time.
#
#   bench/tight.sh [--reps N] [--pairs N]      (defaults 3, 5000000: the loop of the issue)
# Writes bench/out/tight/tight.md and prints it.
REPS=3 PAIRS=5000000
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_options tight tight "$@"
command -v heaptrack >/dev/null || apt-get install -y -qq heaptrack >/dev/null
bench_build tight_loop alloc_heavy
PROG=$OUT/tight_loop AH=$OUT/alloc_heavy

# run NAME CMD...: one whole-process run; appends "NAME wall user sys maxrss"
run() {
    local name=$1; shift
    /usr/bin/time -o "$OUT/time.tmp" -f "%e %U %S %M" "$@" >"$OUT/stdout.tmp" 2>"$OUT/stderr.tmp" ||
        { echo "bench: $name failed:" >&2; cat "$OUT/stderr.tmp" >&2; exit 1; }
    echo "$name $(cat "$OUT/time.tmp")" >>"$OUT/raw.txt"
}
median() { # NAME FIELD(2 wall, 3 user, 4 sys, 5 rss)
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$OUT/raw.txt" | sort -g |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
FP=(env LD_PRELOAD="$OUT/libfaultprof.so")

: >"$OUT/raw.txt"
rm -f "$OUT"/fp.*.gz "$OUT"/ht.*
EVENTS=$((2 * 2 * PAIRS))
for _ in $(seq 1 "$REPS"); do
    run native "$PROG" 2 "$PAIRS"
    rm -f "$OUT"/fp.*.gz
    run faultprof "${FP[@]}" FAULTPROF_OUTPUT="$OUT/fp.%p.gz" "$PROG" 2 "$PAIRS"
    rm -f "$OUT"/ht.*
    run heaptrack heaptrack -o "$OUT/ht" "$PROG" 2 "$PAIRS"
done
FP_TRACE=$(ls "$OUT"/fp.*.gz) HT_TRACE=$(ls "$OUT"/ht.*)
for _ in $(seq 1 "$REPS"); do
    run report "$OUT/faultprof-report" -q "$FP_TRACE"
    run heaptrack_print heaptrack_print "$HT_TRACE"
done
# bench/alloc_heavy (2 threads x 1M pairs of mixed sizes, blocks kept a
# while): the same figures
rm -f "$OUT"/ah.*
for _ in $(seq 1 "$REPS"); do
    run ah_native "$AH"
    rm -f "$OUT"/ah.fp.*.gz
    run ah_faultprof "${FP[@]}" FAULTPROF_OUTPUT="$OUT/ah.fp.%p.gz" "$AH"
    rm -f "$OUT"/ah.ht.*
    run ah_heaptrack heaptrack -o "$OUT/ah.ht" "$AH"
done
AH_FP=$(ls "$OUT"/ah.fp.*.gz) AH_HT=$(ls "$OUT"/ah.ht.*)
AH_EVENTS=$("$OUT/faultprof-report" --format json "$AH_FP" | python3 -c 'import json, sys
s = json.load(sys.stdin)["summary"]; print(s["allocations"] + s["frees"])')
for _ in $(seq 1 "$REPS"); do
    run ah_report "$OUT/faultprof-report" -q "$AH_FP"
    run ah_heaptrack_print heaptrack_print "$AH_HT"
done

# scaling: the same total pairs over 1..16 threads
SCALE=""
for th in 1 2 4 8 16; do
    p=$((2 * PAIRS / th))
    for _ in $(seq 1 "$REPS"); do
        run "native$th" "$PROG" "$th" "$p"
        rm -f "$OUT"/sc.*.gz
        run "faultprof$th" "${FP[@]}" FAULTPROF_OUTPUT="$OUT/sc.%p.gz" "$PROG" "$th" "$p"
    done
    SCALE="$SCALE $th"
done

n() { median "$1" 2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
nsper() { awk -v a="$1" -v b="$2" -v e="$3" -v c="$4" 'BEGIN { printf "%.1f", (a - b) * 1e9 * c / e }'; }
cpu() { awk -v n="$1" '$1 == n { print $3 + $4 }' "$OUT/raw.txt" | sort -g |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
CORES=$(nproc)
{
    echo "# tight loop: \`bench/tight.sh --reps $REPS --pairs $PAIRS\`"
    echo
    echo "- $(bench_stamp), load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- workload: \`tight_loop 2 $PAIRS\`: $EVENTS events (malloc and free calls)"
    echo
    echo "| | native | faultprof | heaptrack |"
    echo "| --- | ---: | ---: | ---: |"
    echo "| wall s (median of $REPS) | $(n native) | $(n faultprof) ($(ratio "$(n faultprof)" "$(n native)")x) | $(n heaptrack) ($(ratio "$(n heaptrack)" "$(n native)")x) |"
    fps=$(stat -c %s "$FP_TRACE") hts=$(stat -c %s "$HT_TRACE")
    echo "| trace bytes | | $fps ($(awk -v s="$fps" -v e="$EVENTS" 'BEGIN { printf "%.3f", s / e }') B/event) | $hts ($(awk -v s="$hts" -v e="$EVENTS" 'BEGIN { printf "%.3f", s / e }') B/event) |"
    echo "| CPU s (user+sys) | $(cpu native) | $(cpu faultprof) | $(cpu heaptrack) |"
    echo "| analysis CPU s (user+sys) | | faultprof-report $(cpu report) | heaptrack_print $(cpu heaptrack_print) ($(ratio "$(cpu heaptrack_print)" "$(cpu report)")x ours) |"
    echo "| analysis wall s | | $(n report) | $(n heaptrack_print) |"
    echo
    echo "bench/alloc_heavy, $AH_EVENTS events:"
    echo
    echo "| | native | faultprof | heaptrack |"
    echo "| --- | ---: | ---: | ---: |"
    echo "| wall s (median of $REPS) | $(n ah_native) | $(n ah_faultprof) ($(ratio "$(n ah_faultprof)" "$(n ah_native)")x) | $(n ah_heaptrack) ($(ratio "$(n ah_heaptrack)" "$(n ah_native)")x) |"
    echo "| CPU s (user+sys) | $(cpu ah_native) | $(cpu ah_faultprof) | $(cpu ah_heaptrack) |"
    fps=$(stat -c %s "$AH_FP") hts=$(stat -c %s "$AH_HT")
    echo "| trace bytes | | $fps ($(awk -v s="$fps" -v e="$AH_EVENTS" 'BEGIN { printf "%.3f", s / e }') B/event) | $hts ($(awk -v s="$hts" -v e="$AH_EVENTS" 'BEGIN { printf "%.3f", s / e }') B/event) |"
    echo "| analysis CPU s (user+sys) | | faultprof-report $(cpu ah_report) | heaptrack_print $(cpu ah_heaptrack_print) ($(ratio "$(cpu ah_heaptrack_print)" "$(cpu ah_report)")x ours) |"
    echo "| analysis wall s | | $(n ah_report) | $(n ah_heaptrack_print) |"
    echo
    echo "Recording cost per event, the same $((2 * PAIRS)) pairs over N threads: (faultprof wall - native wall) x min(N, $CORES) / events."
    echo
    echo "| threads | native s | faultprof s | x native | ns per event per thread |"
    echo "| ---: | ---: | ---: | ---: | ---: |"
    for th in $SCALE; do
        c=$((th < CORES ? th : CORES))
        echo "| $th | $(n "native$th") | $(n "faultprof$th") | $(ratio "$(n "faultprof$th")" "$(n "native$th")") | $(nsper "$(n "faultprof$th")" "$(n "native$th")" "$EVENTS" "$c") |"
    done
} >"$OUT/tight.md"
cat "$OUT/tight.md"
