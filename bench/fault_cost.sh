#!/bin/bash
# The cost of one sampled page fault: demo/churn (about 1M minor faults) under
# the shim with fault sampling off, at period 1 (every fault sampled) and at
# the default period, in one run.  Prints CPU seconds and the cost per
# sampled fault.  Usage: bench/fault_cost.sh [BUILD_DIR]
set -eu
build=${1:-build}
shim=$build/libfaultprof.so
prog=$build/demo/churn
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cpu() {  # cpu seconds and minor faults of one run: "secs faults"
    /usr/bin/time -f '%U %S %R' -o "$out/t" env "$@" LD_PRELOAD="$shim" \
        FAULTPROF_OUTPUT="$out/t.%p.gz" "$prog" >/dev/null
    awk '{ printf "%.2f %d\n", $1 + $2, $3 }' "$out/t"
}
read -r off faults < <(cpu FAULTPROF_FAULTS=0)
read -r p1 _ < <(cpu FAULTPROF_FAULT_PERIOD=1)
read -r p64 _ < <(cpu FAULTPROF_FAULT_PERIOD=64)
echo "demo/churn, $faults minor faults; CPU seconds under the shim:"
echo "  fault sampling off  $off"
echo "  period 1            $p1"
echo "  period 64 (default) $p64"
awk -v a="$off" -v b="$p1" -v c="$p64" -v n="$faults" 'BEGIN {
    printf "  per sampled fault  %.2f us;  period 64 costs %.1f%% over sampling off\n",
        (b - a) / n * 1e6, (c - a) / a * 100 }'
