#!/bin/bash
# The exports for other tools, on programs with known counts.
# speedscope: the file validates against speedscope's published schema (the
# npm package speedscope's dist/release/file-format-schema.json, installed by
# scripts/install-deps.sh --test), and rep_known's alloc_a, alloc_b and
# leak_c carry 100, 50 and 7 allocations, 6400, 1200 and 224 bytes, leak_c
# all 224 leaked bytes, alloc_a the 100 temporary ones.  pprof: go tool pprof
# -top shows the same totals per function for allocations, bytes and inuse;
# rep_inline's make_node, inlined into build_list, is a Line of
# build_list's Location, and the first Mapping is the executable with its
# build-id; on flt_touch (fault samples from perf events), the faults of
# touch_pages in both exports are the JSON report's fault_sites figure.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
require_launcher
command -v jq >/dev/null || skip "jq not installed"
schema=${FAULTPROF_TEST_NPM:-/opt/faultprof-test}/node_modules/speedscope/dist/release/file-format-schema.json
[ -f "$schema" ] || skip "no $schema (scripts/install-deps.sh --test)"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
    skip "python3-jsonschema not installed (scripts/install-deps.sh --test)"
checker="$(dirname "$0")/../exports/check_speedscope.py"

timeout 30 "$LAUNCHER" -q -o "$TMPDIR/known.gz" "$(require_prog rep_known)" ||
    die "rep_known under the launcher"
"$REPORT" -q --format speedscope -o "$TMPDIR/known.json" "$TMPDIR/known.gz"
/usr/bin/python3 "$checker" "$schema" "$TMPDIR/known.json" >"$TMPDIR/known.tsv" ||
    die "speedscope file of rep_known (above)"
# the seven profiles, in order
names=$(jq -r '[.profiles[].name] | join(",")' "$TMPDIR/known.json")
assert_eq "$names" "allocations,bytes allocated,live at the heap peak,leaked,temporary allocations,page faults by code,page faults by allocation" "profiles"
got=$(grep -E $'\t(alloc_a|alloc_b|leak_c)\t' "$TMPDIR/known.tsv" |
      grep -E '^(allocations|bytes allocated|leaked|temporary allocations)'$'\t')
assert_eq "$got" "allocations	alloc_a	100
allocations	alloc_b	50
allocations	leak_c	7
bytes allocated	alloc_a	6400
bytes allocated	alloc_b	1200
bytes allocated	leak_c	224
leaked	leak_c	224
temporary allocations	alloc_a	100" "speedscope totals per function"
line=$(jq -r '.shared.frames[] | select(.name == "leak_c") | "\(.file):\(.line)"' "$TMPDIR/known.json")
assert_contains "$line" "rep_known.c:" "leak_c's frame"

command -v go >/dev/null || skip "go not installed (scripts/install-deps.sh --test)"
export GOCACHE=$TMPDIR/gocache GOPATH=$TMPDIR/gopath GOTOOLCHAIN=local GOPROXY=off
"$REPORT" -q --format pprof -o "$TMPDIR/known.pb.gz" "$TMPDIR/known.gz"
assert_eq "$(head -c 2 "$TMPDIR/known.pb.gz" | od -An -tx1 | tr -d ' ')" 1f8b "gzip magic"
# "flat" of each function in go tool pprof -top (the -top table's columns:
# flat flat% sum% cum cum% name), for one sample type
pprof_flat() {
    timeout 60 go tool pprof -sample_index="$1" -top "$2" 2>/dev/null |
        awk -v f="$3" '$6 == f { print $1 }'
}
for t in "allocations alloc_a 100" "allocations alloc_b 50" "allocations leak_c 7" \
         "bytes alloc_a 6400B" "bytes alloc_b 1200B" "bytes leak_c 224B" "inuse leak_c 224B"; do
    set -- $t
    assert_eq "$(pprof_flat "$1" "$TMPDIR/known.pb.gz" "$2")" "$3" "go tool pprof -sample_index=$1: $2"
