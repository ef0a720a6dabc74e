#!/usr/bin/env bash
# bench/live.sh: the cost of a faultprof-report --live refresh on a trace
# that grows, for a 10 MB and a 100 MB trace of bench/alloc_heavy (2
# threads): bench/live_refresh.c copies the trace in 1 MB steps after
# catching up to SIZE - 5 MB, and times 5 refreshes.  The whole run is timed
# with /usr/bin/time too.
#
#   bench/live.sh [BUILD_DIR]     (default build/; give an older commit's
#                                 build/ to measure it on the same traces)
# Traces are kept in bench/out/live/ and reused.
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
OUT=$ROOT/bench/out/live
mkdir -p "$OUT"
make -s -C "$ROOT" all
cc -O2 -g -pthread -o "$OUT/ah" "$ROOT/bench/alloc_heavy.c"
# the bench against BUILD's analyzer (its own headers: the older commit's)
src=$(cd "$BUILD/.." && pwd)
objs=()
for o in "$BUILD"/obj/analyzer/*.o "$BUILD"/obj/gen/*.o; do
    [ "${o##*/}" = main.o ] || objs+=("$o")
done
cc -O2 -g -D_GNU_SOURCE -std=gnu11 -I"$src/include" -I"$src/analyzer" -o "$OUT/live_refresh" \
    "$ROOT/bench/live_refresh.c" "${objs[@]}" -lncurses -ldw -ldebuginfod -lelf -ldeflate -lz -liberty -lm -pthread
# traces: 2 threads x PAIRS malloc/free pairs (about 8.7 MB per million
# pairs), paced so that they grow for 5 s (10 MB) and 10 s (100 MB), as a
# running program's trace grows: the view waits for an idle thread (here the
# main thread, in pthread_join) during its first second of trace time only
for spec in 10:1150000:5 100:11500000:10; do
    IFS=: read -r mb pairs secs <<<"$spec"
    [ -s "$OUT/t$mb.gz" ] || "$ROOT/build/faultprof" -q -o "$OUT/t$mb.gz" "$OUT/ah" 2 \
        $((pairs / 2)) $((pairs / 2 / secs)) >/dev/null
done
for mb in 10 100; do
    size=$(stat -c %s "$OUT/t$mb.gz")
    echo "== $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }') MB trace ($BUILD)"
    from=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 - 5 }')
    /usr/bin/time -f "whole run: %e s wall, %U s user, %S s sys" \
        "$OUT/live_refresh" "$OUT/t$mb.gz" "$OUT/grow.gz" "$from" 1 5
done
rm -f "$OUT/grow.gz"
