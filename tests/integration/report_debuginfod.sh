#!/bin/bash
# Debug info from a debuginfod server: a local `debuginfod` (in a network
# namespace of its own, so on loopback only) serves the debug file of a
# stripped library built here.  With DEBUGINFOD_URLS set, the report names
# the library's hidden function and says it fetched its debug info, and that
# the stripped program's was not on the server; run again, from the cache;
# with the server gone, still from the cache; without DEBUGINFOD_URLS,
# module+offset and no debuginfod line.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v debuginfod >/dev/null || skip "debuginfod not installed (scripts/install-deps.sh --test)"
command -v objcopy >/dev/null || skip "objcopy not installed"
command -v ip >/dev/null || skip "ip (iproute2) not installed"
if [ "${FP_IN_NETNS:-}" != 1 ]; then
    unshare -n true 2>/dev/null || skip "cannot make a network namespace (unshare -n)"
    FP_IN_NETNS=1 exec unshare -n "$BASH" "$0"
fi
ip link set lo up
unset DEBUGINFOD_URLS
export DEBUGINFOD_CACHE_PATH=$TMPDIR/cache DEBUGINFOD_TIMEOUT=5
cd "$TMPDIR"

mkdir app served
src=$TESTS/progs/dso
${CC:-cc} -O2 -g -fPIC -shared -Wl,--build-id -o app/libhidden.so "$src/hidden.c" ||
    die "cannot build the library"
${CC:-cc} -O2 -g -Wl,--build-id -o app/prog "$src/hidden_main.c" -Lapp -lhidden \
    -Wl,-rpath,"$TMPDIR/app" || die "cannot build the program"
objcopy --only-keep-debug app/libhidden.so served/libhidden.so.debug
strip --strip-all app/libhidden.so app/prog
lib_id=$(readelf -n app/libhidden.so | sed -n 's/.*Build ID: //p')
prog_id=$(readelf -n app/prog | sed -n 's/.*Build ID: //p')
[ -n "$lib_id" ] && [ -n "$prog_id" ] || die "no build-ids"
run_traced "$TMPDIR/app/prog"
trace=$TRACE

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
debuginfod -F -p "$port" -d "$TMPDIR/db.sqlite" -t 0 -g 0 "$TMPDIR/served" >server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
# ready when it serves the library's debug info (bounded: 20 s)
python3 - "http://127.0.0.1:$port/buildid/$lib_id/debuginfo" <<'PY' || die "server not ready: $(tail -n 5 server.log)"
import sys, time, urllib.request
for _ in range(200):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PY

report() {
    rc=0
    timeout 60 "$REPORT" --by function -n 0 "$trace" >rep.out 2>rep.err || rc=$?
    out=$(cat rep.out)
    err=$(cat rep.err)
    assert_eq "$rc" 0 "report's exit status (stderr: $err)"
}

export DEBUGINFOD_URLS=http://127.0.0.1:$port
report
assert_contains "$err" "faultprof-report: debuginfod: fetched debug info for $TMPDIR/app/libhidden.so (build-id $lib_id) from http://127.0.0.1:$port/buildid/$lib_id/debuginfo"
assert_contains "$err" "faultprof-report: debuginfod: no debug info for $TMPDIR/app/prog (build-id $prog_id): not on the servers of DEBUGINFOD_URLS"
assert_contains "$out" "hidden_alloc (hidden.c" "report with debug info fetched"
[ -d "$DEBUGINFOD_CACHE_PATH/$lib_id" ] || die "nothing in the client's cache"

report
assert_contains "$err" "faultprof-report: debuginfod: debug info for $TMPDIR/app/libhidden.so (build-id $lib_id) from the cache, $DEBUGINFOD_CACHE_PATH"
assert_not_contains "$err" "fetched" "second report"
assert_contains "$out" "hidden_alloc (hidden.c" "report from the cache"

kill "$server"
wait "$server" 2>/dev/null || true
report
assert_contains "$err" "libhidden.so (build-id $lib_id) from the cache" "with the server gone"
assert_contains "$out" "hidden_alloc (hidden.c" "report offline"

unset DEBUGINFOD_URLS
report
assert_not_contains "$err" "debuginfod" "without DEBUGINFOD_URLS"
assert_not_contains "$out" "hidden_alloc" "without DEBUGINFOD_URLS"
assert_contains "$out" "libhidden.so+0x" "without DEBUGINFOD_URLS"
