#!/bin/bash
# Torture: fork while three threads allocate under a lock that the
# program's own atfork handler takes (as jemalloc's prefork takes its arena
# locks).  The fork gate used to close before glibc ran the atfork handlers:
# a thread that met the closed gate with the lock held waited for the fork,
# and the fork waited for the lock, for ever.  Now the gate closes in a
# handler of ours that runs after the program's.  With glibc's malloc and
# jemalloc under the shim, at the default fault period and at 1: the same
# stdout and status, no call dropped, and every child traced.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog tort_atfork)
CAPTURE_TIMEOUT=60
forks=60

extras=("")
je=$(ldconfig -p | awk '$1 == "libjemalloc.so.2" {print $NF; exit}')
if [ -n "$je" ]; then extras+=("$je"); else echo "no libjemalloc.so.2: not tested"; fi

for extra in "${extras[@]}"; do
    for period in "" 1; do
        label="${extra:+jemalloc, }period ${period:-default}"
        PRELOAD_EXTRA=$extra FAULTPROF_FAULT_PERIOD=$period compare_runs run "$prog" "$forks" ||
            die "$label: the traced run differs (ended $TRACED_END)"
        assert_eq "$(cat "$TRACED_OUT")" "forked $forks, ok $forks" "$label"
        assert_eq "${#TRACES[@]}" $((forks + 1)) "$label: traces (the parent and each child)"
        readable "${TRACES[@]}"
        report_json "${TRACES[@]}" || die "$label: report failed: $(cat "$REPORT_JSON.err")"
        assert_eq "$(summary dropped_calls)" 0 "$label: calls dropped at the fork gate"
        rm -f "${TRACES[@]}"
        echo "ok: $label"
    done
done
