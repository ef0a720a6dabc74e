#!/usr/bin/env bash
# bench/report_runs.sh: faultprof-report on a run of many processes, as a
# build makes them: FILES compilations of one C file by gcc -O2 under one
# launcher (gcc, cc1, as, collect2 and ld each a process), reported as a
# run at -j 1 and -j 2: wall, user+sys CPU and max RSS, medians of REPS
# interleaved whole-process runs (/usr/bin/time), and the same per
# process.  The figures grow with the processes' distinct module files,
# not with the processes, when each file is opened once for all of them
# (analyzer/symfiles.c).
#
#   bench/report_runs.sh [--reps N] [--files N] [--base REPORT]   (defaults 5, 10)
# --base REPORT: another faultprof-report binary (an earlier build) measured
# in the same runs, interleaved, for a before/after.
# Writes bench/out/runs/runs.md and prints it.
REPS=5 FILES=10 BASE=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --files) FILES=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
done
BENCH_USAGE="[--reps N] [--files N] [--base REPORT]"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_options report_runs runs "${args[@]}"
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "bench/report_runs.sh: $BASE: not an executable" >&2; exit 2; }
bench_build

# the run: FILES compilations of a small program
printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { char *p = malloc(64); puts(p ? "ok" : "no"); free(p); return 0; }\n' \
    >"$OUT/x.c"
rm -rf "$OUT/run"
"$ROOT/build/faultprof" -o "$OUT/run/" sh -c \
    'for i in $(seq 1 "$1"); do gcc -O2 -c "$2" -o "$3/x$i.o"; done' sh "$FILES" "$OUT/x.c" "$OUT" \
    >/dev/null 2>"$OUT/launcher.err" || { cat "$OUT/launcher.err" >&2; exit 1; }
PROCS=$("$OUT/faultprof-report" -q --format json "$OUT/run" | python3 -c \
    'import json, sys; print(len(json.load(sys.stdin)["processes"]))')

: >"$OUT/raw.txt"
NAMES=""
for _ in $(seq 1 "$REPS"); do
    for j in 1 2; do
        bench_run "now-j$j" "$OUT/faultprof-report" -q -j "$j" "$OUT/run"
        [ -z "$BASE" ] || bench_run "base-j$j" "$BASE" -q -j "$j" "$OUT/run"
    done
done
for j in 1 2; do NAMES="$NAMES now-j$j"; [ -z "$BASE" ] || NAMES="$NAMES base-j$j"; done

{
    echo "## a run of many processes: \`bench/report_runs.sh --reps $REPS --files $FILES${BASE:+ --base $BASE}\`"
    echo
    echo "- $(bench_stamp), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- workload: \`faultprof -o run/ sh -c 'for i in \$(seq 1 $FILES); do gcc -O2 -c x.c; done'\`: $PROCS processes"
    echo "- \`faultprof-report -q -j N run/\`, medians of $REPS interleaved runs${BASE:+; base: $BASE}"
    echo
    echo "| report | wall s | CPU s (user+sys) | max RSS KiB | CPU ms per process | RSS KiB per process |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for n in $NAMES; do
        w=$(bench_med "$n" 2) c=$(bench_med "$n" 3) r=$(bench_med "$n" 4)
        awk -v n="$n" -v w="$w" -v c="$c" -v r="$r" -v p="$PROCS" \
            'BEGIN { printf "| %s | %s | %s | %s | %.1f | %.0f |\n", n, w, c, r, 1000 * c / p, r / p }'
    done
} | tee "$OUT/runs.md"
