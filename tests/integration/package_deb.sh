#!/bin/bash
# make deb's package (scripts/make-deb.sh over this build): its contents and
# control fields; installed with dpkg into a temporary root (its own dpkg
# database), the installed launcher finds the library in the multiarch
# directory and records the installed demo, whose output is the native
# one's, and the installed analyzer names its functions; cargo-faultprof
# finds them next to itself; dpkg -r removes every file; lintian (when
# there) finds no error or warning.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v dpkg-deb >/dev/null || skip "not a Debian system (no dpkg-deb)"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-dev not installed"
"$TESTS/../scripts/make-deb.sh" "$BUILD" "" "$TMPDIR" >"$TMPDIR/make.out" 2>&1 ||
    die "make-deb failed: $(cat "$TMPDIR/make.out")"
deb=$(ls "$TMPDIR"/faultprof_*.deb)
multiarch=$(${CC:-cc} -print-multiarch)
lib=usr/lib/$multiarch/faultprof
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in usr/bin/faultprof usr/bin/faultprof-report usr/bin/cargo-faultprof "$lib/libfaultprof.so" \
    "$lib/demo/leaky" usr/share/man/man1/faultprof.1.gz usr/share/man/man1/cargo-faultprof.1.gz \
    usr/share/man/man5/faultprof-trace.5.gz usr/share/doc/faultprof/README.md \
    usr/share/doc/faultprof/ci.md usr/share/doc/faultprof/copyright; do
    assert_contains "$contents" "./$f" "the package's files"
done
assert_contains "$(dpkg-deb -f "$deb" Depends)" "libdw1" "Depends"
assert_eq "$(dpkg-deb -f "$deb" Recommends)" libdebuginfod1 "Recommends (the report loads it for DEBUGINFOD_URLS)"
assert_eq "$(dpkg-deb -f "$deb" Package)" faultprof "Package"

# install into a root of its own
root=$TMPDIR/root
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
: >"$root/var/lib/dpkg/status"
dpkg_root() {
    dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless \
        --log=/dev/null "$@" >"$TMPDIR/dpkg.out" 2>&1 || die "dpkg $*: $(cat "$TMPDIR/dpkg.out")"
}
dpkg_root -i "$deb"
[ "$(dpkg --root="$root" -s faultprof 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ] ||
    die "not installed: $(dpkg --root="$root" -s faultprof 2>&1)"

# the demo, from the installed paths only
native=$("$root/$lib/demo/leaky")
rc=0
"$root/usr/bin/faultprof" -q -o "$TMPDIR/inst.%p.gz" "$root/$lib/demo/leaky" \
    >"$TMPDIR/demo.out" 2>"$TMPDIR/demo.err" || rc=$?
assert_eq "$rc" 0 "installed launcher's exit status ($(cat "$TMPDIR/demo.err"))"
assert_eq "$(cat "$TMPDIR/demo.out")" "$native" "the demo's output under the installed launcher"
trace=$(ls "$TMPDIR"/inst.*.gz)
report=$("$root/usr/bin/faultprof-report" -n 3 "$trace")
assert_contains "$report" "format_lines (leaky.c:" "the installed analyzer's report"
assert_contains "$("$root/usr/bin/cargo-faultprof" --help)" "usage: cargo faultprof"
# cargo-faultprof runs the installed launcher and analyzer, next to it (on a
# PATH without faultprof)
mkdir "$TMPDIR/cf"
cf=$(PATH=/usr/bin:/bin "$root/usr/bin/cargo-faultprof" -o "$TMPDIR/cf" --diff-bins \
    "$root/$lib/demo/reuse" "$root/$lib/demo/reuse" 2>&1) || die "cargo-faultprof --diff-bins: $cf"
assert_contains "$cf" "faultprof-report --diff" "cargo-faultprof's diff"
assert_contains "$cf" "cargo-faultprof: base ($root/$lib/demo/reuse): $TMPDIR/cf/faultprof.reuse.base."

# remove: nothing of the package left
dpkg_root -r faultprof
left=$(find "$root/usr" -type f 2>/dev/null || true)
assert_eq "$left" "" "files left after dpkg -r"

if command -v lintian >/dev/null; then
    lintian --fail-on error,warning "$deb" >"$TMPDIR/lintian.out" 2>&1 ||
        die "lintian: $(cat "$TMPDIR/lintian.out")"
fi
