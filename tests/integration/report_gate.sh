#!/bin/bash
# --diff BASE NEW --fail-on EXPR, the CI gate: rep_diff against its variant
# (parse_input 20 -> 200 allocations of 100 bytes, steady_work unchanged).
# A limit the change passes exits 1 with one FAIL line naming the gate and
# its figures; limits it stays under exit 0; the diff still goes to stdout;
# --junit writes a JUnit XML file with one test case per gate; a bad
# expression or a function no site has is one line and a non-zero exit.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
base_prog=$(require_prog rep_diff)
src=${TESTS:-$(dirname "$0")/..}/progs/rep_diff.c
new_prog=$TMPDIR/rep_diff_variant
${CC:-cc} -O2 -g -DVARIANT -o "$new_prog" "$src" || die "cannot build the variant"
run_traced "$base_prog"
base=$TRACE
run_traced "$new_prog"
new=$TRACE

# gate ARGS...: the report with ARGS; sets rc, out, err
gate() {
    rc=0
    "$REPORT" --diff "$base" "$new" "$@" >"$TMPDIR/gate.out" 2>"$TMPDIR/gate.err" || rc=$?
    out=$(cat "$TMPDIR/gate.out")
    err=$(cat "$TMPDIR/gate.err")
}

# the changed site passes a relative and an absolute limit
gate --fail-on 'allocations@parse_input>+100%' --fail-on 'allocations@steady_work>+0' \
    --fail-on 'bytes_allocated>+10k'
assert_eq "$rc" 1 "exit status of a failed gate"
assert_contains "$out" "Sites ranked by change" "the diff on stdout"
assert_contains "$err" "FAIL allocations@parse_input>+100%: base 20, new 200 (+180, +900.0%)"
assert_contains "$err" "ok allocations@steady_work>+0: base 30, new 30 (+0, +0.0%)"
assert_contains "$err" "FAIL bytes_allocated>+10k: base "
assert_eq "$(grep -c . <<<"$err")" 3 "one line per gate"

# under every limit: exit 0
gate --fail-on 'allocations@parse_input>+1000%' --fail-on 'allocations>+1000' \
    --fail-on 'leaked_bytes>+0'
assert_eq "$rc" 0 "exit status under the limits (stderr: $err)"
assert_not_contains "$err" "FAIL"

# a trace against itself never fails a relative gate
rc=0
"$REPORT" --diff "$base" "$base" --fail-on 'allocations>+0%' >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 0 "a trace against itself"

# JUnit: one test case per gate, the failed one with its figures
gate --fail-on 'allocations@parse_*>+5%' --fail-on 'frees@steady_work>+1' --junit "$TMPDIR/j.xml"
assert_eq "$rc" 1 "exit status with --junit"
python3 - "$TMPDIR/j.xml" <<'PY' || die "JUnit file: $(cat "$TMPDIR/j.xml")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
assert suite.get("tests") == "2" and suite.get("failures") == "1", suite.attrib
cases = suite.findall("testcase")
assert [c.get("name") for c in cases] == ["allocations@parse_*>+5%", "frees@steady_work>+1"]
f = cases[0].find("failure")
assert f is not None and "base 20, new 200" in f.get("message"), f
assert cases[1].find("failure") is None
PY

# bad expressions: one line naming it, exit 1 (a usage error), no diff
for expr in 'no_such_metric>1' 'minor_faults>20%' 'minor_faults' 'allocations>+1X'; do
    gate --fail-on "$expr"
    assert_eq "$rc" 1 "exit status for '$expr'"
    assert_contains "$err" "--fail-on '$expr'"
    assert_eq "$out" "" "stdout for '$expr'"
done
# a function no site is in: an error, not a pass
gate --fail-on 'allocations@no_such_function>0'
assert_eq "$rc" 2 "exit status for an unknown function"
assert_contains "$err" "no allocation site of BASE or NEW is in a function matching 'no_such_function'"
# --fail-on without --diff
rc=0
"$REPORT" "$base" --fail-on 'allocations>0' >/dev/null 2>"$TMPDIR/err" || rc=$?
assert_eq "$rc" 1 "--fail-on without --diff"
assert_contains "$(cat "$TMPDIR/err")" "go with --diff"
