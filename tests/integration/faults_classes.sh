#!/bin/bash
# Fault classes end to end: each mode of flt_classes provokes one mechanism,
# and at FAULTPROF_FAULT_PERIOD=1 at least 80% of its estimated faults (of
# the function that takes them, write_pages, read_pages, recurse or
# child_writes) carry its class; at the default period the class is the
# run's largest.  zero: half first_touch, half zero_page_write.  mprotect:
# this kernel makes the pages writable again without faults, so its faults
# are first touches and none is called protection.  fadvise: the major
# faults the program counted are in the trace, on the file.  thp skips when
# the kernel gave no huge page.  The same program under glibc malloc
# (refault_trim) and jemalloc (first_touch) differs, and --diff names the
# class that changed.  Skips without FAULT records.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog flt_classes)

run_traced "$prog" calloc
"$REPORT" --dump "$TRACE" | grep -q '^FAULT ' || skip "no FAULT records (perf events unavailable)"

# share_of CLASS: the class's share (percent) of the last report's faults,
# leaving out the loader's and allocator's few (file, other) unless CLASS is
# one of them; top_class: the class with the most
share_of() {
    json_get "(lambda t: round(100 * sum(c['faults'] for c in t if c['class'] == '$1') / max(1, sum(c['faults'] for c in t if c['class'] not in ('other', 'file') or '$1' in ('other', 'file')))))(r['fault_classes']['classes'])"
}
top_class() {
    json_get "r['fault_classes']['classes'][0]['class'] if r['fault_classes']['classes'] else 'none'"
}

# check MODE CLASS [MIN%]: period 1 share, then the default period's top class
check() {
    local mode=$1 class=$2 min=${3:-80}
    FAULTPROF_FAULT_PERIOD=1 run_traced "$prog" "$mode" "$TMPDIR"
    assert_eq "$RUN_STATUS" 0 "$mode exit status"
    report_json "${TRACES[@]}"
    local s
    s=$(share_of "$class")
    echo "$mode: $class $s% at period 1"
    [ "$s" -ge "$min" ] || die "$mode: $class has $s% of the faults at period 1 (< $min%): $(json_get "[(c['class'], c['faults']) for c in r['fault_classes']['classes']]")"
    assert_eq "$(json_get "r['fault_classes']['rule'].startswith('every fault was sampled')")" True "$mode: period 1 rule"
    if [ "${4:-}" != no-default ]; then
        run_traced "$prog" "$mode" "$TMPDIR"
        report_json "${TRACES[@]}"
        assert_eq "$(top_class)" "$class" "$mode: the top class at the default period"
    fi
}

check calloc first_touch
check trim refault_trim
check madvise refault_madvise
check stack stack
check file file
# fork: the child's trace (the parent's own faults are first touches)
child_trace() {
    local t
    for t in "${TRACES[@]}"; do
        "$REPORT" --dump "$t" | head -n 3 | grep -q '^PROCESS .*flags=0x[0-9a-f]*[2367abef] ' &&
            { echo "$t"; return; }
    done
    die "no fork child's trace among ${TRACES[*]}"
}
FAULTPROF_FAULT_PERIOD=1 run_traced "$prog" fork
assert_eq "${#TRACES[@]}" 2 "fork: traces"
report_json "$(child_trace)"
s=$(share_of copy_on_write)
echo "fork: copy_on_write $s% of the child's at period 1"
[ "$s" -ge 80 ] || die "fork: copy_on_write $s% of the child's faults (< 80%)"
run_traced "$prog" fork

report_json "$(child_trace)"
assert_eq "$(top_class)" copy_on_write "fork: the child's top class at the default period"
# munmap: 10 rounds of an 8 MiB mmap written and unmapped.  A round's pages
# refault only where its mmap got the address the last round unmapped; the
# kernel may put it elsewhere (the shim's own memory can take the hole), and
# there its 2048 pages are first touches.  The classes are per site too: the
# mmap call (in map_anon) carries them.
munmap_rounds() {   # prints: the program's 8 MiB mmaps, those at the last unmapped address
    "$REPORT" --dump -q "$TRACE" | awk '
        $1 == "MUNMAP" && / length=8388608 / { for (i = 2; i <= NF; i++) if ($i ~ /^addr=/) gone = substr($i, 6) }
        $1 == "MMAP" && / length=8388608 / { for (i = 2; i <= NF; i++) if ($i ~ /^result=/) { n++; same += substr($i, 8) == gone } }
        END { print n + 0, same + 0 }'
}
FAULTPROF_FAULT_PERIOD=1 run_traced "$prog" munmap
assert_eq "$RUN_STATUS" 0 "munmap exit status"
report_json "$TRACE"
read -r maps same <<<"$(munmap_rounds)"
assert_eq "$maps" 10 "munmap: the program's mmaps of 8 MiB"
echo "munmap: $same of 9 rounds mapped again where the last was unmapped"
[ "$same" -ge 1 ] || die "munmap: no round got its address back: nothing to refault"
assert_eq "$(json_get "r['fault_classes']['rule'].startswith('every fault was sampled')")" True "munmap: period 1 rule"
mm=$(json_get 'site("map_anon")["fault_classes"].get("refault_munmap", 0)')
ft=$(json_get 'site("map_anon")["fault_classes"].get("first_touch", 0)')
echo "munmap: map_anon's faults: refault_munmap $mm, first_touch $ft at period 1"
[ "$mm" -ge $((same * 2000)) ] ||
    die "the mmap call (map_anon) has $mm refault_munmap faults ($same rounds of 2048 pages at an address unmapped before)"
