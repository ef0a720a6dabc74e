#!/bin/bash
# Fault attribution end to end: flt_touch writes one byte in each of N fresh
# pages in touch_pages(), pages get_pages() allocated.  At least 90% of the
# sampled faults go to touch_pages (fault_sites) and to get_pages's
# allocation (allocation_sites minor_faults); the trace's fault totals are
# within 2% of the program's own getrusage at exit (the shim's faults are in
# both), and so is the estimate within 5%; the folded fault flame graph has touch_pages on top.  Skips when
# the trace has no FAULT record (perf events unavailable here).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog flt_touch)
pages=20000

run_traced "$prog" $pages
assert_eq "$RUN_STATUS" 0 "exit status"
"$REPORT" --dump "$TRACE" | grep -q '^FAULT ' ||
    skip "no FAULT records: $("$REPORT" --dump "$TRACE" | sed -n 's/^NOTE .*key="fault_error" value=//p')"

report_json "$TRACE"
est=$(json_get 'r["page_faults"]["estimated_minor_faults"]')
fn=$(json_get 'sum(s["minor_faults"] for s in r["fault_sites"] if s["function"] == "touch_pages")')
site=$(json_get 'site("get_pages").get("minor_faults", 0)')
echo "estimated $est, touch_pages $fn, get_pages's memory $site"
[ "$est" -gt 0 ] || die "no estimated faults"
[ $((fn * 100)) -ge $((est * 90)) ] || die "touch_pages has $fn of $est estimated faults (< 90%)"
[ $((site * 100)) -ge $((est * 90)) ] || die "get_pages's blocks have $site of $est (< 90%)"
# and at least the pages it touched, within a sample's worth and 2%
[ "$fn" -ge $((pages * 98 / 100 - 64)) ] || die "touch_pages: $fn faults for $pages pages"

# totals: the trace's exact count against the program's own
own=$(sed -n 's/.*minflt=\([0-9]*\).*/\1/p' "$RUN_OUT")
exact=$(json_get 'r["summary"]["minor_faults"]')
echo "program's getrusage $own, trace $exact"
diff=$((exact > own ? exact - own : own - exact))
[ $((diff * 100)) -le $((own * 2)) ] || die "totals differ by $diff ($exact vs $own): more than 2%"
# the estimate from samples is close to the exact total too (the faults
# before the counters opened, a few hundred, are not sampled)
ediff=$((est > exact ? est - exact : exact - est))
[ $((ediff * 100)) -le $((exact * 5)) ] || die "estimate $est vs exact $exact: more than 5%"

# text: the mode, the function, the site
text=$("$REPORT" "$TRACE")
assert_contains "$text" "Page faults: sampled with perf events, period"
assert_contains "$text" "touched by touch_pages"
folded=$("$REPORT" --format folded --metric minor_faults "$TRACE" | sort -k2 -n -r | head -n 1)
assert_contains "$folded" "main;touch_pages " "top of the fault flame graph"
