#!/bin/bash
# Diagnoses from real runs of flt_patterns: 34 MiB blocks (above glibc's
# largest mmap threshold) made and freed 12 times are mmap_churn at
# churn_big_buffers, with most of their faults as the saving; 64 zeroed
# 1 MiB tables written once are zeroed_first_touch at zeroed_tables.  The
# text report prints them right after the summary.  Skips without FAULT
# records.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog flt_patterns)

run_traced "$prog" mmapchurn
assert_eq "$RUN_STATUS" 0 "exit status"
"$REPORT" --dump "$TRACE" | grep -q '^FAULT ' || skip "no FAULT records (perf events unavailable)"
report_json "$TRACE"
assert_eq "$(json_get 'r["diagnoses"][0]["kind"]')" mmap_churn "first diagnosis"
assert_contains "$(json_get 'r["diagnoses"][0]["allocation_site"]')" churn_big_buffers
saving=$(json_get 'r["diagnoses"][0]["saving"]')
faults=$(json_get 'r["diagnoses"][0]["faults"]')
echo "mmap_churn: $faults faults on the blocks, saving $saving"
# 11 of the 12 blocks replace a freed one
[ $((saving * 100)) -ge $((faults * 80)) ] || die "saving $saving of $faults faults"
assert_contains "$(json_get 'r["diagnoses"][0]["advice"]')" "glibc.malloc.top_pad"
text=$("$REPORT" "$TRACE")
assert_contains "$(sed -n '/^Diagnoses:/,/^Page faults/p' <<<"$text")" "mmap_churn"
[ "$(grep -n '^Diagnoses:' <<<"$text" | cut -d: -f1)" -lt \
  "$(grep -n '^Page faults:' <<<"$text" | cut -d: -f1)" ] || die "diagnoses after page faults"

run_traced "$prog" calloc
report_json "$TRACE"
assert_eq "$(json_get 'r["diagnoses"][0]["kind"]')" zeroed_first_touch "calloc diagnosis"
assert_contains "$(json_get 'r["diagnoses"][0]["allocation_site"]')" zeroed_tables
assert_eq "$(json_get 'len(r["diagnoses"])')" 1 "diagnoses of the calloc run"
