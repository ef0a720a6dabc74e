#!/bin/bash
# The demo pair: churn and reuse do the same work with the same output;
# churn frees and re-makes its working buffers.  --diff reuse churn puts the
# culprit first: the fault source with the largest delta is record_process
# (where the buffers are filled), the allocation site with the largest fault
# delta is work_buffer_new, and churn's diagnosis names that site.  Skips
# when the trace has no FAULT record.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v jq >/dev/null || skip "jq not installed"
[ -x "$DEMOS/churn" ] && [ -x "$DEMOS/reuse" ] || die "demos not built"

run_traced "$DEMOS/reuse" 1024 8 1024
reuse=$TRACE
reuse_out=$(cat "$RUN_OUT")
run_traced "$DEMOS/churn" 1024 8 1024
churn=$TRACE
assert_eq "$(cat "$RUN_OUT")" "$reuse_out" "the two demos' output"
"$REPORT" --dump "$churn" | grep -q '^FAULT ' || skip "no FAULT records (perf events unavailable)"

json=$("$REPORT" --diff --format json --by function --sort faults "$reuse" "$churn")
assert_eq "$(jq -r '.fault_sites[0].function' <<<"$json")" record_process "top fault source"
assert_eq "$(jq -r '.sites[0].function' <<<"$json")" work_buffer_new "top fault-charged site"
base=$(jq -r '.base.minor_faults' <<<"$json")
new=$(jq -r '.new.minor_faults' <<<"$json")
echo "minor faults: reuse $base, churn $new"
[ "$new" -gt $((base * 20)) ] || die "churn should fault > 20x reuse ($new vs $base)"
[ "$(jq -r '.sites[0].delta.minor_faults' <<<"$json")" -gt $((new / 2)) ] ||
    die "work_buffer_new's delta is not most of churn's faults"

text=$("$REPORT" --diff "$reuse" "$churn")
first=$(sed -n '/^Fault sources ranked/{n;n;p;}' <<<"$text")
assert_contains "$first" "record_process" "first fault source line"
first=$(sed -n '/^Allocation sites ranked by change in the faults/{n;n;p;}' <<<"$text")
assert_contains "$first" "work_buffer_new" "first allocation site line"
assert_contains "$text" "Diagnoses of new:"
assert_contains "$(sed -n '/^Diagnoses of new:/,/^$/p' <<<"$text")" "work_buffer_new"
