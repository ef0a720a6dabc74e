#!/bin/bash
# Builds the Debian package of faultprof from what `make` built (what
# `make deb` runs): the launcher, the analyzer and cargo-faultprof in
# /usr/bin, libfaultprof.so and the demo programs in
# /usr/lib/MULTIARCH/faultprof/ (the launcher looks there, relative to
# itself), the man pages, the README and docs/ in /usr/share/doc/faultprof/.
# usage: scripts/make-deb.sh [BUILD [MULTIARCH [OUTDIR]]]
#   BUILD default build, MULTIARCH default $(cc -print-multiarch),
#   OUTDIR (where the .deb goes) default BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
multiarch=${2:-$(${CC:-cc} -print-multiarch)}
outdir=${3:-$build}
for f in faultprof faultprof-report cargo-faultprof libfaultprof.so demo/leaky demo/churn demo/reuse; do
    [ -f "$build/$f" ] || { echo "make-deb: $build/$f not built (run make)" >&2; exit 1; }
done
version=$("$build/faultprof-report" --version | sed -n 's/^faultprof-report \([^ ]*\).*/\1/p')
arch=$(dpkg --print-architecture)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/faultprof
libdir=usr/lib/$multiarch/faultprof
doc=usr/share/doc/faultprof

install -d "$root/usr/bin" "$root/$libdir/demo" "$root/usr/share/man/man1" \
    "$root/usr/share/man/man5" "$root/$doc" "$root/DEBIAN"
# binaries stripped as dh_strip would (their symbols are not needed to run)
strip_to() {
    install -m "$1" "$2" "$3"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$3/${2##*/}"
}
strip_to 755 "$build/faultprof" "$root/usr/bin"
strip_to 755 "$build/faultprof-report" "$root/usr/bin"
install -m 755 "$build/cargo-faultprof" "$root/usr/bin/"
strip_to 644 "$build/libfaultprof.so" "$root/$libdir"
for d in leaky churn reuse; do
    install -m 755 "$build/demo/$d" "$root/$libdir/demo/"   # with their debug info: the demo's report names their functions
done
# the demos keep their symbols and debug info on purpose: the demo's report
# names their functions and lines
install -d "$root/usr/share/lintian/overrides"
printf '%s\n' "# the demo programs keep their debug info: the demo's report names their lines" \
    "faultprof: unstripped-binary-or-object [$libdir/demo/*]" \
    >"$root/usr/share/lintian/overrides/faultprof"
for m in man/*.1 man/*.5; do
    sec=${m##*.}
    gzip -9n <"$m" >"$root/usr/share/man/man$sec/${m##*/}.gz"
done
install -m 644 README.md docs/*.md "$root/$doc/"
cat >"$root/$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: faultprof
Comment: built from the faultprof source tree by scripts/make-deb.sh

Files: *
Copyright: $(date -u +%Y -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}") the faultprof developers
License: unspecified
 The source tree states no license yet.
EOF
{
    echo "faultprof ($version) unstable; urgency=medium"
    echo
    echo "  * Built from the source tree by scripts/make-deb.sh."
    echo
    echo " -- faultprof developers <faultprof@example.org>  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n >"$root/$doc/changelog.gz"

# shared-library dependencies, as dh_shlibdeps would find them
mkdir -p "$tmp/src/debian"
printf 'Source: faultprof\n\nPackage: faultprof\nArchitecture: any\n' >"$tmp/src/debian/control"
depends=$(cd "$tmp/src" && dpkg-shlibdeps -O -e"$root/usr/bin/faultprof" \
    -e"$root/usr/bin/faultprof-report" -e"$root/$libdir/libfaultprof.so" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
cat >"$root/DEBIAN/control" <<EOF
Package: faultprof
Version: $version
Architecture: $arch
Maintainer: faultprof developers <faultprof@example.org>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: libdebuginfod1
Suggests: cargo, git
Section: devel
Priority: optional
Description: memory and page-fault profiler for unmodified Linux programs
 faultprof records every malloc-family call, every mmap, munmap, mremap and
 brk, each with its call stack, and the page faults a program takes, from a
 preloaded library, into compressed traces.  faultprof-report tells which
 call sites allocate, leak and fault the most, diagnoses the patterns
 behind page faults, diffs two traces and gates CI jobs on the change;
 cargo-faultprof does it for a cargo target.
EOF
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +
deb=$outdir/faultprof_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "make-deb: wrote $deb"