[ "$ft" -ge $(((10 - same) * 2000)) ] ||
    die "the mmap call (map_anon) has $ft first_touch faults ($((10 - same)) rounds of 2048 pages at new addresses)"
text=$("$REPORT" "$TRACE")
assert_contains "$text" "Fault classes (why each sampled fault happened):"
assert_contains "$text" "refault_munmap"
assert_not_contains "$text" "no sampled fault fell in an allocated block"
# the default period: the top class while most rounds refault
run_traced "$prog" munmap
report_json "$TRACE"
read -r maps same <<<"$(munmap_rounds)"
if [ "$same" -ge 6 ]; then
    assert_eq "$(top_class)" refault_munmap "munmap: the top class at the default period ($same rounds refault)"
fi

# zero page then write: one fault per page for the read, one for the write
check zero zero_page_write 45 no-default
assert_ge_first=$(share_of first_touch)
[ "$assert_ge_first" -ge 45 ] || die "zero: first_touch $assert_ge_first% (< 45%)"

# mprotect cycles: no phantom protection faults
check mprotect first_touch 90 no-default
assert_eq "$(share_of protection)" 0 "mprotect: protection share"

# file after posix_fadvise(DONTNEED): the program's major faults are on the file
FAULTPROF_FAULT_PERIOD=1 run_traced "$prog" fadvise "$TMPDIR"
report_json "$TRACE"
own=$(sed -n 's/^major faults //p' "$RUN_OUT")
major=$(json_get 'sum(g["major_faults"] for g in r["fault_regions"] if g["region"] == "file_mmap")')
echo "fadvise: program counted $own major faults, the trace has $major on files"
assert_eq "$(top_class)" file "fadvise: top class"
[ "$major" -ge "$own" ] || die "fadvise: $major major faults on files, the program counted $own"

# transparent huge pages
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
if [ -z "$thp" ] || [ "$thp" = never ]; then
    echo "thp: skipped (transparent huge pages are ${thp:-not available} here)"
else
    FAULTPROF_FAULT_PERIOD=1 run_traced "$prog" thp
    if [ "$(sed -n 's/^huge kB //p' "$RUN_OUT")" = 0 ]; then
        echo "thp: skipped (the kernel gave no huge page: memory too fragmented)"
    else
        report_json "$TRACE"
        s=$(share_of huge_page)
        echo "thp: huge_page $s% at period 1"
        [ "$s" -ge 80 ] || die "thp: huge_page $s% (< 80%)"
    fi
fi

# glibc malloc against jemalloc: same work, other classes, and the diff says so
je=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -n 1 || true)
[ -n "$je" ] || skip "libjemalloc2 not installed (scripts/install-deps.sh --test)"
run_traced "$prog" reuse
glibc=$TRACE
report_json "$glibc"
assert_eq "$(top_class)" refault_trim "glibc reuse: top class"
LD_PRELOAD="$SHIM $je" FAULTPROF_OUTPUT=$TMPDIR/je.%p.gz "$prog" reuse >/dev/null
jem=$(ls "$TMPDIR"/je.*.gz)
report_json "$jem"
assert_eq "$(top_class)" first_touch "jemalloc reuse: top class"
"$REPORT" --diff --format json "$glibc" "$jem" >"$TMPDIR/diff.json"
first=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["fault_classes"][0]; print(d["class"], d["delta"] < 0, d["site"])' "$TMPDIR/diff.json")
assert_eq "$first" "refault_trim True reuse_blocks" "the diff's first class"
dtext=$("$REPORT" --diff "$glibc" "$jem")
assert_contains "$dtext" "Faults by class (estimated), ranked by change:"
assert_contains "$(grep -A2 '^Faults by class' <<<"$dtext")" "refault_trim:"
