#!/bin/bash
# --no-follow: programs the traced one executes are not traced (exec of
# itself, system()), and see no libfaultprof.so in LD_PRELOAD; a fork child,
# which executes nothing, still is.  Output and status are unchanged.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_launcher
prog=$(require_prog rec_fork)

native=$("$prog")
mkdir -p "$TMPDIR/nf"
out=$("$LAUNCHER" -q --no-follow -o "$TMPDIR/nf/t.%p.gz" "$prog") || die "rec_fork failed under --no-follow"
assert_eq "$out" "$native" "output under --no-follow"
n=$(find "$TMPDIR/nf" -name 't.*.gz' | wc -l)
assert_eq "$n" 2 "traces under --no-follow (the program and its fork child; not the exec'd image)"

# with following (the default) the exec'd image has its trace too
mkdir -p "$TMPDIR/f"
"$LAUNCHER" -q -o "$TMPDIR/f/t.%p.gz" "$prog" >/dev/null || die "rec_fork failed"
assert_eq "$(find "$TMPDIR/f" -name 't.*.gz' | wc -l)" 3 "traces when following"

# a shell started with system() sees no libfaultprof.so
seen=$("$LAUNCHER" -q --no-follow -o "$TMPDIR/nf/s.%p.gz" \
    /usr/bin/python3 -c 'import os; os.system("echo \"[$LD_PRELOAD]\"")')
assert_not_contains "$seen" "libfaultprof.so" "LD_PRELOAD of a program started under --no-follow"
exit 0
