#!/bin/bash
# Runs: faultprof -o DIR/ keeps every trace of one launcher invocation in
# DIR with a manifest.  A make -j2 run over two files: the manifest names
# make as the root with its pid, the exit status and every trace; the
# report's header names make (not the first trace's process), its wall time
# is the manifest's, and the process tree puts cc under make.  An existing
# directory without the slash is a run too; a directory that holds a run
# already is refused; a bad manifest is one line naming it.  Then --diff
# of that run against one over three files that also archives them: the
# programs are matched by command shape, cc
# counted 2 against 3, ar listed as new only, the two makes matched as the
# runs' roots.  (--no-symbols: the figures here need no debug info, and
# reading cc1's takes seconds.)
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
require_launcher
command -v jq >/dev/null || skip "jq not installed"
command -v make >/dev/null && command -v cc >/dev/null || skip "no make or cc"

proj=$TMPDIR/proj
mkdir -p "$proj"
for f in a b c; do printf 'int %s(void) { return 1; }\n' "$f" >"$proj/$f.c"; done
printf 'OBJ ?= a.o b.o\nall: $(OBJ)\n\t$(if $(AR_TOO),ar rcs lib.a $(OBJ))\n%%.o: %%.c\n\tcc -c -o $@ $<\n' \
    >"$proj/Makefile"

run_launcher -o "$TMPDIR/run1/" make -s -B -j2 -C "$proj"
assert_eq "$rc" 0 "make's exit status"
m=$TMPDIR/run1/manifest
assert_file "$m"
assert_eq "$(head -n 1 "$m")" "faultprof-run 1" "manifest's first line"
assert_contains "$err" "faultprof: read it with: faultprof-report $TMPDIR/run1/" "the launcher's closing line"
root=$(awk '$1 == "root_pid" { print $2 }' "$m")
make_trace=$(ls "$TMPDIR"/run1/faultprof.make.*.gz)
assert_eq "$make_trace" "$TMPDIR/run1/faultprof.make.$root.gz" "the root is make's process"
assert_eq "$(grep -c '^trace ' "$m")" "$(ls "$TMPDIR"/run1/*.gz | wc -l)" "traces listed"
[ "$(grep -c '^trace faultprof\.cc\.' "$m")" -ge 2 ] || die "fewer than two cc traces: $(cat "$m")"
assert_eq "$(awk '$1 == "status" { print $2, $3 }' "$m")" "exit 0" "manifest status"
wall=$(awk '$1 == "start" { s = $2 } $1 == "end" { e = $2 } END { printf "%.2f", e - s }' "$m")

text=$("$REPORT" -q --no-symbols "$TMPDIR/run1")
assert_eq "$(head -n 1 <<<"$text")" "faultprof-report: make -s -B -j2 -C $proj" "the header names the root"
assert_contains "$text" "wall $wall s" "the run's wall time"
[ "$wall" != 0.00 ] || die "a make run of 0.00 s"
assert_contains "$text" "run              $TMPDIR/run1: exit 0, wall $wall s" "the run line"
tree=$(sed -n '/processes (tree/,/^$/p' <<<"$text")
assert_contains "$(grep -E "^    $root\* " <<<"$tree")" "make -s -B -j2" "the root's tree line"
grep -qE '^    [0-9]+ .*[^ ] {4}cc -c -o [ab]\.o [ab]\.c$' <<<"$tree" ||
    die "cc is not indented under make:
$tree"
# the traces given as files, in the shell's order (as.*, cc.*, ..., make.*):
# still make's header, and the wall time from the first start to the last end
files=$("$REPORT" -q --no-symbols "$TMPDIR"/run1/*.gz)
assert_eq "$(head -n 1 <<<"$files")" "faultprof-report: make -s -B -j2 -C $proj" "the header, traces as files"
assert_not_contains "$(grep 'time -v' <<<"$files")" "wall 0.00 s" "the wall time, traces as files"
json=$("$REPORT" -q --no-symbols --format json "$TMPDIR/run1")
assert_eq "$(jq -r '.run.root_pid' <<<"$json")" "$root" "JSON run root"
assert_eq "$(jq -r '[.processes[] | select(.root)][0].pid' <<<"$json")" "$root" "JSON root process"
assert_eq "$(jq -r '.summary.wall_seconds * 100 | round / 100' <<<"$json")" "$(awk -v w="$wall" 'BEGIN { print w + 0 }')" \
    "JSON wall seconds"

# a directory that exists is a run without the slash; one holding a run is refused
mkdir "$TMPDIR/run2"
run_launcher -o "$TMPDIR/run2" sh -c 'exit 3'
assert_eq "$rc" 3 "the program's exit status in a run"
assert_eq "$(awk '$1 == "status" { print $2, $3 }' "$TMPDIR/run2/manifest")" "exit 3" "manifest status 3"
run_launcher -o "$TMPDIR/run1/" true
assert_eq "$rc" 2 "a second run into one directory"
assert_contains "$err" "holds a run already"
assert_no_registry

# the diff of two runs: programs matched by command shape, not pid
run_launcher -q -o "$TMPDIR/run3/" make -s -B -j2 -C "$proj" OBJ="a.o b.o c.o" AR_TOO=1
assert_eq "$rc" 0 "the second make's exit status"
diff=$("$REPORT" -q --no-symbols --diff "$TMPDIR/run1" "$TMPDIR/run3")
progs=$(sed -n '/^Programs (processes matched/,/^$/p' <<<"$diff")
assert_contains "$(grep -E '^  cc -c -o \*\.o \*\.c ' <<<"$progs")" " 2     3 " "cc processes, 2 against 3"
assert_contains "$(grep -E '^  ar ' <<<"$progs")" "new only" "ar, on the new side only"
assert_contains "$(grep -E '^  make \(root\) ' <<<"$progs")" " 1     1 " "the roots matched"
json=$("$REPORT" -q --no-symbols --diff --format json "$TMPDIR/run1" "$TMPDIR/run3")
assert_eq "$(jq -r '.programs[] | select(.program == "ar * *.a *.o *.o *.o") | .in_base' <<<"$json")" false \
    "JSON: ar not in base"
assert_eq "$(jq -r '.programs[] | select(.program == "cc -c -o *.o *.c") | .processes.new.median' <<<"$json")" 3 \
    "JSON: cc processes in new"

# a bad manifest: one line naming the file and the problem, exit 2
mkdir "$TMPDIR/bad"
bad_manifest() {
    printf "$1" >"$TMPDIR/bad/manifest"
    rc=0; "$REPORT" "$TMPDIR/bad" >/dev/null 2>"$TMPDIR/err" || rc=$?
    assert_eq "$rc" 2 "exit status for a manifest '$1'"
    assert_eq "$(cat "$TMPDIR/err")" "faultprof-report: $2" "message for a manifest '$1'"
}
bad_manifest 'faultprof-run 1\nroot_pid x\n' "$TMPDIR/bad/manifest:2: root_pid 'x' is not a number"
bad_manifest 'faultprof-run 2\n' "$TMPDIR/bad/manifest: manifest version 2; this faultprof-report reads version 1"
bad_manifest 'faultprof-run 1\nstatus exit 0\n' "$TMPDIR/bad/manifest: the run lists no trace (did the program run?)"
bad_manifest 'faultprof-run 1\ntrace gone.gz\n' "$TMPDIR/bad/gone.gz: cannot open: No such file or directory"
bad_manifest 'hello\n' "$TMPDIR/bad/manifest: not a faultprof run manifest (it starts 'hello')"
