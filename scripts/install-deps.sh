#!/bin/sh
# Installs, with apt-get, what building, testing and the demo need on Debian 12.
# Does nothing (and needs no network) when every package is already there.
# The bench tools (heaptrack, linux-perf, valgrind) come with bench/, not here.
set -eu

# Why each package is here: README.md, "Dependencies".
PACKAGES="
build-essential pkg-config
libunwind-dev uthash-dev zlib1g-dev libdeflate-dev
libcmocka-dev
libdw-dev libelf-dev libiberty-dev
clang libclang-rt-14-dev
python3 sqlite3 perl git gzip time
libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4
"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: all $(echo "$PACKAGES" | wc -w) packages are installed"
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install-deps: not root and no sudo; install:$missing" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $missing >/dev/null
echo "install-deps: done"
