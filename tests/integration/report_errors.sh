#!/bin/bash
# Bad input: not a trace, wrong version, missing, a directory, corrupt -> one
# line "faultprof-report: FILE: problem" and exit 2.  A trace cut short (as
# when the program is SIGKILLed mid-write) is read up to its last complete
# member, with a warning saying where it stopped, and exit 0.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_report

# expect_bad FILE NEEDLE
expect_bad() {
    local rc=0
    "$REPORT" "$1" >"$TMPDIR/out" 2>"$TMPDIR/err" || rc=$?
    assert_eq "$rc" 2 "exit status for $1"
    assert_eq "$(wc -l <"$TMPDIR/err")" 1 "lines on stderr for $1"
    assert_contains "$(cat "$TMPDIR/err")" "faultprof-report: $1: $2"
    assert_eq "$(wc -c <"$TMPDIR/out")" 0 "bytes on stdout for $1"
}

printf 'hello, I am text\n' >"$TMPDIR/text"
expect_bad "$TMPDIR/text" "not a faultprof trace"
printf 'hello, I am gzip' | gzip >"$TMPDIR/other.gz"
expect_bad "$TMPDIR/other.gz" "not a faultprof trace (bad magic)"
printf 'FAULTPRF\005\000\000\000\020\000\000\000' | gzip >"$TMPDIR/v5.gz"
expect_bad "$TMPDIR/v5.gz" "unsupported trace version 5.0"
: >"$TMPDIR/empty"
expect_bad "$TMPDIR/empty" "empty file"
expect_bad "$TMPDIR/missing.gz" "cannot open: No such file or directory"
mkdir "$TMPDIR/dir"
expect_bad "$TMPDIR/dir" "not a run directory: it has no manifest (faultprof -o DIR/ writes one)"

# usage errors exit 1
rc=0; "$REPORT" --sort nonsense x 2>/dev/null || rc=$?
assert_eq "$rc" 1 "exit status for an unknown metric"

[ -f "$SHIM" ] || skip "$SHIM not built yet (the bad-input half passed)"
prog=$(require_prog rep_known)
run_traced "$prog"
size=$(stat -c %s "$TRACE")

# corrupt: a flipped byte in the middle of the last member
cp "$TRACE" "$TMPDIR/corrupt.gz"
printf '\377\377\377\377' | dd of="$TMPDIR/corrupt.gz" bs=1 seek=$((size - 30)) conv=notrunc 2>/dev/null
rc=0; "$REPORT" "$TMPDIR/corrupt.gz" >/dev/null 2>"$TMPDIR/err" || rc=$?
assert_eq "$rc" 2 "exit status for a corrupt member"
assert_eq "$(wc -l <"$TMPDIR/err")" 1 "lines on stderr for a corrupt member"
assert_contains "$(cat "$TMPDIR/err")" "faultprof-report: $TMPDIR/corrupt.gz: corrupt"

# truncated: cut 10 bytes into the last member (found by hopping member_size)
members=$(python3 - "$TRACE" 2>/dev/null <<'PY' || true
import struct, sys
d = open(sys.argv[1], 'rb').read()
off, starts = 0, []
while off < len(d):
    starts.append(off)
    off += struct.unpack_from('<I', d, off + 16)[0]
print(starts[-1])
PY
)
[ -n "$members" ] || skip "python3 needed to find the last member"
cut=$((members + 10))
head -c "$cut" "$TRACE" >"$TMPDIR/cut.gz"
rc=0; "$REPORT" "$TMPDIR/cut.gz" >"$TMPDIR/out" 2>"$TMPDIR/err" || rc=$?
assert_eq "$rc" 0 "exit status for a truncated trace"
assert_eq "$(cat "$TMPDIR/err")" "faultprof-report: warning: $TMPDIR/cut.gz: truncated at byte $cut (last complete member ends at $members); events after that are lost"
assert_contains "$(cat "$TMPDIR/out")" "(truncated trace)"