done
assert_eq "$(pprof_flat inuse "$TMPDIR/known.pb.gz" alloc_a)" "" "alloc_a freed all it had"
lines=$(timeout 60 go tool pprof -sample_index=bytes -lines -top "$TMPDIR/known.pb.gz" 2>/dev/null)
assert_contains "$lines" "leak_c $(dirname "$line")" "pprof -lines: leak_c at its file"

# inlined frames and mappings: rep_inline's make_node, inlined into
# build_list, is a Line of the same Location as build_list (pprof -traces
# marks it "(inline)" and -raw lists both under one location id), and the
# first mapping is the executable, with the build-id its MODULE record has
prog=$(require_prog rep_inline)
timeout 30 "$LAUNCHER" -q -o "$TMPDIR/inline.gz" "$prog" || die "rep_inline under the launcher"
"$REPORT" -q --format pprof -o "$TMPDIR/inline.pb.gz" "$TMPDIR/inline.gz"
traces=$(timeout 60 go tool pprof -sample_index=allocations -traces "$TMPDIR/inline.pb.gz" 2>/dev/null)
assert_contains "$traces" "$(printf '        50   make_node (inline)\n             build_list\n             main')" \
    "pprof -traces: make_node inlined in build_list"
raw=$(timeout 60 go tool pprof -raw "$TMPDIR/inline.pb.gz" 2>/dev/null)
loc=$(awk '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 }
           on && $1 ~ /:$/ { id = $1; fn = $4 } on && $1 !~ /:$/ { print id, fn, $1 }' <<<"$raw")
assert_contains "$loc" "make_node build_list" "pprof -raw: build_list is the second Line of make_node's Location"
bid=$("$REPORT" --dump "$TMPDIR/inline.gz" | grep "^MODULE .* path=\"$prog\"" | sed 's/.* build_id=\([0-9a-f]*\) .*/\1/')
[ -n "$bid" ] || die "no MODULE record of $prog"
map1=$(awk '/^Mappings/ { getline; print; exit }' <<<"$raw")
assert_contains "$map1" "$prog $bid [FN][FL][LN][IN]" "pprof -raw: the first mapping"
top=$(timeout 60 go tool pprof -top "$TMPDIR/inline.pb.gz" 2>&1)
assert_contains "$top" "Build ID: $bid" "pprof -top knows the binary"

# faults by code: flt_touch's touch_pages
timeout 60 "$LAUNCHER" -q -o "$TMPDIR/touch.gz" "$(require_prog flt_touch)" 4000 >/dev/null ||
    die "flt_touch under the launcher"
"$REPORT" --dump "$TMPDIR/touch.gz" | grep -q '^FAULT ' || skip "no FAULT records (perf events unavailable)"
code=$("$REPORT" -q --format json "$TMPDIR/touch.gz" |
       jq '[.fault_sites[] | select(.function == "touch_pages") | .minor_faults + .major_faults] | add')
[ "$code" -gt 0 ] || die "touch_pages took no faults"
"$REPORT" -q --format speedscope -o "$TMPDIR/touch.json" "$TMPDIR/touch.gz"
/usr/bin/python3 "$checker" "$schema" "$TMPDIR/touch.json" >"$TMPDIR/touch.tsv" ||
    die "speedscope file of flt_touch (above)"
assert_eq "$(awk -F'\t' '$1 == "page faults by code" && $2 == "touch_pages" { print $3 }' "$TMPDIR/touch.tsv")" \
    "$code" "speedscope: touch_pages's faults"
"$REPORT" -q --format pprof -o "$TMPDIR/touch.pb.gz" "$TMPDIR/touch.gz"
assert_eq "$(pprof_flat faults "$TMPDIR/touch.pb.gz" touch_pages)" "$code" "pprof: touch_pages's faults"
