#!/usr/bin/env bash
# bench/record_parts.sh: where the recording cost per event goes on the
# tight loop (bench/tight_loop.c, 2 threads x PAIRS malloc/free pairs), by
# configurations a user can choose, each adding one part to the last:
#   native; the shim loaded but paused (FAULTPROF_RECORDING=0: the hooks'
#   pass-through); recording without stacks, fault sampling or fault
#   counters (FAULTPROF_DEPTH=0 FAULTPROF_FAULTS=0 FAULTPROF_RUSAGE_EVERY=0:
#   the clock, the short records, compression); with stacks; the defaults
#   (fault sampling, and getrusage at most once a millisecond a thread).  Runs interleaved, medians of REPS whole-process CPU
#   times (user+sys) from /usr/bin/time; a part's cost is the difference
#   from the row before, per event.
#
#   bench/record_parts.sh [--reps N] [--pairs N]      (defaults 5, 5000000)
# Writes bench/out/parts/parts.md and prints it; bench/run copies it into
# bench/results.md's round-2 section.
REPS=5 PAIRS=5000000
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_options record_parts parts "$@"
bench_build tight_loop
EVENTS=$((2 * 2 * PAIRS))

# the configurations, in order: NAME and the environment it adds
NAMES=(native paused nostack nofaults defaults)
declare -A ENVS=(
    [native]=""
    [paused]="FAULTPROF_RECORDING=0"
    [nostack]="FAULTPROF_DEPTH=0 FAULTPROF_FAULTS=0 FAULTPROF_RUSAGE_EVERY=0"
    [nofaults]="FAULTPROF_FAULTS=0 FAULTPROF_RUSAGE_EVERY=0"
    [defaults]=""
)
declare -A WHAT=(
    [native]="native"
    [paused]="shim loaded, recording paused: the hooks' pass-through"
    [nostack]="recording, no stacks, no fault sampling: clock, short records, compression"
    [nofaults]="+ stacks (11 frames, the stack cache)"
    [defaults]="+ page-fault sampling and its getrusage (at most once a ms a thread): the defaults"
)

: >"$OUT/raw.txt"
for _ in $(seq 1 "$REPS"); do
    for name in "${NAMES[@]}"; do
        rm -f "$OUT"/t.*.gz
        cmd=("$OUT/tight_loop" 2 "$PAIRS")
        if [ "$name" != native ]; then
            # shellcheck disable=SC2206
            cmd=(env ${ENVS[$name]} LD_PRELOAD="$OUT/libfaultprof.so"
                 FAULTPROF_OUTPUT="$OUT/t.%p.gz" "${cmd[@]}")
        fi
        /usr/bin/time -o "$OUT/time.tmp" -f "%e %U %S" "${cmd[@]}" >/dev/null 2>"$OUT/stderr.tmp" ||
            { echo "bench: $name failed:" >&2; cat "$OUT/stderr.tmp" >&2; exit 1; }
        echo "$name $(cat "$OUT/time.tmp")" >>"$OUT/raw.txt"
    done
done
rm -f "$OUT"/t.*.gz

med() { # NAME FIELD (wall, or cpu: user+sys)
    awk -v n="$1" -v f="$2" '$1 == n { print (f == "wall" ? $2 : $3 + $4) }' "$OUT/raw.txt" |
        sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
{
    echo "# recording cost by part: \`bench/record_parts.sh --reps $REPS --pairs $PAIRS\`"
    echo
    echo "- $(bench_stamp), load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- workload: \`tight_loop 2 $PAIRS\`: $EVENTS events; medians of $REPS interleaved runs; a part's ns per event is its row's CPU minus the row above, over the events"
    echo
    echo "| configuration | wall s | CPU s (user+sys) | part, ns of CPU per event |"
    echo "| --- | ---: | ---: | ---: |"
    prev=""
    for name in "${NAMES[@]}"; do
        c=$(med "$name" cpu)
        part=""
        [ -n "$prev" ] && part=$(awk -v a="$c" -v b="$prev" -v e="$EVENTS" 'BEGIN { printf "%.1f", (a - b) * 1e9 / e }')
        echo "| ${WHAT[$name]} (\`${ENVS[$name]:-}\`) | $(med "$name" wall) | $c | $part |"
        prev=$c
    done
    echo
    echo "The whole recording, defaults against native: $(awk -v a="$(med defaults cpu)" -v b="$(med native cpu)" -v e="$EVENTS" 'BEGIN { printf "%.1f", (a - b) * 1e9 / e }') ns of CPU per event."
} >"$OUT/parts.md"
sed -i 's/ (``)//' "$OUT/parts.md"
cat "$OUT/parts.md"
