#!/bin/bash
# Torture: dlopen/dlclose 1000 times a small library that allocates.  Same
# output with and without the shim; lib_work's three allocations a round are
# all in the trace and attributed to lib_work although the library comes and
# goes.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog tort_dlopen)

gcc -shared -fPIC -O2 -g -o "$TMPDIR/libtortdl.so" "$TORTURE/tort_dllib.c"
compare_runs dl "$prog" "$TMPDIR/libtortdl.so" 1000 || die "the traced run differs"
assert_eq "$(cat "$TRACED_OUT")" "rounds 1000 ok 1000" "output"
readable "$TRACE"
report_json "$TRACE" || die "report failed: $(cat "$REPORT_JSON.err")"
# every allocation in the library is there...
assert_eq "$(module_field libtortdl.so allocations)" 3000 "allocations in libtortdl.so"
assert_eq "$(module_field libtortdl.so frees)" 3000 "frees of them"
assert_eq "$(module_field libtortdl.so leaked_blocks)" 0 "leaked blocks of libtortdl.so"
# ...and symbolized, though the library was unloaded before the end
assert_eq "$(func_field lib_work allocations)" 3000 "lib_work allocations"
assert_not_contains "$(cat "$REPORT_JSON.err")" "no symbols for $TMPDIR/libtortdl.so" "report warnings"
assert_eq "$(summary unmatched_frees)" 0 "unmatched frees"
# one MODULE record for the library per dlopen (a dlopen also reports the
# others again), and one MODULE_UNLOAD per dlclose
loads=$("$REPORT" --dump -q "$TRACE" | grep -c '^MODULE .*libtortdl.so' || true)
assert_eq "$loads" 1000 "MODULE records of libtortdl.so"
assert_eq "$(dump_count MODULE_UNLOAD "$TRACE")" 1000 \
    "tort_dlopen: no MODULE_UNLOAD record per dlclose"
torture_done
