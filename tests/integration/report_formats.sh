#!/bin/bash
# rep_threads (4 named threads x 1000 malloc(32)/free in worker, then a fork
# child that leaks 5 x 128 in child_work): both traces read into one model
# grouped by process; --threads table; JSON threads/processes; folded lines
# for flamegraph.pl; --dump lists every ALLOC and, in time order, never goes
# back in time.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v jq >/dev/null || skip "jq not installed"
prog=$(require_prog rep_threads)

run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "rep_threads exit status"
assert_eq "${#TRACES[@]}" 2 "trace files (parent and fork child)"

json=$("$REPORT" --format json --by function "${TRACES[@]}")
assert_eq "$(jq '.processes | length' <<<"$json")" 2 "processes"
assert_eq "$(jq '[.processes[] | select(.fork_child)] | length' <<<"$json")" 1 "fork children"
assert_eq "$(jq '.summary.processes' <<<"$json")" 2 "summary.processes"
site() { jq -r --arg f "$1" ".allocation_sites[] | select(.function == \$f) | .$2" <<<"$json"; }
assert_eq "$(site worker allocations)" 4000 "worker allocations"
assert_eq "$(site worker temporary)" 4000 "worker temporary"
assert_eq "$(site child_work leaked_bytes)" 640 "child_work leaked bytes"
assert_eq "$(jq '[.threads[] | select(.name == "rep-worker" and .allocations == 1000)] | length' <<<"$json")" 4 \
    "threads named rep-worker with 1000 allocations"

text=$("$REPORT" --threads "${TRACES[@]}")
assert_eq "$(grep -cE '^ +[0-9]+ rep-worker +1000 ' <<<"$text")" 4 "rep-worker rows in --threads"
assert_contains "$text" "(fork child)"

folded=$("$REPORT" --format folded --metric allocations "${TRACES[@]}")
assert_contains "$folded" ";worker 4000" "folded worker line"
assert_contains "$folded" ";main;child_work 5" "folded child_work line"
bad=$(grep -vE '^[^ ].* [0-9]+$' <<<"$folded" || true)
assert_eq "$bad" "" "folded lines that are not 'stack count'"

parent=
for f in "${TRACES[@]}"; do
    "$REPORT" --dump "$f" | grep -q '^FORK ' && parent=$f
done
[ -n "$parent" ] || die "no trace has a FORK record"
dump=$("$REPORT" --dump "$parent")
assert_eq "$(grep -c '^ALLOC[_A-Z]* .* func=malloc flags=0x[0-9a-f]* size=32 ' <<<"$dump")" 4000 "ALLOC size=32 lines"
assert_eq "$(grep -c '^THREAD_START ' <<<"$dump")" 4 "THREAD_START lines"
assert_contains "$dump" "name=\"rep-worker\""
grep -q '^  #0 0x[0-9a-f]* worker (rep_threads.c:' <<<"$dump" || die "no symbolized worker frame in --dump"
timed=$("$REPORT" --dump --order time "$parent")
assert_eq "$(grep -c . <<<"$timed")" "$(grep -c . <<<"$dump")" "lines in time and file order"
awk '/^[A-Z_]+ t=/ { split($2, a, "="); if (a[2] + 0 < last) { print "time went back: " $0; exit 1 } last = a[2] + 0 }' \
    <<<"$(grep -vE '^(BLOCK|STACK|PROCESS) ' <<<"$timed")" || die "--order time is not in time order"
