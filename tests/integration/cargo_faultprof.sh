#!/bin/bash
# `cargo faultprof` on tests/cargo (the app package, with a path dependency
# `records` only: no registry, built offline): the program's own output, the
# report's first screen naming records::build_records at lib.rs:7, the
# trace's path, the program's exit status; Cargo.toml untouched and
# target/release not built; --bench runs the bench as cargo bench does;
# --diff HEAD against a working tree that builds twice the records fails an
# allocation gate and writes JUnit, an unchanged tree passes it; --diff-bins
# diffs two built binaries.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
cargo=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
[ -x "$cargo" ] || skip "no cargo (rustup's ~/.cargo/bin or PATH)"
[ -x "$BUILD/cargo-faultprof" ] || die "$BUILD/cargo-faultprof not built"
export PATH=$BUILD:$(dirname "$cargo"):$PATH CARGO_NET_OFFLINE=true
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR
cp -r "$TESTS/cargo" "$TMPDIR/ws"
cd "$TMPDIR/ws"
git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm base
cd app

# cf ARGS...: cargo faultprof -q ARGS; sets rc, out, err
cf() {
    rc=0
    cargo faultprof -q "$@" >"$TMPDIR/cf.out" 2>"$TMPDIR/cf.err" || rc=$?
    out=$(cat "$TMPDIR/cf.out")
    err=$(cat "$TMPDIR/cf.err")
}

cf --bin app -- 30
assert_eq "$rc" 0 "exit status (stderr: $err)"
assert_contains "$out" "app: 30 records, checksum 1781760" "the program's output"
assert_contains "$out" "faultprof-report: $TMPDIR/ws/app/target/faultprof/app 30" "the report's header"
assert_contains "$out" "records::build_rec...closure}} (lib.rs:7)" "the report's top site"
trace=$(sed -n 's/^cargo-faultprof: trace: //p' <<<"$err")
assert_file "$trace"
case $trace in ./faultprof.app.*.gz) ;; *) die "trace path: $trace" ;; esac
assert_contains "$err" "cargo-faultprof: whole report: faultprof-report $trace"
readelf -S target/faultprof/app | grep -q '\.debug_line' || die "no line tables in the build"
git diff --quiet -- Cargo.toml ../records/Cargo.toml || die "Cargo.toml changed"
[ ! -e target/release ] || die "target/release was built"

# the program's exit status: app panics on a bad COUNT (101)
cf --bin app -- not-a-number
assert_eq "$rc" 101 "exit status of a panicking program"

# two binaries and no --bin: say so
cf
assert_eq "$rc" 2 "exit status without a target"
assert_contains "$err" "several executables"
assert_contains "$err" "choose one with --bin NAME"

cf --bench batch
assert_eq "$rc" 0 "bench exit status (stderr: $err)"
assert_contains "$out" "batch: 4992 (--bench true)" "the bench's output"

# --diff HEAD: the working tree builds twice the records
cf --diff HEAD --bin app -- 30
assert_eq "$rc" 0 "diff of an unchanged tree (stderr: $err)"
sed -i 's|(0..count).map(|(0..count * 2).map(|' ../records/src/lib.rs
cf --diff HEAD --bin app --fail-on 'bytes@records::*>+50%' --fail-on 'leaked_bytes>+0' \
    --junit "$TMPDIR/gates.xml" -- 30
assert_eq "$rc" 1 "exit status of a failed gate (stderr: $err)"
assert_contains "$out" "app: 30 records" "the base program's output"
assert_contains "$out" "app: 60 records" "the new program's output"
assert_contains "$out" "faultprof-report --diff" "the diff"
assert_contains "$err" "faultprof-report: FAIL bytes@records::*>+50%: base 123600, new 247200 (+123600, +100.0%)"
assert_contains "$err" "faultprof-report: ok leaked_bytes>+0"
assert_contains "$err" "cargo-faultprof: base (HEAD): ./faultprof.app.base."
python3 -c 'import sys, xml.etree.ElementTree as E; s = E.parse(sys.argv[1]).getroot().find("testsuite"); assert s.get("failures") == "1", s.attrib' \
    "$TMPDIR/gates.xml" || die "JUnit: $(cat "$TMPDIR/gates.xml")"
assert_eq "$(git worktree list | wc -l)" 1 "worktrees left behind"

# --diff-bins: two binaries already built, nothing built
cf --diff-bins target/faultprof/other target/faultprof/app --fail-on 'allocations>+1000%' -- 5
assert_eq "$rc" 0 "--diff-bins (stderr: $err)"
assert_contains "$out" "other: 48" "the base binary's output"
assert_contains "$out" "app: 10 records" "the new binary's output (twice the records now)"
cf --diff-bins target/faultprof/nothing target/faultprof/app
assert_eq "$rc" 2 "--diff-bins of a missing binary"
assert_contains "$err" "target/faultprof/nothing: not an executable"
