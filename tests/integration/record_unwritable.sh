#!/bin/bash
# A trace that cannot be written (missing directory, read-only directory)
# leaves the program's output and exit status as they are, with one line on
# stderr that names the path and the reason.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
prog=$(require_prog rec_known)

native_out=$("$prog")
for template in "$TMPDIR/missing/dir/t.%p.gz" "$TMPDIR/ro/t.%p.gz"; do
    mkdir -p "$TMPDIR/ro" && chmod 555 "$TMPDIR/ro"
    status=0
    out=$(LD_PRELOAD=$SHIM FAULTPROF_OUTPUT=$template "$prog" 2>"$TMPDIR/err") || status=$?
    assert_eq "$status" 0 "exit status with $template"
    assert_eq "$out" "$native_out" "output with $template"
    if [ "$(id -u)" = 0 ] && [ "${template#"$TMPDIR"/ro}" != "$template" ]; then
        continue   # root writes into a read-only directory anyway
    fi
    assert_eq "$(wc -l <"$TMPDIR/err")" 1 "stderr lines with $template"
    assert_contains "$(cat "$TMPDIR/err")" "faultprof: cannot write trace" "stderr"
done
exit 0
