#!/usr/bin/env bash
# bench/compile.sh: real programs under the recorder: a C++ compile
# (g++ -std=c++17 -O0 -c tests/compat/regex.cpp: the driver, cc1plus and as)
# and, where ~/.cargo/bin/rustc is, a Rust one (rustc -O of
# tests/compat/rustc_input.rs), natively, under faultprof, under an earlier
# shim (--base LIB) and under heaptrack when it is installed; wall, user and
# system time, medians of REPS interleaved whole-process runs
# (/usr/bin/time), and the traced compile's rt_sigprocmask calls (perf stat
# on the system call's tracepoint, one run each).
#
#   bench/compile.sh [--reps N] [--base LIB]   (default 5)
# Writes bench/out/compile/compile.md and prints it.
REPS=5 BASE=""
BENCH_USAGE="[--reps N] [--base LIB]"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_options compile compile "$@"
[ -z "$BASE" ] || [ -f "$BASE" ] || { echo "bench/compile.sh: $BASE: no such library" >&2; exit 2; }
bench_build
[ -z "$BASE" ] || cp "$BASE" "$OUT/base.so"
HEAPTRACK=$(command -v heaptrack || true)

WORK=("cxx")
cxx=(g++ -std=c++17 -O0 -c "$ROOT/tests/compat/regex.cpp" -o "$OUT/out.o")
rust=("$HOME/.cargo/bin/rustc" -O --edition 2021 "$ROOT/tests/compat/rustc_input.rs" -o "$OUT/out.bin")
[ -x "${rust[0]}" ] && WORK+=("rust")

# one_run CONFIG WORK: appends "CONFIG-WORK wall user sys" to raw.txt
one_run() {
    local config=$1 work=$2 cmd
    local -n argv=$work
    cmd=("${argv[@]}")
    case $config in
    native) ;;
    now)  cmd=(env LD_PRELOAD="$OUT/libfaultprof.so" FAULTPROF_OUTPUT="$OUT/t.%p.gz" "${cmd[@]}") ;;
    base) cmd=(env LD_PRELOAD="$OUT/base.so" FAULTPROF_OUTPUT="$OUT/t.%p.gz" "${cmd[@]}") ;;
    heaptrack) cmd=("$HEAPTRACK" -o "$OUT/ht" "${cmd[@]}") ;;
    esac
    rm -f "$OUT"/t.*.gz "$OUT"/ht*
    /usr/bin/time -o "$OUT/time.tmp" -f "%e %U %S" "${cmd[@]}" >/dev/null 2>"$OUT/stderr.tmp" ||
        { echo "bench: $config $work failed:" >&2; cat "$OUT/stderr.tmp" >&2; exit 1; }
    awk -v n="$config-$work" '{ print n, $1, $2, $3 }' "$OUT/time.tmp" >>"$OUT/raw.txt"
}

CONFIGS="native now"
[ -z "$BASE" ] || CONFIGS="$CONFIGS base"
[ -z "$HEAPTRACK" ] || CONFIGS="$CONFIGS heaptrack"
: >"$OUT/raw.txt"
for _ in $(seq 1 "$REPS"); do
    for w in "${WORK[@]}"; do
        for c in $CONFIGS; do one_run "$c" "$w"; done
    done
done

# sigmasks CONFIG WORK: the rt_sigprocmask calls of one traced run, counted
# by perf stat on the system call's tracepoint (children included); "-"
# where perf may not
sigmasks() {
    local lib=$OUT/libfaultprof.so
    [ "$1" = base ] && lib=$OUT/base.so
    local -n argv=$2
    perf stat -x, -o "$OUT/perf.tmp" -e syscalls:sys_enter_rt_sigprocmask \
        env LD_PRELOAD="$lib" FAULTPROF_OUTPUT="$OUT/t.%p.gz" "${argv[@]}" >/dev/null 2>&1 ||
        { echo "-"; return; }
    awk -F, '$3 == "syscalls:sys_enter_rt_sigprocmask" { print $1 }' "$OUT/perf.tmp"
}

{
    echo "## real compiles: \`bench/compile.sh --reps $REPS${BASE:+ --base $BASE}\`"
    echo
    echo "- $(bench_stamp), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- cxx: \`${cxx[*]/#$ROOT\//}\`; rust: \`rustc -O --edition 2021 tests/compat/rustc_input.rs\`"
    echo "- medians of $REPS interleaved whole-process runs (/usr/bin/time); x: wall against native's"
    echo
    echo "| work | run | wall s | x | user s | sys s | rt_sigprocmask calls |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    for w in "${WORK[@]}"; do
        nat=$(bench_med "native-$w" 2)
        for c in $CONFIGS; do
            calls="-"
            case $c in now|base) calls=$(sigmasks "$c" "$w") ;; esac
            awk -v w="$w" -v c="$c" -v t="$(bench_med "$c-$w" 2)" -v u="$(bench_med "$c-$w" 3)" \
                -v s="$(bench_med "$c-$w" 4)" -v n="$nat" -v k="$calls" \
                'BEGIN { printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %s |\n", w, c, t, t / n, u, s, k }'
        done
    done
} | tee "$OUT/compile.md"
