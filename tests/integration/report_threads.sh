#!/bin/bash
# The report decompresses a large trace's members in a second thread and
# opens debug info in a third while it reads: what it prints must not
# depend on it.  On a trace of many members (rec_sampled unsampled: 2M
# records), whole, cut short and with a corrupt member, the output, the
# warnings, the errors and the exit status are those of a run with the
# threads off (FAULTPROF_REPORT_THREADS=1).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_sampled)
run_traced "$prog"
assert_eq "$RUN_STATUS" 0 "rec_sampled exit status"
members=$("$REPORT" --dump "$TRACE" | head -n 1 | sed 's/.* members \([0-9]*\) .*/\1/')
[ "${members:-0}" -ge 16 ] || die "the trace has ${members:-0} members; the test needs 16 or more"

# same_both NAME FILE [ARGS...]: stdout, stderr and exit status agree
same_both() {
    local name=$1 file=$2 rc1=0 rc2=0
    shift 2
    "$REPORT" "$@" "$file" >"$TMPDIR/$name.1" 2>"$TMPDIR/$name.e1" || rc1=$?
    FAULTPROF_REPORT_THREADS=1 "$REPORT" "$@" "$file" >"$TMPDIR/$name.2" 2>"$TMPDIR/$name.e2" ||
        rc2=$?
    assert_eq "$rc1" "$rc2" "$name: exit status with and without threads"
    cmp -s "$TMPDIR/$name.1" "$TMPDIR/$name.2" || die "$name: output differs with threads"
    cmp -s "$TMPDIR/$name.e1" "$TMPDIR/$name.e2" ||
        die "$name: stderr differs with threads: $(cat "$TMPDIR/$name.e1") / $(cat "$TMPDIR/$name.e2")"
    RC=$rc1
}

same_both text "$TRACE"
assert_eq "$RC" 0 "whole trace: exit status"
assert_contains "$(cat "$TMPDIR/text.1")" "small_blocks (rec_sampled.c"
same_both json "$TRACE" --format json
same_both folded "$TRACE" --format folded

size=$(stat -c %s "$TRACE")
head -c $((size * 2 / 3)) "$TRACE" >"$TMPDIR/cut.gz"
same_both cut "$TMPDIR/cut.gz" --format json
assert_eq "$RC" 0 "cut trace: exit status"
assert_contains "$(cat "$TMPDIR/cut.e1")" "truncated at byte"

# a byte flipped in every 64 KiB of the second half: corrupt members
python3 - "$TRACE" "$TMPDIR/bad.gz" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
for at in range(len(d) // 2, len(d) - 64, 65536):
    d[at] ^= 0x5a
open(sys.argv[2], 'wb').write(d)
PY
same_both bad "$TMPDIR/bad.gz"
assert_eq "$RC" 2 "corrupt trace: exit status"
assert_contains "$(cat "$TMPDIR/bad.e1")" "faultprof-report: $TMPDIR/bad.gz: corrupt"
