#!/bin/bash
# A stripped library whose separate debug file keeps its DWARF compressed
# (SHF_COMPRESSED, zlib: how distributions ship libc6-dbg and the -dbgsym
# packages) symbolizes as the unstripped library does: the same sites,
# functions, files, lines and stacks.  The file is read through a copy with
# its sections inflated by libdeflate (a memfd named faultprof-debug, seen
# with strace) whether it is found by build-id (under --sysroot's
# /usr/lib/debug/.build-id) or in a --debug-dir; an uncompressed debug file
# is read as it is.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v objcopy >/dev/null || skip "objcopy not installed"
command -v strace >/dev/null || skip "strace not installed"
command -v jq >/dev/null || skip "jq not installed"
cd "$TMPDIR"
mkdir app
src=$TESTS/progs/dso
${CC:-cc} -O2 -g -fPIC -shared -Wl,--build-id -o app/libhidden.so "$src/hidden.c" &&
    ${CC:-cc} -O2 -g -Wl,--build-id -o app/prog "$src/hidden_main.c" -Lapp -lhidden \
        -Wl,-rpath,"$TMPDIR/app" || die "cannot build the program"
run_traced "$TMPDIR/app/prog"
[ "$RUN_STATUS" = 0 ] || die "prog exited $RUN_STATUS"
trace=$TRACE

# sites: function, file, line and stack of every allocation site
sites() {
    "$REPORT" -q -j 1 --format json -n 0 "$@" "$trace" >"$TMPDIR/rep.json" 2>"$TMPDIR/rep.err" ||
        die "faultprof-report $* failed: $(cat "$TMPDIR/rep.err")"
    jq -c '[.allocation_sites[] | [.function, .file, .line, .allocations, .stack]]' "$TMPDIR/rep.json"
}
want=$(sites)
assert_contains "$want" '"hidden_alloc"' "the unstripped library's sites"

# the traced files under a sysroot, the library stripped; its debug info
# compressed, where the build-id lookup finds it
id=$(readelf -n app/libhidden.so | sed -n 's/.*Build ID: //p')
[ -n "$id" ] || die "libhidden.so has no build-id"
mkdir -p "root$TMPDIR" "root/usr/lib/debug/.build-id/${id:0:2}" dbg plain
cp -a app "root$TMPDIR/"
objcopy --only-keep-debug --compress-debug-sections=zlib app/libhidden.so dbg/libhidden.so.debug
objcopy --only-keep-debug app/libhidden.so plain/libhidden.so.debug
strip --strip-all "root$TMPDIR/app/libhidden.so"
cp dbg/libhidden.so.debug "root/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
readelf -SW dbg/libhidden.so.debug | grep -E '\.debug_info .* C ' >/dev/null ||
    die "objcopy left .debug_info uncompressed: $(readelf -SW dbg/libhidden.so.debug | grep debug_info)"

# inflated copies made: the memfd_create calls of a report
copies() {
    strace -f -qq -e trace=memfd_create -o "$TMPDIR/strace" "$REPORT" -q -j 1 "$@" "$trace" \
        >/dev/null 2>&1 || die "faultprof-report $* failed under strace"
    grep -c 'memfd_create("faultprof-debug"' "$TMPDIR/strace" || true
}

# the copies besides this library's (libc's, where libc6-dbg is installed)
others=$(copies --sysroot "$TMPDIR/root" --debug-dir "$TMPDIR/plain")
assert_eq "$(sites --sysroot "$TMPDIR/root")" "$want" "sites, compressed debug info by build-id"
assert_eq "$(copies --sysroot "$TMPDIR/root")" $((others + 1)) "inflated copies, by build-id"
assert_eq "$(sites --sysroot "$TMPDIR/root" --debug-dir "$TMPDIR/plain")" "$want" \
    "sites, uncompressed debug info in --debug-dir"
rm -r "root/usr/lib/debug"
assert_not_contains "$(sites --sysroot "$TMPDIR/root")" '"hidden_alloc"' "no debug info"
assert_eq "$(sites --sysroot "$TMPDIR/root" --debug-dir "$TMPDIR/dbg")" "$want" \
    "sites, compressed debug info in --debug-dir"
assert_eq "$(copies --sysroot "$TMPDIR/root" --debug-dir "$TMPDIR/dbg")" $((others + 1)) \
    "inflated copies, --debug-dir"
# a damaged copy of it: .debug_info's compression header claims 2 GiB.  No
# inflated copy is made of it (libdw reads it as it is and finds no DWARF
# there), the report still names what the symbol table does, and it never
# holds the memory the header claims
mkdir bad
python3 - dbg/libhidden.so.debug bad/libhidden.so.debug <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', d, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x3a)
strtab = struct.unpack_from('<Q', d, shoff + shstrndx * shentsize + 24)[0]
for i in range(shnum):
    name, _, flags, _, off = struct.unpack_from('<IIQQQ', d, shoff + i * shentsize)
    if d[strtab + name:d.index(0, strtab + name)] == b'.debug_info':
        assert flags & 0x800, 'not compressed'
        struct.pack_into('<Q', d, off + 8, 1 << 31)     # Elf64_Chdr.ch_size
open(sys.argv[2], 'wb').write(d)
PY
assert_eq "$(copies --sysroot "$TMPDIR/root" --debug-dir "$TMPDIR/bad")" "$others" \
    "inflated copies, a damaged compression header"
/usr/bin/time -f %M -o "$TMPDIR/rss" "$REPORT" -q -j 1 --format json -n 0 --sysroot "$TMPDIR/root" \
    --debug-dir "$TMPDIR/bad" "$trace" >"$TMPDIR/bad.json" 2>"$TMPDIR/bad.err" ||
    die "faultprof-report failed on a damaged debug file: $(cat "$TMPDIR/bad.err")"
assert_contains "$(jq -c '[.allocation_sites[].function]' "$TMPDIR/bad.json")" '"hidden_alloc"' \
    "sites named by the symbol table, a damaged debug file"
[ "$(cat "$TMPDIR/rss")" -lt 400000 ] || die "max RSS $(cat "$TMPDIR/rss") KiB on a damaged debug file"
echo "ok: compressed debug info read through one inflated copy, the same sites"
