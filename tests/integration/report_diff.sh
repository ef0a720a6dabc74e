#!/bin/bash
# --diff of two builds of rep_diff (the new one built here with -DVARIANT):
# sites match by function across differently named executables, and the
# changed function (parse_input, 20 -> 200 allocations) ranks first; the
# unchanged one shows delta 0.  JSON and differential folded agree.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v jq >/dev/null || skip "jq not installed"
base_prog=$(require_prog rep_diff)
src=${TESTS:-$(dirname "$0")/..}/progs/rep_diff.c
new_prog=$TMPDIR/rep_diff_variant
${CC:-cc} -O2 -g -DVARIANT -o "$new_prog" "$src" || die "cannot build the variant"

run_traced "$base_prog"
base=$TRACE
run_traced "$new_prog"
new=$TRACE

text=$("$REPORT" --diff "$base" "$new")
assert_contains "$text" "allocations"
row=$(sed -n '/^Sites ranked by change/,/^$/p' "/dev/stdin" <<<"$text" | grep -E '^ +1 ')
assert_contains "$row" "parse_input" "first changed site"
assert_contains "$row" "+180" "parse_input's delta"

json=$("$REPORT" --diff --format json --by function "$base" "$new")
assert_eq "$(jq -r '.sites[0].function' <<<"$json")" parse_input "first site in JSON"
assert_eq "$(jq -r '.sites[0].base.allocations' <<<"$json")" 20 "parse_input base"
assert_eq "$(jq -r '.sites[0].new.allocations' <<<"$json")" 200 "parse_input new"
assert_eq "$(jq -r '.sites[0].delta.allocations' <<<"$json")" 180 "parse_input delta"
assert_eq "$(jq -r '.sites[] | select(.function == "steady_work") | .delta.allocations' <<<"$json")" 0 \
    "steady_work delta"
assert_eq "$(jq -r '.sites[] | select(.function == "steady_work") | .in_base and .in_new' <<<"$json")" true \
    "steady_work matched on both sides"
[ "$(jq -r '.new.allocations - .base.allocations' <<<"$json")" -ge 180 ] || die "summary delta"

folded=$("$REPORT" --diff --format folded --metric allocations "$base" "$new")
assert_contains "$folded" ";main;parse_input 20 200" "differential folded"
assert_contains "$folded" ";main;steady_work 30 30" "differential folded"

# the same trace against itself: nothing changed
same=$("$REPORT" --diff --format json "$base" "$base" | jq '[.sites[].delta.allocations | select(. != 0)] | length')
assert_eq "$same" 0 "changes of a trace against itself"
