#!/bin/bash
# What the launcher hands the program: its arguments untouched (options after
# the program name are the program's), LD_PRELOAD with our library first, one
# FAULTPROF_* variable per option, a registry file in TMPDIR, and the library
# found next to the launcher or in ../lib/faultprof.  A stand-in library (an
# empty file: ld.so ignores it with a warning) keeps this independent of the
# shim.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_launcher
prog=$(require_prog launch_env)

mkdir -p "$TMPDIR/fake"
fake=$TMPDIR/fake/libfaultprof.so
: >"$fake"
fake_real=$(realpath "$fake")

# env_of ARGS...: the launch_env report of a launcher run, ld.so noise dropped
env_of() {
    "$LAUNCHER" "$@" 2>"$TMPDIR/err"
}

# --- arguments after the program are the program's, options or not
out=$(env_of -q --lib "$fake" "$prog" -q --help -- "two words" '')
assert_contains "$out" "arg 1=-q
arg 2=--help
arg 3=--
arg 4=two words
arg 5=
LD_PRELOAD=$fake_real
"
# -- ends the launcher's options
out=$(env_of -q --lib "$fake" -- "$prog" -o x)
assert_contains "$out" "arg 1=-o
arg 2=x
"

# --- no options: only LD_PRELOAD and FAULTPROF_REGISTRY are set
out=$(env_of -q --lib "$fake" "$prog")
for v in OUTPUT FOLLOW DEPTH RUSAGE_EVERY BUFFER_KB FLUSH_MS SAMPLE_BYTES \
         FAULT_PERIOD FAULTS; do
    assert_contains "$out" "FAULTPROF_$v unset"
done
assert_contains "$out" "FAULTPROF_REGISTRY=$TMPDIR/faultprof-registry."

# --- every option becomes its variable
out=$(env_of -q --lib "$fake" -o "$TMPDIR/t.%e.%p.gz" --no-follow -d 8 \
    --rusage-every 16 --buffer-kb 128 --flush-ms 50 --sample-bytes 0 \
    --fault-period 1000 --no-faults "$prog")
assert_contains "$out" "FAULTPROF_OUTPUT=$TMPDIR/t.%e.%p.gz
FAULTPROF_FOLLOW=0
FAULTPROF_DEPTH=8
FAULTPROF_RUSAGE_EVERY=16
FAULTPROF_BUFFER_KB=128
FAULTPROF_FLUSH_MS=50
FAULTPROF_SAMPLE_BYTES=0
FAULTPROF_FAULT_PERIOD=1000
FAULTPROF_FAULTS=0
"
out=$(env_of -q --lib "$fake" --output="$TMPDIR/u.gz" --depth=256 --sample-bytes=4096 "$prog")
assert_contains "$out" "FAULTPROF_OUTPUT=$TMPDIR/u.gz"
assert_contains "$out" "FAULTPROF_DEPTH=256"
assert_contains "$out" "FAULTPROF_SAMPLE_BYTES=4096"
out=$(env_of -q --lib "$fake" -d 0 "$prog")
assert_contains "$out" "FAULTPROF_DEPTH=0" "depth 0, no stacks"
out=$(env_of -q --lib "$fake" -d12 "$prog")
assert_contains "$out" "FAULTPROF_DEPTH=12"
out=$(env_of -q --lib "$fake" --depth 007 "$prog")
assert_contains "$out" "FAULTPROF_DEPTH=7" "a number is passed on normalised"

# --- variables already set stay unless an option overrides them
out=$(FAULTPROF_DEPTH=9 FAULTPROF_FLUSH_MS=5 env_of -q --lib "$fake" --flush-ms 7 "$prog")
assert_contains "$out" "FAULTPROF_DEPTH=9"
assert_contains "$out" "FAULTPROF_FLUSH_MS=7"

# --- our library goes in front of an existing LD_PRELOAD
other=$TMPDIR/fake/other.so
: >"$other"
out=$(LD_PRELOAD=$other env_of -q --lib "$fake" "$prog")
assert_contains "$out" "LD_PRELOAD=$fake_real:$other
"
# an empty LD_PRELOAD adds no separator
out=$(LD_PRELOAD="" env_of -q --lib "$fake" "$prog")
assert_contains "$out" "LD_PRELOAD=$fake_real
"

# --- a registry in TMPDIR, removed at the end; a stale one is replaced
out=$(FAULTPROF_REGISTRY=/nonexistent/reg env_of -q --lib "$fake" "$prog")
reg=$(printf '%s\n' "$out" | sed -n 's/^FAULTPROF_REGISTRY=//p')
case $reg in "$TMPDIR"/faultprof-registry.*) ;; *) die "registry at '$reg'" ;; esac
[ ! -e "$reg" ] || die "registry $reg left behind"

# --- finding the library
# next to the launcher (the build tree)
mkdir -p "$TMPDIR/tree"
cp "$LAUNCHER" "$TMPDIR/tree/faultprof"
: >"$TMPDIR/tree/libfaultprof.so"
out=$("$TMPDIR/tree/faultprof" -q "$prog" 2>/dev/null)
assert_contains "$out" "LD_PRELOAD=$(realpath "$TMPDIR/tree/libfaultprof.so")
"
# installed: PREFIX/bin/faultprof and PREFIX/lib/faultprof/libfaultprof.so
mkdir -p "$TMPDIR/prefix/bin" "$TMPDIR/prefix/lib/faultprof"
cp "$LAUNCHER" "$TMPDIR/prefix/bin/faultprof"
: >"$TMPDIR/prefix/lib/faultprof/libfaultprof.so"
installed=$(realpath "$TMPDIR/prefix/lib/faultprof/libfaultprof.so")
out=$("$TMPDIR/prefix/bin/faultprof" -q "$prog" 2>/dev/null)
assert_contains "$out" "LD_PRELOAD=$installed
"
# through a symlink to the launcher, still relative to the real file
ln -s "$TMPDIR/prefix/bin/faultprof" "$TMPDIR/fp-link"
out=$("$TMPDIR/fp-link" -q "$prog" 2>/dev/null)
assert_contains "$out" "LD_PRELOAD=$installed
"
# FAULTPROF_LIB beats the default, --lib beats FAULTPROF_LIB
out=$(FAULTPROF_LIB=$fake "$TMPDIR/tree/faultprof" -q "$prog" 2>/dev/null)
assert_contains "$out" "LD_PRELOAD=$fake_real
"
out=$(FAULTPROF_LIB=$TMPDIR/none.so "$TMPDIR/tree/faultprof" -q --lib "$fake" "$prog" 2>/dev/null)
assert_contains "$out" "LD_PRELOAD=$fake_real
"

# --- a library path LD_PRELOAD can't hold is refused
mkdir -p "$TMPDIR/a b"
: >"$TMPDIR/a b/libfaultprof.so"
rc=0
"$LAUNCHER" --lib "$TMPDIR/a b/libfaultprof.so" "$prog" >/dev/null 2>"$TMPDIR/err" || rc=$?
assert_eq "$rc" 125 "exit status for a library path with a space"
assert_contains "$(cat "$TMPDIR/err")" "LD_PRELOAD cannot hold"
