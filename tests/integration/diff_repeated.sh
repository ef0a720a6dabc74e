#!/bin/bash
# Repeated runs: --diff BASE... -- NEW... with three runs a side (each a run
# directory from faultprof -o DIR/) shows medians with their spread and
# marks a change significant only beyond the run-to-run noise: pair_fix
# after its fix (BASE) against before (NEW) is significant in minor faults;
# the fixed program against itself is noise; one run a side says there is
# no noise estimate.  JSON carries each side's runs, median, min, max.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
require_launcher
command -v jq >/dev/null || skip "jq not installed"
before=$(require_prog pair_fix)
after=$TMPDIR/pair_fix_fixed
${CC:-cc} -O2 -g -DFIXED -o "$after" "${TESTS:-$(dirname "$0")/..}/progs/pair_fix.c" ||
    die "cannot build the fixed pair_fix"

for i in 1 2 3 4 5 6; do
    "$LAUNCHER" -q -o "$TMPDIR/after$i/" "$after" >/dev/null </dev/null || die "run after$i failed"
done
for i in 1 2 3; do
    "$LAUNCHER" -q -o "$TMPDIR/before$i/" "$before" >/dev/null </dev/null || die "run before$i failed"
done
A=("$TMPDIR"/after1 "$TMPDIR"/after2 "$TMPDIR"/after3)
B=("$TMPDIR"/before1 "$TMPDIR"/before2 "$TMPDIR"/before3)

text=$("$REPORT" --diff "${A[@]}" -- "${B[@]}")
assert_contains "$(head -n 1 <<<"$text")" "3 base runs, 3 new" "first line"
row=$(grep '^  minor faults ' <<<"$text" | head -n 1)
assert_contains "$row" "±" "minor faults with their spread"
assert_contains "$row" "significant" "minor faults before the fix"
json=$("$REPORT" --diff --format json "${A[@]}" -- "${B[@]}")
assert_eq "$(jq -r '.figures.minor_faults.significance' <<<"$json")" significant "JSON significance"
assert_eq "$(jq -r '.figures.minor_faults.base.runs, .figures.minor_faults.new.runs' <<<"$json" | tr '\n' ' ')" \
    "3 3 " "runs a side"
assert_eq "$(jq -r '.runs.new | length' <<<"$json")" 3 "JSON lists the new runs"
jq -e '.figures.minor_faults.new | .min <= .median and .median <= .max' <<<"$json" >/dev/null ||
    die "median outside min..max: $(jq -c '.figures.minor_faults.new' <<<"$json")"
jq -e '.sites[] | select(.function == "scratch_new") | .new_min.minor_faults <= .new.minor_faults' \
    <<<"$json" >/dev/null || die "no per-run spread of scratch_new"

# the same program on both sides: nothing significant in faults
same=$("$REPORT" --diff --format json "${A[@]}" -- "$TMPDIR"/after4 "$TMPDIR"/after5 "$TMPDIR"/after6)
assert_eq "$(jq -r '.figures.minor_faults.significance' <<<"$same")" noise "the fixed program against itself"
assert_eq "$(jq -r '.figures.allocations.significance' <<<"$same")" noise "allocations against itself"

# gates over repeated runs: a limit passed fails only when the change is
# significant by the same rule (options before the lists: after -- all are runs)
rc=0; "$REPORT" --fail-on 'minor_faults>+20%' --diff "${A[@]}" -- "${B[@]}" >/dev/null \
    2>"$TMPDIR/gate" || rc=$?
assert_eq "$rc" 1 "a significant change past its limit"
assert_contains "$(cat "$TMPDIR/gate")" "FAIL minor_faults>+20%" "the gate's verdict"
# the fixed program against itself, both ways: whichever side's median is
# higher passes +0, and that is noise, not a failure
C=("$TMPDIR"/after4 "$TMPDIR"/after5 "$TMPDIR"/after6)
for order in ab ba; do
    if [ $order = ab ]; then x=("${A[@]}") y=("${C[@]}"); else x=("${C[@]}") y=("${A[@]}"); fi
    rc=0; "$REPORT" --fail-on 'minor_faults>+0' --diff "${x[@]}" -- "${y[@]}" >/dev/null \
        2>"$TMPDIR/gate" || rc=$?
    assert_eq "$rc" 0 "noise past a limit does not fail ($order)"
    line=$(grep 'minor_faults>+0' "$TMPDIR/gate")
    case $line in
    *"(+0,"*|*"(-"*) ;;                       # not past the limit
    *) assert_contains "$line" "not significant" "a limit passed by noise ($order)" ;;
    esac
done

# one run a side: no estimate
one=$("$REPORT" --diff "${A[0]}" "${B[0]}")
assert_contains "$(head -n 1 <<<"$one")" "no noise estimate" "one run a side"
assert_not_contains "$(grep '^  minor faults ' <<<"$one")" "significant" "one run a side"

# a side without a run is a usage error
rc=0; "$REPORT" --diff "${A[0]}" -- 2>"$TMPDIR/err" || rc=$?
assert_eq "$rc" 1 "--diff with an empty NEW list"
assert_contains "$(cat "$TMPDIR/err")" "a side without a run"
