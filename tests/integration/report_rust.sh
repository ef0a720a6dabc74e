#!/bin/bash
# Rust (std only), built here with rustc -O -g in both symbol manglings: the
# sites are the user's functions, demangled, without hashes.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v jq >/dev/null || skip "jq not installed"
PATH=$PATH:$HOME/.cargo/bin:/root/.cargo/bin
command -v rustc >/dev/null || skip "no rustc"
src=${TESTS:-$(dirname "$0")/..}/rust/rep_rust.rs

for mangling in legacy v0; do
    bin=$TMPDIR/rep_rust_$mangling
    rustc -O -g -C symbol-mangling-version=$mangling -o "$bin" "$src" 2>"$TMPDIR/rustc.err" ||
        { [ $mangling = legacy ] && rustc -O -g -o "$bin" "$src"; } ||
        die "rustc failed: $(cat "$TMPDIR/rustc.err")"
    nm "$bin" | grep -q "$( [ $mangling = v0 ] && echo _RNv || echo _ZN8rep_rust)" ||
        die "$mangling: no such symbols in the binary"
    run_traced "$bin"
    assert_eq "$RUN_STATUS" 0 "$mangling: exit status"
    json=$("$REPORT" --format json --by function --sort bytes "$TRACE")
    names=$(jq -r '.allocation_sites[].function' <<<"$json")
    assert_eq "$(head -n 1 <<<"$names")" "rep_rust::grow_vec" "$mangling: top function by bytes"
    assert_contains "$names" "rep_rust::build_table" "$mangling: sites"
    # 1000 format! strings plus the table's own growth
    n=$(jq -r '.allocation_sites[] | select(.function == "rep_rust::build_table") | .allocations' <<<"$json")
    [ "$n" -ge 1000 ] || die "$mangling: build_table allocations $n < 1000"
    all=$("$REPORT" --format json --no-filter "$TRACE" | jq -r '.allocation_sites[].stack[]')
    if grep -E '(::h[0-9a-f]{16}$|^_R|^_ZN)' <<<"$all" | grep -v '^0x' | head -n 3 | grep -q .; then
        die "$mangling: mangled or hashed names left: $(grep -E '(::h[0-9a-f]{16}$|^_R|^_ZN)' <<<"$all" | head -n 3)"
    fi
done
