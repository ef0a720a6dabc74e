#!/bin/bash
# faultprof-report on rep_known: exact counts per named function in JSON and
# text (alloc_a 100 x malloc(64) all temporary, alloc_b 50 x calloc(3, 8),
# leak_c 7 x malloc(32) leaked), and the summary totals.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v jq >/dev/null || skip "jq not installed"
prog=$(require_prog rep_known)

run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "rep_known exit status"
assert_file "$TRACE"

json=$("$REPORT" --format json --by function "$TRACE")
site() { # site FUNCTION FIELD
    jq -r --arg f "$1" --arg k "$2" \
        '[.allocation_sites[] | select(.function == $f)] | if length == 1 then .[0][$k] else "sites: \(length)" end' <<<"$json"
}
assert_eq "$(site alloc_a allocations)" 100 "alloc_a allocations"
assert_eq "$(site alloc_a bytes)" 6400 "alloc_a bytes"
assert_eq "$(site alloc_a temporary)" 100 "alloc_a temporary"
assert_eq "$(site alloc_a leaked_bytes)" 0 "alloc_a leaked_bytes"
assert_eq "$(site alloc_a peak_bytes)" 0 "alloc_a peak_bytes"
assert_eq "$(site alloc_a file | sed 's|.*/||')" rep_known.c "alloc_a file"
assert_eq "$(site alloc_a module)" rep_known "alloc_a module"
assert_eq "$(site alloc_b allocations)" 50 "alloc_b allocations"
assert_eq "$(site alloc_b bytes)" 1200 "alloc_b bytes"
assert_eq "$(site alloc_b temporary)" 0 "alloc_b temporary"
assert_eq "$(site alloc_b peak_bytes)" 1200 "alloc_b peak_bytes"
assert_eq "$(site leak_c allocations)" 7 "leak_c allocations"
assert_eq "$(site leak_c leaked_blocks)" 7 "leak_c leaked_blocks"
assert_eq "$(site leak_c leaked_bytes)" 224 "leak_c leaked_bytes"
assert_eq "$(site leak_c peak_bytes)" 224 "leak_c peak_bytes"

# the full-stack view: the site's caller is main
stack=$("$REPORT" --format json "$TRACE" | jq -r '.allocation_sites[] | select(.function == "leak_c") | .stack[1]')
assert_contains "$stack" "main (rep_known.c:" "leak_c's caller"

# totals: the program's own calls plus whatever libc allocates for it
sum() { jq -r ".summary.$1" <<<"$json"; }
[ "$(sum allocations)" -ge 157 ] || die "summary allocations $(sum allocations) < 157"
[ "$(sum leaked_blocks)" -ge 7 ] || die "summary leaked_blocks $(sum leaked_blocks) < 7"
[ "$(sum temporary_allocations)" -ge 100 ] || die "temporary $(sum temporary_allocations) < 100"
[ "$(sum peak_heap_bytes)" -ge 1424 ] || die "peak $(sum peak_heap_bytes) < 50*24+7*32"
assert_eq "$(sum command)" "$prog" "summary command"
assert_eq "$(sum threads)" 1 "summary threads"
for k in pid frees bytes_allocated mmapped_allocations mmap_calls munmap_calls brk_growth_bytes \
         minor_faults major_faults wall_seconds user_seconds sys_seconds max_rss_kb \
         voluntary_context_switches involuntary_context_switches; do
    assert_ne "$(sum "$k")" null "summary.$k"
done

# text: summary first, then the sites with function and line
text=$("$REPORT" "$TRACE")
assert_contains "$text" "leaked           224 B in 7 blocks"
assert_contains "$text" "temporary        100"
line=$(grep -E '^ +[0-9]+ +100 ' <<<"$text" | head -n 1)
assert_contains "$line" "alloc_a (rep_known.c:" "the 100-allocation row"
awk 'length > 100 { print "line longer than 100 columns: " $0; bad = 1 } END { exit bad }' <<<"$text" \
    || die "text report wider than 100 columns"

# --sort leaked puts leak_c first
first=$("$REPORT" --sort leaked --top 1 "$TRACE" | grep -E '^ +1 ')
assert_contains "$first" "leak_c" "top site by leaked"
