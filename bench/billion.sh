#!/usr/bin/env bash
# bench/billion.sh: a trace of a billion events (issue "Performance, round
# 2"), made here and not kept: bench/tight_loop.c with 2 threads x PAIRS
# malloc/free pairs under the shim (default 250000000 pairs: 1e9 events),
# then faultprof-report over it: CPU and wall time, peak memory (max RSS),
# time per billion events, and the progress line it shows on a terminal
# (run under script(1) to give it one).  Whole-process figures from
# /usr/bin/time.
#
#   bench/billion.sh [--pairs N] [--keep]
# Writes bench/out/billion/billion.md and prints it; the trace is deleted
# unless --keep.
set -euo pipefail
export LC_ALL=C
PAIRS=250000000 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
    --pairs) PAIRS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: bench/billion.sh [--pairs N] [--keep]" >&2; exit 2 ;;
    esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"     # bench_stamp
OUT=$ROOT/bench/out/billion
mkdir -p "$OUT"
make -s -C "$ROOT" all
cc -O2 -g -pthread -o "$OUT/tight_loop" "$ROOT/bench/tight_loop.c"
rm -f "$OUT"/t.*.gz
EVENTS=$((2 * 2 * PAIRS))

/usr/bin/time -o "$OUT/native.time" -f "%e %U %S %M" "$OUT/tight_loop" 2 "$PAIRS" >/dev/null
/usr/bin/time -o "$OUT/record.time" -f "%e %U %S %M" env LD_PRELOAD="$ROOT/build/libfaultprof.so" \
    FAULTPROF_OUTPUT="$OUT/t.%p.gz" "$OUT/tight_loop" 2 "$PAIRS" >/dev/null
TRACE=$(ls "$OUT"/t.*.gz)
# the report on a terminal (script gives it one): its progress line is kept
script -qec "/usr/bin/time -o '$OUT/report.time' -f '%e %U %S %M' \
    '$ROOT/build/faultprof-report' '$TRACE' >'$OUT/report.txt'" "$OUT/tty.txt" >/dev/null
# the last progress line the terminal showed before the report cleared it
PROGRESS=$(tr '\r' '\n' <"$OUT/tty.txt" | grep 'reading' | tail -n 1 | sed 's/\x1b\[K//g')
FIRST=$(tr '\r' '\n' <"$OUT/tty.txt" | grep 'reading' | head -n 1 | sed 's/\x1b\[K//g')
records=$(sed -n 's/.* threads, \([0-9]*\) records$/\1/p' "$OUT/report.txt" | head -n 1)
read -r nw nu ns _ <"$OUT/native.time"
read -r rw ru rs _ <"$OUT/record.time"
read -r aw au as am <"$OUT/report.time"
size=$(stat -c %s "$TRACE")
f() { awk "BEGIN { printf \"$1\", $2 }"; }
{
    echo "# a billion events: \`bench/billion.sh --pairs $PAIRS\`"
    echo
    echo "- $(bench_stamp), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- workload: \`tight_loop 2 $PAIRS\`: $EVENTS malloc and free calls; the report read $records records"
    echo
    echo "| | wall s | CPU s (user+sys) | max RSS | per 1e9 events |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    echo "| native | $nw | $(f %.2f "$nu + $ns") | | |"
    echo "| recording (faultprof defaults) | $rw | $(f %.2f "$ru + $rs") | | $(f '%.1f s CPU' "($ru + $rs - $nu - $ns) * 1e9 / $EVENTS") |"
    echo "| trace | | | | $size bytes ($(f %.4f "$size / $EVENTS") B/event) |"
    echo "| faultprof-report | $aw | $(f %.2f "$au + $as") | $am KiB | $(f '%.1f s wall, %.1f s CPU' "$aw * 1e9 / $EVENTS, ($au + $as) * 1e9 / $EVENTS") |"
    echo
    echo "The progress line on the terminal, first and last seen:"
    echo
    echo "    $FIRST"
    echo "    $PROGRESS"
    echo
    echo "The report's summary:"
    echo
    sed -n '1,6p' "$OUT/report.txt" | sed 's/^/    /'
} >"$OUT/billion.md"
[ "$KEEP" = 1 ] || rm -f "$TRACE"
cat "$OUT/billion.md"
