#!/bin/bash
# The compatibility matrix, build-tool rows (tests/compat/lib.sh says how a
# row runs; g++ and clang++ are in compat_cxx.sh): `make -j2` building a few
# C files (make, cc, cc1, as, ld all traced), then running the result; a Go
# program using cgo, whose goroutines allocate (built natively first; under
# cgo the Go runtime's mmap goes through libc, so the shim sees the Go heap
# grow).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/compat/lib.sh
. "$(dirname "$0")/../compat/lib.sh"

if mk=$(command -v make) && command -v cc >/dev/null; then
    echo "make: $("$mk" --version | head -n 1)"
    mkdir -p "$TMPDIR/make"
    # -s: with -j2 the order of the echoed commands varies; the built
    # program's functions (words.c, table.c) are what is named
    # shellcheck disable=SC2016 # expanded by the inner bash
    ROW_SITES_FROM='compat_make.*' compat_row make '^compat_make compat_' \
        bash -c 'rm -f "$2"/*.o "$2"/compat_make && "$1" -s -j2 -f "$3" OUT="$2" && exec "$2"/compat_make' \
        make "$mk" "$TMPDIR/make" "$COMPAT_DIR/make/Makefile"
else
    compat_skip make "no make or cc on PATH (make, gcc)"
fi

if go=$(command -v go) && command -v gcc >/dev/null; then
    echo "go: $("$go" version)"
    env GOCACHE="$TMPDIR/gocache" GOPATH="$TMPDIR/gopath" GOFLAGS= GO111MODULE=off \
        CGO_ENABLED=1 "$go" build -o "$TMPDIR/compat_cgo" "$COMPAT_DIR/cgo/main.go" ||
        die "go build cannot build tests/compat/cgo/main.go"
    # the C function called through cgo, and Go's own (runtime, main)
    compat_row go-cgo '^compat_cgo compat_c_work && ^compat_cgo (runtime|main)\.' "$TMPDIR/compat_cgo"
else
    compat_skip go-cgo "no go on PATH (golang-go), or no gcc for cgo"
fi

compat_done
