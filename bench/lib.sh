# bench/lib.sh: what the round-2 bench scripts share.  A script sets its
# defaults of REPS and PAIRS, then
#   . "$(dirname "$0")/lib.sh"
#   bench_options SCRIPT OUTDIR "$@"
# which reads --reps N, --pairs N and --base X (an earlier build, measured
# beside this one by the scripts that take it; anything else: a usage line
# naming bench/SCRIPT.sh, with BENCH_USAGE as its options when set), sets
# ROOT (the repository) and OUT (bench/out/OUTDIR, made).
# shellcheck shell=bash
set -euo pipefail
export LC_ALL=C

# shellcheck disable=SC2034  # REPS, PAIRS, BASE, ROOT, OUT: the caller's
bench_options() {
    local script=$1 dir=$2
    shift 2
    while [ $# -gt 0 ]; do
        case "$1" in
        --reps) REPS=$2; shift 2 ;;
        --pairs) PAIRS=$2; shift 2 ;;
        --base) BASE=$2; shift 2 ;;
        *) echo "usage: bench/$script.sh ${BENCH_USAGE:-[--reps N] [--pairs N]}" >&2; exit 2 ;;
        esac
    done
    ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    OUT=$ROOT/bench/out/$dir
    mkdir -p "$OUT"
}

# bench_build PROGRAM...: the project built, the shim and the report copied
# into OUT (what the run measures stays put while the tree changes), and
# each bench/PROGRAM.c compiled there as users build (-O2 -g)
bench_build() {
    make -s -C "$ROOT" all
    cp "$ROOT/build/libfaultprof.so" "$ROOT/build/faultprof-report" "$OUT/"
    local p
    for p in "$@"; do
        cc -O2 -g -pthread -o "$OUT/$p" "$ROOT/bench/$p.c"
    done
}

# bench_stamp: "date ..., commit ..., N CPUs (model)", the start of a
# result's first line (figures from different machines are not comparable)
bench_stamp() {
    local model
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) CPUs (${model:-unknown model})"
}

# bench_run NAME CMD...: one whole-process run of CMD (output thrown away)
# under /usr/bin/time; appends "NAME wall cpu maxrss" (cpu: user + sys) to
# $OUT/raw.txt, or prints CMD's errors and exits when it fails
bench_run() {
    local name=$1; shift
    /usr/bin/time -o "$OUT/time.tmp" -f "%e %U %S %M" "$@" >/dev/null 2>"$OUT/stderr.tmp" ||
        { echo "bench: $name failed:" >&2; cat "$OUT/stderr.tmp" >&2; exit 1; }
    awk -v n="$name" '{ printf "%s %s %.2f %s\n", n, $1, $2 + $3, $4 }' "$OUT/time.tmp" >>"$OUT/raw.txt"
}

# bench_med NAME FIELD: the median of bench_run's field (2 wall, 3 cpu, 4 rss)
bench_med() {
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$OUT/raw.txt" | sort -g |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
