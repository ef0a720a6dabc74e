#!/bin/bash
# faultprof-report --format html in a real browser (headless chromium driven
# by tests/html/check_report.js): no JavaScript error; on rep_known the flame
# graph's boxes for alloc_a, alloc_b and leak_c are 100, 50 and 7 of the 157
# allocations wide and leak_c all of the leaked bytes, a click zooms, a search
# highlights; on demo/churn the page-fault flame graphs by code and by
# allocation are record_process's and work_buffer_new's, the timeline marks
# the heap peak of the JSON report, and a selected interval restricts the
# flame graph; --diff reuse churn --format html shows the summary's ratios
# and record_process's faults of both sides in a red box.  "per thread"
# draws rep_lanes's two threads with their known heap peaks and faults.  Screenshots of
# each view are kept in $BUILD/tests/html-shots/ for a person to look at.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v jq >/dev/null || skip "jq not installed"
command -v node >/dev/null || skip "node not installed (scripts/install-deps.sh --test)"
[ -x /usr/bin/chromium ] || skip "chromium not installed (scripts/install-deps.sh --test)"
checker="$(dirname "$0")/../html/check_report.js"
shots="$BUILD/tests/html-shots"
rm -rf "$shots"

# the page is one file: no network, nothing loaded from elsewhere
self_contained() {
    local refs
    refs=$(grep -Eo '(src|href)="[^"#]+"|https?://[^"'"'"' )]+' "$1" | grep -v '^http://www.w3.org/2000/svg$' || true)
    assert_eq "$refs" "" "$1: references outside the page"
}

prog=$(require_prog rep_known)
run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "rep_known exit status"
"$REPORT" -q --format html -o "$TMPDIR/known.html" "$TRACE"
self_contained "$TMPDIR/known.html"
json=$("$REPORT" -q --format json "$TRACE")
allocs=$(jq .summary.allocations <<<"$json")
peak=$(jq .summary.peak_heap_bytes <<<"$json")
leaked=$(jq .summary.leaked_bytes <<<"$json")
mkdir -p "$shots/known"
timeout 60 node "$checker" "$TMPDIR/known.html" "$shots/known" "{
  \"widths\": {\"allocations\": {\"alloc_a\": 100, \"alloc_b\": 50, \"leak_c\": 7},
               \"leaked\": {\"leak_c\": 224}},
  \"totals\": {\"allocations\": $allocs, \"leaked\": $leaked},
  \"zoom\": [\"allocations\", \"alloc_b\"],
  \"search\": [\"alloc_\", [\"alloc_a\", \"alloc_b\"], [\"leak_c\"], 150],
  \"peak\": $peak}" || die "rep_known's report in the browser (above)"

# the timeline per thread: rep_lanes's holder keeps 100 x 4096 bytes until
# main frees them (still holder's blocks), toucher maps 2000 pages and
# faults them in; the faults a lane shows are its thread's FAULT records'
# weights (--dump), or its getrusage counts without perf events
timeout 30 "$LAUNCHER" -q -o "$TMPDIR/lanes.gz" "$(require_prog rep_lanes)" || die "rep_lanes under the launcher"
"$REPORT" -q --format html -o "$TMPDIR/lanes.html" "$TMPDIR/lanes.gz"
json=$("$REPORT" -q --format json "$TMPDIR/lanes.gz")
thread_faults() { # NAME
    local tid
    tid=$(jq ".threads[] | select(.name == \"$1\") | .tid" <<<"$json")
    [ -n "$tid" ] || die "no thread $1 in the JSON report"
    if [ "$(jq .summary.fault_samples <<<"$json")" -gt 0 ]; then
        "$REPORT" --dump "$TMPDIR/lanes.gz" |
            awk -v t="tid=$tid" '$1 == "FAULT" && $3 == t { sub("weight=", "", $NF); s += $NF } END { print s + 0 }'
    else
        jq ".threads[] | select(.tid == $tid) | .minor_faults + .major_faults" <<<"$json"
    fi
}
hf=$(thread_faults holder)
tf=$(thread_faults toucher)
[ "$tf" -ge 1000 ] || die "toucher took $tf faults, fewer than half its 2000 pages"
mkdir -p "$shots/lanes"
timeout 60 node "$checker" "$TMPDIR/lanes.html" "$shots/lanes" "{
  \"lanes\": {\"holder\": {\"peak\": 409600, \"end\": 0, \"faults\": $hf},
             \"toucher\": {\"peak\": 8192000, \"end\": 0, \"faults\": $tf}}}" ||
    die "rep_lanes's timeline per thread in the browser (above)"

churn="$DEMOS/churn"
[ -x "$churn" ] || skip "$churn not built"
timeout 120 "$LAUNCHER" -q -o "$TMPDIR/churn.gz" "$churn" >/dev/null
"$REPORT" -q --format html -o "$TMPDIR/churn.html" "$TMPDIR/churn.gz"
self_contained "$TMPDIR/churn.html"
json=$("$REPORT" -q --format json "$TMPDIR/churn.gz")
peak=$(jq .summary.peak_heap_bytes <<<"$json")
code=$(jq '[.fault_sites[] | select(.function == "record_process") | .minor_faults + .major_faults] | add' <<<"$json")
mem=$(jq '[.allocation_sites[] | select(.function == "work_buffer_new") | .minor_faults + .major_faults] | add' <<<"$json")
n=$(jq '[.allocation_sites[] | select(.function == "work_buffer_new") | .allocations] | add' <<<"$json")
assert_eq "$n" 4096 "work_buffer_new allocations"
mkdir -p "$shots/churn"
timeout 60 node "$checker" "$TMPDIR/churn.html" "$shots/churn" "{
  \"widths\": {\"page faults by code\": {\"record_process\": $code},
               \"page faults by allocation\": {\"work_buffer_new\": $mem}},
  \"peak\": $peak, \"interval\": [\"work_buffer_new\", 4096]}" ||
    die "churn's report in the browser (above)"

# the diff of reuse and churn
timeout 120 "$LAUNCHER" -q -o "$TMPDIR/reuse.gz" "$DEMOS/reuse" >/dev/null
"$REPORT" -q --diff "$TMPDIR/reuse.gz" "$TMPDIR/churn.gz" --format html -o "$TMPDIR/diff.html"
self_contained "$TMPDIR/diff.html"
dj=$("$REPORT" -q --diff "$TMPDIR/reuse.gz" "$TMPDIR/churn.gz" --format json)
fb=$(jq '[.fault_sites[] | select(.function == "record_process") | .base.minor_faults + .base.major_faults] | add' <<<"$dj" 2>/dev/null || true)
fn=$(jq '[.fault_sites[] | select(.function == "record_process") | .new.minor_faults + .new.major_faults] | add' <<<"$dj" 2>/dev/null || true)
ratio=$("$REPORT" -q --diff "$TMPDIR/reuse.gz" "$TMPDIR/churn.gz" | awk '$1 == "minor" && $2 == "faults" { print $5; exit }')
mkdir -p "$shots/diff"
timeout 60 node "$checker" "$TMPDIR/diff.html" "$shots/diff" "{
  \"diff\": {\"ratios\": {\"minor_faults\": \"$ratio\"},
             \"boxes\": [[\"page faults by code\", \"record_process\", $fb, $fn]]}}" ||
    die "the diff's page in the browser (above)"
