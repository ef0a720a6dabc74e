#!/bin/bash
# Torture: allocation failures.  Under ulimit -v malloc returns NULL with
# ENOMEM with and without the shim; huge and zero sizes, realloc(p, 0),
# free(NULL), bad alignments (EINVAL as posix_memalign's return value) give
# the same results, and errno survives successful calls.  The trace records
# every failed call as failed.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog tort_pressure)

compare_runs edge "$prog" edge || die "edge: the traced run differs"
assert_contains "$(cat "$TRACED_OUT")" "posix_memalign(align 3) EINVAL   -> yes errno 1234" "edge output"
assert_not_contains "$(cat "$TRACED_OUT")" "-> no" "edge output"
readable "$TRACE"
report_json "$TRACE" || die "edge: report failed: $(cat "$REPORT_JSON.err")"
# 11 failing calls in edge_fail (realloc(p, huge) is one, the rest allocations)
assert_eq "$(summary failed_allocations)" 11 "failed allocations"
expect_func edge_fail allocations 1        # the one successful malloc(32)
assert_eq "$(summary unmatched_frees)" 0 "unmatched frees"

# malloc returns NULL under a small address-space limit
(
    ulimit -v 400000
    compare_runs enomem "$prog" enomem || die "enomem: the traced run differs"
    assert_eq "$(cat "$TRACED_OUT")" "saw NULL: yes, errno ENOMEM
after freeing: malloc(100) works" "enomem output"
    readable "$TRACE"
    report_json "$TRACE" || die "enomem: report failed: $(cat "$REPORT_JSON.err")"
    [ "$(summary failed_allocations)" -ge 1 ] || die "enomem: no failed allocation recorded"
) || exit $?
torture_done
