#!/bin/bash
# A trace read on another machine: its program and library rebuilt since
# (another build-id at the same path) are named in a warning and not used,
# so their frames show as module+offset, never as a wrong function; with
# --sysroot DIR holding the traced files they symbolize again; a stripped
# library's debug info is found with --debug-dir.  A bad directory is one
# line and exit 1.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v objcopy >/dev/null || skip "objcopy not installed"
cd "$TMPDIR"
mkdir app
# build [CFLAGS]: app/libhidden.so and app/prog from tests/progs/dso
src=$TESTS/progs/dso
build() {
    ${CC:-cc} -O2 -g -fPIC -shared -Wl,--build-id "$@" -o app/libhidden.so "$src/hidden.c" &&
        ${CC:-cc} -O2 -g -Wl,--build-id -o app/prog "$src/hidden_main.c" -Lapp -lhidden \
            -Wl,-rpath,"$TMPDIR/app"
}
build || die "cannot build the program"
run_traced "$TMPDIR/app/prog"
trace=$TRACE
[ "$RUN_STATUS" = 0 ] || die "prog exited $RUN_STATUS"
# the traced files, as the other machine's root would hold them
mkdir -p "root$TMPDIR"
cp -a app "root$TMPDIR/"

report() {
    rc=0
    "$REPORT" --by function -n 0 "$@" "$trace" >"$TMPDIR/rep.out" 2>"$TMPDIR/rep.err" || rc=$?
    out=$(cat "$TMPDIR/rep.out")
    err=$(cat "$TMPDIR/rep.err")
}
report
assert_contains "$out" "hidden_alloc (hidden.c" "the traced build, in place"

# the library rebuilt with a decoy function before hidden_alloc: another
# build-id (prog, rebuilt the same, keeps its own), and
# hidden_alloc's traced addresses now lie in decoy_function
build -DDECOY || die "cannot rebuild"
report
assert_eq "$rc" 0 "exit status with rebuilt files"
assert_contains "$err" "$TMPDIR/app/libhidden.so: build-id "
assert_contains "$err" "not the traced "
assert_not_contains "$out" "decoy_function" "report from a rebuilt library"
assert_not_contains "$out" "hidden_alloc" "report from a rebuilt library"
assert_contains "$out" "libhidden.so+0x" "frames of a mismatched library"

# --sysroot: the traced files, found under it by their recorded paths
report --sysroot "$TMPDIR/root"
assert_contains "$out" "hidden_alloc (hidden.c" "report with --sysroot"
assert_contains "$out" "hidden_alloc (hidden.c" "report with --sysroot (again)"
assert_not_contains "$err" "build-id" "warnings with --sysroot"

# --debug-dir: the sysroot's library stripped, its debug info apart
objcopy --only-keep-debug "root$TMPDIR/app/libhidden.so" libhidden.so.debug
strip --strip-all "root$TMPDIR/app/libhidden.so"
mkdir dbg
mv libhidden.so.debug dbg/
report --sysroot "$TMPDIR/root"
assert_not_contains "$out" "hidden_alloc" "a stripped library without its debug info"
report --sysroot "$TMPDIR/root" --debug-dir "$TMPDIR/dbg"
assert_contains "$out" "hidden_alloc (hidden.c" "report with --debug-dir"

# bad directories
report --sysroot "$TMPDIR/no-such-dir"
assert_eq "$rc" 1 "exit status for a missing --sysroot"
assert_eq "$err" "faultprof-report: $TMPDIR/no-such-dir: not a directory"
report --debug-dir "$trace"
assert_eq "$rc" 1 "exit status for a --debug-dir that is a file"
assert_eq "$err" "faultprof-report: $trace: not a directory"
