#!/bin/bash
# C++: std::vector and std::string growth is charged to the user's function
# that grew them (fill_vector, build_string), not to operator new or
# std::__new_allocator; --no-filter shows the allocator frames again.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v jq >/dev/null || skip "jq not installed"
prog=$(require_prog rep_vector)

run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "rep_vector exit status"

json=$("$REPORT" --format json --by function --sort bytes "$TRACE")
top=$(jq -r '.allocation_sites[0].function' <<<"$json")
assert_eq "$top" fill_vector "function with the most bytes"
# 100000 ints by doubling: 18 reallocations, 4 B .. 512 KiB
assert_eq "$(jq -r '.allocation_sites[0].allocations' <<<"$json")" 18 "fill_vector allocations"
assert_eq "$(jq -r '[.allocation_sites[] | select(.function == "build_string")] | length' <<<"$json")" 1 \
    "build_string is a site"
names=$(jq -r '.allocation_sites[].function' <<<"$json")
assert_not_contains "$names" "__new_allocator" "site functions"
assert_not_contains "$names" "operator new" "site functions"

raw=$("$REPORT" --format json --no-filter --sort bytes "$TRACE" | jq -r '.allocation_sites[0].stack | join("\n")')
assert_contains "$raw" "operator new" "unfiltered stack"
assert_contains "$raw" "std::__new_allocator<int>::allocate" "unfiltered stack (inlined frame)"
assert_contains "$raw" "fill_vector (rep_vector.cpp:" "unfiltered stack"

# --filter adds a pattern: folding fill_vector too leaves main as the site
f=$("$REPORT" --format json --by function --sort bytes --filter fill_vector "$TRACE" | jq -r '.allocation_sites[0].function')
assert_eq "$f" main "site with fill_vector filtered"
