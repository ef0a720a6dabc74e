#!/bin/bash
# The HTML report of a 20M-event trace: its size (the bound is 5 MB) and the
# time headless chromium takes to load and draw it (the bound is 1 s).
# alloc_heavy 2 5000000 makes 10M allocations and 10M frees; deep_stacks
# adds many distinct stacks.  Usage: bench/html_report.sh [OUTDIR]
set -eu
BUILD=${BUILD:-build}
out=${1:-$(mktemp -d)}
mkdir -p "$out" "$BUILD/bench"
cc -O2 -g -pthread -o "$BUILD/bench/alloc_heavy" bench/alloc_heavy.c
cc -O2 -g -pthread -o "$BUILD/bench/deep_stacks" bench/deep_stacks.c
run() { # NAME CMD...
    local name=$1
    shift
    "$BUILD/faultprof" -q -o "$out/$name.gz" "$@" >/dev/null
    /usr/bin/time -f "$name: report %e s, %M KB peak RSS" \
        "$BUILD/faultprof-report" -q --format html -o "$out/$name.html" "$out/$name.gz"
    events=$("$BUILD/faultprof-report" -q --format json "$out/$name.gz" |
             python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print(s["allocations"]+s["frees"])')
    echo "$name: $events allocation events, trace $(stat -c %s "$out/$name.gz") bytes, html $(stat -c %s "$out/$name.html") bytes"
    node tests/html/render_time.js "$out/$name.html" "$out/$name.png"
}
run alloc_heavy_20M "$BUILD/bench/alloc_heavy" 2 5000000
run deep_stacks "$BUILD/bench/deep_stacks"
