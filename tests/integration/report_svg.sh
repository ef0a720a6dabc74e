#!/bin/bash
# --format svg in a real browser (headless chromium, tests/exports/check_svg.js):
# no JavaScript error; rep_known's allocation flame graph has alloc_a,
# alloc_b and leak_c 100, 50 and 7 of 157 allocations wide, its leaked one
# leak_c all of it; a click on alloc_b makes it full width and hides
# alloc_a; Reset Zoom undoes it; a search for "alloc_" highlights alloc_a and
# alloc_b and matches 150/157.  --diff of rep_diff's two builds: parse_input
# (20 -> 200 allocations) red and 200 wide, and blue the other way round,
# where its reverse view ("Width by base") makes it 200 wide again; -m
# faults_by_allocation on rep_tables: big_table's and small_table's boxes as
# wide as the faults on their blocks, fill()'s absent (it is by code).
# Screenshots are kept in $BUILD/tests/svg-shots/.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
require_launcher
command -v jq >/dev/null || skip "jq not installed"
command -v node >/dev/null || skip "node not installed (scripts/install-deps.sh --test)"
[ -x /usr/bin/chromium ] || skip "chromium not installed (scripts/install-deps.sh --test)"
checker="$(dirname "$0")/../exports/check_svg.js"
shots="$BUILD/tests/svg-shots"
rm -rf "$shots"
mkdir -p "$shots/known" "$shots/leaked" "$shots/diff" "$shots/diff-reverse"

timeout 30 "$LAUNCHER" -q -o "$TMPDIR/known.gz" "$(require_prog rep_known)" ||
    die "rep_known under the launcher"
"$REPORT" -q --format svg -m allocations -o "$TMPDIR/known.svg" "$TMPDIR/known.gz"
refs=$(grep -Eo '(src|href)="[^"#]+"' "$TMPDIR/known.svg" || true)
assert_eq "$refs" "" "references outside the SVG"
timeout 60 node "$checker" "$TMPDIR/known.svg" "$shots/known" '{
  "widths": {"alloc_a": 100, "alloc_b": 50, "leak_c": 7}, "total": 157,
  "zoom": "alloc_b", "hidden": "alloc_a", "search": ["alloc_", 150, 157]}' ||
    die "rep_known's SVG in the browser (above)"
"$REPORT" -q --format svg -m leaked -o "$TMPDIR/leaked.svg" "$TMPDIR/known.gz"
timeout 60 node "$checker" "$TMPDIR/leaked.svg" "$shots/leaked" '{"widths": {"leak_c": 224}, "total": 224}' ||
    die "rep_known's leaked SVG in the browser (above)"
# without the script (an image viewer), the boxes are drawn as wide too
grep -q 'data-n="leak_c">.*<rect x="10.00" y="[0-9]*" width="1180.00"' "$TMPDIR/leaked.svg" ||
    die "leak_c's static box is not 1180 px wide"
"$REPORT" -q --format svg -m frees "$TMPDIR/known.gz" 2>"$TMPDIR/err" && die "-m frees accepted"
assert_contains "$(cat "$TMPDIR/err")" "--format svg draws allocations" "-m frees error"

src=${TESTS:-$(dirname "$0")/..}/progs/rep_diff.c
${CC:-cc} -O2 -g -DVARIANT -o "$TMPDIR/rep_diff_variant" "$src" || die "cannot build the variant"
timeout 30 "$LAUNCHER" -q -o "$TMPDIR/base.gz" "$(require_prog rep_diff)" || die "rep_diff"
timeout 30 "$LAUNCHER" -q -o "$TMPDIR/new.gz" "$TMPDIR/rep_diff_variant" || die "rep_diff_variant"
allocs() {
    "$REPORT" -q --format json "$1" | jq .summary.allocations
}
"$REPORT" -q --diff "$TMPDIR/base.gz" "$TMPDIR/new.gz" --format svg -m allocations -o "$TMPDIR/diff.svg"
timeout 60 node "$checker" "$TMPDIR/diff.svg" "$shots/diff" '{
  "widths": {"parse_input": 200}, "total": '"$(allocs "$TMPDIR/new.gz")"',
  "colors": {"parse_input": "red"}, "zoom": "parse_input"}' ||
    die "the diff's SVG in the browser (above)"
