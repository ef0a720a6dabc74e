#!/bin/bash
# Programs nobody here wrote print byte-identical output under the shim, and
# each leaves a readable trace; errno is what the program would see without it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report

seq 1 5000 | sort -R --random-source=/dev/zero >"$TMPDIR/in.txt"
check() {
    local name=$1
    shift
    "$@" <"$TMPDIR/in.txt" >"$TMPDIR/native.out" 2>&1 || true
    rm -f "$TMPDIR"/p.*.gz
    LD_PRELOAD=$SHIM FAULTPROF_OUTPUT="$TMPDIR/p.%p.gz" "$@" <"$TMPDIR/in.txt" \
        >"$TMPDIR/traced.out" 2>&1 || true
    assert_same_file "$TMPDIR/traced.out" "$TMPDIR/native.out" "$name output"
    for t in "$TMPDIR"/p.*.gz; do
        "$REPORT" --format json "$t" >/dev/null 2>&1 || die "$name: trace $t does not read"
    done
}
check sort sort -n
check python3 /usr/bin/python3 -c 'import sys; d = {i: str(i) * 3 for i in range(200000)}; print(len(d), sum(map(int, sys.stdin)))'
if command -v sqlite3 >/dev/null; then
    check sqlite3 sqlite3 :memory: 'create table t(x); insert into t select value from generate_series(1, 50000); select count(*), sum(x) from t;'
fi
check perl perl -e 'my %h; $h{$_} = $_ x 2 for 1..100000; print scalar(keys %h), "\n"'
check gzip sh -c 'gzip -c | gzip -dc | md5sum'

prog=$(require_prog rec_errno)
check errno "$prog"
exit 0
