#!/bin/sh
# Installs, with apt-get, what building, testing and the demo need on Debian 12.
# With --test, also the runtimes that only the compatibility matrix
# (tests/integration/compat_*.sh, tests/compat/) runs under the shim, and
# chromium, the browser the HTML report is tested in (tests/html/), and
# speedscope's file-format schema (the npm package speedscope, installed with
# npm into $FAULTPROF_TEST_NPM, default /opt/faultprof-test, test-only), which
# tests/integration/report_exports.sh validates --format speedscope against.
# Does nothing (and needs no network) when every package is already there.
# tmux (--test): tests/integration/live_view.sh drives faultprof --live in it.
# strace (--test): tests/integration/report_run_files.sh counts the report's opens,
# torture_unwmask.sh the traced program's rt_sigprocmask calls.
# The bench tools (heaptrack, linux-perf, valgrind) come with bench/, not here.
# rustc is not a Debian package here: the Rust rows use $HOME/.cargo/bin/rustc
# or a rustc on PATH, and skip when there is none.
set -eu

# Why each package is here: README.md, "Dependencies", and docs/compat.md.
PACKAGES="
build-essential pkg-config
libunwind-dev uthash-dev zlib1g-dev libdeflate-dev
libcmocka-dev
libdw-dev libelf-dev libdebuginfod-dev libiberty-dev
clang libclang-rt-14-dev
python3 sqlite3 perl git gzip time
gdb libncurses-dev
libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 xxd
"
TEST_PACKAGES="
openjdk-17-jdk-headless ruby golang-go nodejs python3-numpy
g++ make libjemalloc-dev chromium python3-jsonschema
debuginfod iproute2 lintian tmux strace
"
what=install-deps
case "${1:-}" in
--test) PACKAGES="$PACKAGES $TEST_PACKAGES"; what="install-deps --test" ;;
"") ;;
*) echo "usage: scripts/install-deps.sh [--test]" >&2; exit 2 ;;
esac

# --test: the npm package speedscope, for its schema only (never loaded by
# faultprof), pinned; needs npm (Debian's npm, unless nodejs brings its own)
SPEEDSCOPE=speedscope@1.25.0
NPM_PREFIX=${FAULTPROF_TEST_NPM:-/opt/faultprof-test}
npm_step() {
    [ "$what" = "install-deps --test" ] || return 0
    [ -f "$NPM_PREFIX/node_modules/speedscope/dist/release/file-format-schema.json" ] && return 0
    command -v npm >/dev/null 2>&1 ||
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
    echo "$what: npm install $SPEEDSCOPE into $NPM_PREFIX"
    $sudo mkdir -p "$NPM_PREFIX"
    $sudo npm install --prefix "$NPM_PREFIX" --no-audit --no-fund --ignore-scripts --silent "$SPEEDSCOPE"
}

sudo=""
[ "$(id -u)" = 0 ] || ! command -v sudo >/dev/null 2>&1 || sudo="sudo"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "$what: all $(echo "$PACKAGES" | wc -w) packages are installed"
    npm_step
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "$what: not root and no sudo; install:$missing" >&2
    exit 1
fi

echo "$what: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $missing >/dev/null
npm_step
echo "$what: done"
