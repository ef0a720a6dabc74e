#!/bin/bash
# The pictures of a 20M-event trace: the HTML report's size (the bound is
# 5 MB) and the time headless chromium takes from navigation to painted (the
# bound is 1 s), and the exports' sizes and times (svg, pprof, speedscope).
# tight_loop 2 5000000 (bench/tight_loop.c) and alloc_heavy 2 5000000 each
# make 10M allocations and 10M frees; deep_stacks adds many distinct stacks.
# Whole processes are timed with /usr/bin/time.  Usage: bench/html_report.sh [OUTDIR]
set -eu
BUILD=${BUILD:-build}
out=${1:-$(mktemp -d)}
mkdir -p "$out" "$BUILD/bench"
for p in tight_loop alloc_heavy deep_stacks; do
    cc -O2 -g -pthread -o "$BUILD/bench/$p" "bench/$p.c"
done
# report NAME FORMAT EXT [OPTION...]: the time, peak RSS and size of one output
report() {
    local name=$1 fmt=$2 ext=$3
    shift 3
    /usr/bin/time -f "%e s, %M KB peak RSS" -o "$out/$name.$ext.time" \
        "$BUILD/faultprof-report" -q --format "$fmt" "$@" -o "$out/$name.$ext" "$out/$name.gz"
    printf '%s: --format %s %s: %s bytes, %s\n' "$name" "$fmt" "$*" "$(stat -c %s "$out/$name.$ext")" \
        "$(cat "$out/$name.$ext.time")"
}
run() { # NAME CMD...
    local name=$1
    shift
    /usr/bin/time -f "$name: recorded in %e s" "$BUILD/faultprof" -q -o "$out/$name.gz" "$@" >/dev/null
    events=$("$BUILD/faultprof-report" -q --format json "$out/$name.gz" |
             python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print(s["allocations"]+s["frees"])')
    echo "$name: $events allocation events, trace $(stat -c %s "$out/$name.gz") bytes"
    report "$name" html html
    node tests/html/render_time.js "$out/$name.html" "$out/$name.png"
    report "$name" svg svg -m bytes
    node tests/html/render_time.js "$out/$name.svg" "$out/$name-svg.png"
    report "$name" pprof pb.gz
    report "$name" speedscope speedscope.json
}
run tight_loop_20M "$BUILD/bench/tight_loop" 2 5000000
run alloc_heavy_20M "$BUILD/bench/alloc_heavy" 2 5000000
run deep_stacks "$BUILD/bench/deep_stacks"
