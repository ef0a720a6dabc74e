#!/bin/bash
# The demo `make demo` runs: builds faultprof, profiles a demo program
# (build/demo/leaky by default) and prints faultprof-report's report of it.
# usage: scripts/demo.sh [PROGRAM [ARGS...]]   PROGRAM: leaky, churn, reuse
# environment: BUILD (default build), DEMO_OUT (where the trace goes,
# default a new directory under /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
prog=${1:-leaky}
[ $# -gt 0 ] && shift
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf '\n== %s\n' "$*"; }

say "building"
make -s -j"$jobs" "$BUILD/libfaultprof.so" "$BUILD/faultprof" "$BUILD/demo/$prog"
report_ok=1
make -s -j"$jobs" "$BUILD/faultprof-report" || report_ok=0

out=${DEMO_OUT:-$(mktemp -d /tmp/faultprof-demo.XXXXXX)}
mkdir -p "$out"
say "profiling: $BUILD/faultprof -o $out/$prog.%p.gz $BUILD/demo/$prog${*:+ $*}"
"$BUILD/faultprof" -o "$out/$prog.%p.gz" "$BUILD/demo/$prog" "$@"

trace=$(ls -t "$out/$prog".*.gz 2>/dev/null | head -n 1 || true)
if [ -z "$trace" ]; then
    echo "demo: no trace was written to $out" >&2
    exit 1
fi

say "report: $BUILD/faultprof-report $trace"
if [ "$report_ok" = 0 ] || [ ! -x "$BUILD/faultprof-report" ]; then
    echo "demo: $BUILD/faultprof-report did not build (see the errors above)" >&2
    exit 1
fi
rc=0
"$BUILD/faultprof-report" "$trace" || rc=$?
if [ "$rc" != 0 ]; then
    echo "demo: faultprof-report failed with exit status $rc" >&2
    exit "$rc"
fi
say "the trace stays in $out; try also: scripts/demo.sh churn, scripts/demo.sh reuse"
