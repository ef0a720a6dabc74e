#!/bin/bash
# C++ new and delete reach the shim through libstdc++'s operator new: the
# objects, arrays and a vector's growth are charged to the user's functions,
# and with the allocator filter off the stack shows operator new itself.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_cpp)

run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "exit status"
assert_eq "$(cat "$RUN_OUT")" 499500 "program output"
report_json "$TRACE"
assert_eq "$(json_get 'site("make_objects")["allocations"]')" 40 "make_objects allocations"
assert_eq "$(json_get 'site("make_objects")["bytes"]')" $((40 * 48)) "make_objects bytes"
assert_eq "$(json_get 'site("make_arrays")["allocations"]')" 20 "make_arrays allocations"
assert_eq "$(json_get 'site("make_arrays")["bytes"]')" $((20 * 400)) "make_arrays bytes"
# 1000 push_backs grow the buffer 1, 2, 4 ... 1024 ints: 11 allocations
assert_eq "$(json_get 'site("grow_vector")["allocations"]')" 11 "grow_vector allocations"
assert_eq "$(json_get 'site("grow_vector")["bytes"]')" $((4 * 2047)) "grow_vector bytes"
frees=$(json_get 'r["summary"]["frees"]')
[ "$frees" -ge 71 ] || die "expected at least 71 frees (delete, delete[], vector), got $frees"

"$REPORT" --format json --no-filter -n 0 "$TRACE" >"$TMPDIR/raw.json" 2>/dev/null
grep -q '"operator new(unsigned long)' "$TMPDIR/raw.json" ||
    die "no operator new frame with the filter off"
exit 0