# variant -> base: parse_input shrank (blue), 20 wide by new; its reverse
# view (width by base) in the same file makes it as wide as it was
"$REPORT" -q --diff "$TMPDIR/new.gz" "$TMPDIR/base.gz" --format svg -m allocations -o "$TMPDIR/rdiff.svg"
timeout 60 node "$checker" "$TMPDIR/rdiff.svg" "$shots/diff-reverse" '{
  "widths": {"parse_input": 20}, "total": '"$(allocs "$TMPDIR/base.gz")"',
  "colors": {"parse_input": "blue"},
  "reverse": {"widths": {"parse_input": 200}, "total": '"$(allocs "$TMPDIR/new.gz")"',
              "colors": {"parse_input": "blue"}}}' ||
    die "the shrinking diff's SVG and its reverse view in the browser (above)"

# page faults by allocation: rep_tables's fill() takes all the faults, on
# big_table's 3000 pages and small_table's 1000 (exact at period 1: each
# table's first page is faulted by malloc writing the chunk header, outside
# the block)
FAULTPROF_FAULT_PERIOD=1 timeout 30 "$LAUNCHER" -q -o "$TMPDIR/tables.gz" "$(require_prog rep_tables)" ||
    die "rep_tables under the launcher"
json=$("$REPORT" -q --format json "$TMPDIR/tables.gz")
if [ "$(jq .summary.fault_samples <<<"$json")" -gt 0 ]; then
    site_faults() {
        jq "[.allocation_sites[] | select(.function == \"$1\") | .minor_faults + .major_faults] | add" <<<"$json"
    }
    big=$(site_faults big_table)
    small=$(site_faults small_table)
    [ "$big" -ge 2990 ] && [ "$big" -le 3000 ] || die "big_table's blocks took $big faults, not about 3000"
    [ "$small" -ge 990 ] && [ "$small" -le 1000 ] || die "small_table's blocks took $small faults, not about 1000"
    total=$(jq '[.allocation_sites[] | .minor_faults + .major_faults] | add' <<<"$json")
    "$REPORT" -q --format svg -m faults_by_allocation -o "$TMPDIR/tables.svg" "$TMPDIR/tables.gz"
    grep -q '>page faults by allocation</text>' "$TMPDIR/tables.svg" || die "the SVG's title is not 'page faults by allocation'"
    mkdir -p "$shots/by-allocation"
    timeout 60 node "$checker" "$TMPDIR/tables.svg" "$shots/by-allocation" '{
      "widths": {"big_table": '"$big"', "small_table": '"$small"'}, "total": '"$total"',
      "absent": ["fill"], "zoom": "small_table", "hidden": "big_table"}' ||
        die "rep_tables's page faults by allocation in the browser (above)"
    # by code, the same faults are fill()'s
    "$REPORT" -q --format svg -m faults_by_code -o "$TMPDIR/tables-code.svg" "$TMPDIR/tables.gz"
    mkdir -p "$shots/by-code"
    timeout 60 node "$checker" "$TMPDIR/tables-code.svg" "$shots/by-code" '{
      "widths": {"fill": '"$((big + small))"'}, "absent": ["big_table", "small_table"]}' ||
        die "rep_tables's page faults by code in the browser (above)"
    # the differential graph of the metric: the same run on both sides
    "$REPORT" -q --diff "$TMPDIR/tables.gz" "$TMPDIR/tables.gz" --format svg -m faults_by_allocation \
        -o "$TMPDIR/tables-diff.svg"
    grep -q 'data-n="big_table"' "$TMPDIR/tables-diff.svg" || die "no big_table box in the diff's faults_by_allocation SVG"
else
    echo "perf events unavailable: the page faults by allocation SVG is not checked"
fi
