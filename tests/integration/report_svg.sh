#!/bin/bash
# --format svg in a real browser (headless chromium, tests/exports/check_svg.js):
# no JavaScript error; rep_known's allocation flame graph has alloc_a,
# alloc_b and leak_c 100, 50 and 7 of 157 allocations wide, its leaked one
# leak_c all of it; a click on alloc_b makes it full width and hides
# alloc_a; Reset Zoom undoes it; a search for "alloc_" highlights alloc_a and
# alloc_b and matches 150/157.  --diff of rep_diff's two builds: parse_input
# (20 -> 200 allocations) red and 200 wide, and blue the other way round.
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
"$REPORT" -q --diff "$TMPDIR/new.gz" "$TMPDIR/base.gz" --format svg -m allocations -o "$TMPDIR/rdiff.svg"
timeout 60 node "$checker" "$TMPDIR/rdiff.svg" "$shots/diff-reverse" '{
  "widths": {"parse_input": 20}, "total": '"$(allocs "$TMPDIR/base.gz")"',
  "colors": {"parse_input": "blue"}}' ||
    die "the reverse diff's SVG in the browser (above)"
