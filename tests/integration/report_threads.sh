#!/bin/bash
# The report decodes a large trace's members in worker threads (-j, by
# default the online CPUs) and opens debug info in another while it reads:
# what it prints must not depend on it.  On a trace of many members
# (rec_sampled unsampled: 2M records), whole, cut short and with a corrupt
# member, the output, the warnings, the errors and the exit status at -j 2
# (members inflated ahead), -j 3 (decoded by workers) and by default are
# those of a run on one thread (-j 1, and FAULTPROF_REPORT_THREADS=1).
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
    local name=$1 file=$2 rc1=0 rc2=0 rc3=0 rc4=0 rc5=0
    shift 2
    "$REPORT" "$@" "$file" >"$TMPDIR/$name.1" 2>"$TMPDIR/$name.e1" || rc1=$?
    "$REPORT" -j 1 "$@" "$file" >"$TMPDIR/$name.2" 2>"$TMPDIR/$name.e2" || rc2=$?
    "$REPORT" -j 3 "$@" "$file" >"$TMPDIR/$name.3" 2>"$TMPDIR/$name.e3" || rc3=$?
    FAULTPROF_REPORT_THREADS=1 "$REPORT" "$@" "$file" >"$TMPDIR/$name.4" 2>"$TMPDIR/$name.e4" ||
        rc4=$?
    "$REPORT" -j 2 "$@" "$file" >"$TMPDIR/$name.5" 2>"$TMPDIR/$name.e5" || rc5=$?
    for k in 1 3 4 5; do
        local rc=rc$k
        assert_eq "${!rc}" "$rc2" "$name: exit status of run $k and of -j 1"
        cmp -s "$TMPDIR/$name.$k" "$TMPDIR/$name.2" || die "$name: output of run $k differs from -j 1"
        cmp -s "$TMPDIR/$name.e$k" "$TMPDIR/$name.e2" ||
            die "$name: stderr of run $k differs: $(cat "$TMPDIR/$name.e$k") / $(cat "$TMPDIR/$name.e2")"
    done
    RC=$rc1
}

same_both text "$TRACE"
assert_eq "$RC" 0 "whole trace: exit status"
assert_contains "$(cat "$TMPDIR/text.1")" "small_blocks (rec_sampled.c"
same_both json "$TRACE" --format json
same_both folded "$TRACE" --format folded

# The trace's members, walked by the sizes in their FP fields
# (faultprof-trace(5)): "cut" cuts in the middle of the member at two thirds
# of the file (a cut on a member's boundary would leave a whole, shorter
# trace); "flip" flips a byte in the compressed data of each member of the
# second half (a flip in a member's header may claim more bytes than the
# file has, which reads as the trace cut short)
cat >"$TMPDIR/members.py" <<'PY'
import struct, sys
mode, src, dst = sys.argv[1:]
d = bytearray(open(src, 'rb').read())
members, off = [], 0
while off < len(d):
    xlen, = struct.unpack_from('<H', d, off + 10)
    x, i, size = d[off + 12:off + 12 + xlen], 0, None
    while i + 4 <= len(x):
        n, = struct.unpack_from('<H', x, i + 2)
        if x[i:i + 2] == b'FP':
            size, = struct.unpack_from('<I', x, i + 4)
        i += 4 + n
    assert size, 'a member without its FP field at byte %d' % off
    members.append((off, 12 + xlen, size))    # start, header bytes, size
    off += size
if mode == 'cut':
    start, _, size = next(m for m in members if m[0] + m[2] > len(d) * 2 // 3)
    d = d[:start + size // 2]
else:
    second = [m for m in members if m[0] >= len(d) // 2]
    assert second, 'no member starts in the second half'
    for start, head, size in second:
        d[start + head + (size - head - 8) // 2] ^= 0x5a   # before the CRC32 and ISIZE
open(dst, 'wb').write(d)
PY
python3 "$TMPDIR/members.py" cut "$TRACE" "$TMPDIR/cut.gz"
same_both cut "$TMPDIR/cut.gz" --format json
assert_eq "$RC" 0 "cut trace: exit status"
assert_contains "$(cat "$TMPDIR/cut.e1")" "truncated at byte"

python3 "$TMPDIR/members.py" flip "$TRACE" "$TMPDIR/bad.gz"
same_both bad "$TMPDIR/bad.gz"
assert_eq "$RC" 2 "corrupt trace: exit status"
assert_contains "$(cat "$TMPDIR/bad.e1")" "faultprof-report: $TMPDIR/bad.gz: corrupt"
