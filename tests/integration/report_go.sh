#!/bin/bash
# Go with cgo (tests/progs/go, built here with the installed go): the
# program runs the same under the shim, and the report names Go functions at
# their own file:line, as addr2line does.  libdwfl gives an address that no
# .debug_aranges entry holds to the CU of the entry before it, and Go writes
# no aranges: every Go frame used to get the last line of cgo's gcc_mmap.c
# ("gcc_mmap.c:37"), whose x_cgo_munmap.cold gcc put below all Go code.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
command -v go >/dev/null || skip "go not installed (apt-get install golang-go)"
command -v gcc >/dev/null || skip "no gcc for cgo"
command -v python3 >/dev/null || skip "no python3"
src=${TESTS:-$(cd "$(dirname "$0")/.." && pwd)}/progs/go
case $src in /*) ;; *) src=$PWD/$src ;; esac
bin=$TMPDIR/go_cgo

# Offline and private: the standard library only, caches in TMPDIR.
export GOCACHE=$TMPDIR/gocache GOPATH=$TMPDIR/gopath GOTOOLCHAIN=local \
    GOFLAGS=-buildvcs=false GOPROXY=off GO111MODULE=on CGO_ENABLED=1
(cd "$src" && timeout -k 5 300 go build -o "$bin" .) >"$TMPDIR/go.err" 2>&1 ||
    die "go build failed: $(cat "$TMPDIR/go.err")"

native_status=0
timeout -k 5 60 "$bin" >"$TMPDIR/native.out" 2>"$TMPDIR/native.err" </dev/null ||
    native_status=$?
assert_eq "$native_status" 0 "native exit status ($(cat "$TMPDIR/native.err"))"
traced_status=0
timeout -k 5 60 env LD_PRELOAD="$SHIM" FAULTPROF_OUTPUT="$TMPDIR/go.%p.gz" "$bin" \
    >"$TMPDIR/traced.out" 2>"$TMPDIR/traced.err" </dev/null || traced_status=$?
assert_eq "$traced_status" "$native_status" "exit status under the shim ($(cat "$TMPDIR/traced.err"))"
assert_same_file "$TMPDIR/traced.out" "$TMPDIR/native.out" "stdout under the shim"
mapfile -t traces < <(ls "$TMPDIR"/go.*.gz 2>/dev/null)
assert_eq "${#traces[@]}" 1 "trace files"
trace=${traces[0]}

# the lines the markers in main.go are on
line_of() {
    local n
    n=$(grep -n -F "// site: $1" "$src/main.go" | cut -d: -f1)
    [ -n "$n" ] || die "no '// site: $1' marker in $src/main.go"
    echo "$n"
}
c_alloc_line=$(line_of c_alloc)
touch_line=$(line_of touch)
call_line=$(line_of "call touch")

# C in the cgo preamble: malloc's caller, at its line of main.go
report_json "$trace"
n=$(json_get 'site("c_alloc")["allocations"]')
[ "$n" -ge 8000 ] || die "c_alloc allocations $n < 8000"
"$REPORT" --format json --no-filter -n 0 "$trace" >"$TMPDIR/all.json" 2>"$TMPDIR/all.err" ||
    die "faultprof-report failed: $(cat "$TMPDIR/all.err")"
assert_contains "$(cat "$TMPDIR/all.json")" "\"c_alloc (main.go:$c_alloc_line) [go_cgo]\"" "stacks"

# every frame of every stack: no Go function at gcc_mmap.c (its own two C
# functions are), and each Go frame of the program (runtime.*, main.*, ...)
# at a .go or .s file
bad=$(python3 - "$TMPDIR/all.json" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
frames = set()
for key in ("allocation_sites", "fault_sites"):
    for s in r.get(key, []):
        frames.update(s.get("stack", []))
for f in sorted(frames):
    m = re.match(r"(\S+) \(([^):]+):(\d+)\) \[go_cgo\]$", f)
    if not m:
        continue
    func, file = m.group(1), m.group(2)
    if "gcc_mmap.c" in file and func not in ("x_cgo_mmap", "x_cgo_munmap"):
        print(f)
    elif re.match(r"(runtime|main|sync|internal/[a-z]+)\.", func):
        if not file.endswith((".go", ".s")):
            print(f)
if not any(re.match(r"runtime\.\S+ \(", f) for f in frames):
    print("no runtime.* frame with a file:line at all")
PY
)
assert_eq "$bad" "" "Go frames at a wrong file"

# each line the dump gives a frame of the program is addr2line's, inlined
# frames included (return addresses: looked up at address - 1)
if command -v addr2line >/dev/null; then
    "$REPORT" --dump "$trace" >"$TMPDIR/dump.txt" 2>/dev/null || die "--dump failed"
    diffs=$(python3 - "$TMPDIR/dump.txt" "$bin" <<'PY'
import re, subprocess, sys
ours = {}       # address - 1 -> [file:line, ...] innermost first
last = None
for l in open(sys.argv[1]):
    m = re.match(r"  #(\d+) 0x([0-9a-f]+) .*?(?: \(([^()]*:\d+)\))? \[go_cgo\]( \(inlined\))?$", l)
    if not m or m.group(1) == "0":      # #0 may be an exact ip
        last = None
        continue
    pc = int(m.group(2), 16) - 1
    key = (m.group(1), pc)
    if key != last:
        chain = []
    last = key
    chain.append(m.group(3) or "?")
    ours.setdefault(pc, chain)
pcs = sorted(ours)
out = subprocess.run(["addr2line", "-e", sys.argv[2], "-i", "-a"] + [hex(p) for p in pcs],
                     capture_output=True, text=True).stdout.splitlines()
theirs, cur = {}, None
for o in out:
    if o.startswith("0x"):
        cur = int(o, 16)
        theirs[cur] = []
    else:
        fl = o.split(" ")[0]
        theirs[cur].append(fl.rsplit("/", 1)[-1])
bad = 0
for p in pcs:
    a, b = ours[p], theirs.get(p, [])
    if a != b and not (b == ["??:0"] or b == ["??:?"]):
        bad += 1
        if bad <= 5:
            print(hex(p), "report", a, "addr2line", b)
if not pcs:
    print("no frame of the program in the dump")
PY
)
    assert_eq "$diffs" "" "report vs addr2line"
fi

# a Go function in its own source: the fault sampler's stacks start in touch,
# on the goroutine's stack
"$REPORT" --dump "$trace" | grep -q '^FAULT ' || skip "no FAULT records (perf events unavailable)"
"$REPORT" --format json -n 0 "$trace" >"$TMPDIR/report.json" 2>"$TMPDIR/report.err" ||
    die "faultprof-report failed: $(cat "$TMPDIR/report.err")"
top=$(json_get '[(s["function"], s["file"].rsplit("/", 1)[-1], s["line"], s["stack"][1:2])
                 for s in r["fault_sites"] if s["function"] == "main.touch"][:1]')
assert_eq "$top" "[('main.touch', 'main.go', $touch_line, ['main.main (main.go:$call_line) [go_cgo]'])]" \
    "main.touch's fault site"
text=$("$REPORT" -n 0 "$trace" 2>/dev/null)
assert_contains "$text" "main.touch (main.go:$touch_line)" "text report"
assert_contains "$text" "<- main.main (main.go:$call_line)" "text report"
assert_not_contains "$text" "main.touch (gcc_mmap.c" "text report"
