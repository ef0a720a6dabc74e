#!/bin/bash
# A module file is opened once for all the processes of a run that map it,
# and an address of any of them is looked up in it moved from that
# process's base to the one the file was opened at.  A program runs itself
# twelve times (fork and exec, each child at its own ASLR base); all of
# them map libshared.so, built with -g: the parent allocates in
# shared_parent, each child 5 blocks in shared_alloc.  The report of the
# run names both sites with file and line and counts 5 x 12 at
# shared_alloc's, and faultprof-report opens the program, libshared.so and
# libc a few times in all (strace), not once or more per process as when
# each process had a Dwfl of its own (a 31-process build then took 3 s and
# 634 MB: libc's debug info inflated 31 times).  With -j 2 (files opened
# ahead by the prewarm threads) and -j 1 (opened at the first lookup).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
require_launcher
command -v strace >/dev/null || skip "strace not installed"
command -v jq >/dev/null || skip "jq not installed"

cat >"$TMPDIR/shared.c" <<'EOF'
#include <stdlib.h>
#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")
__attribute__((noinline)) void shared_parent(void)
{
    void *p = malloc(100);
    KEEP(p);
    free(p);
}
__attribute__((noinline)) void shared_alloc(void)
{
    for (int i = 0; i < 5; i++) {
        void *p = malloc(40);
        KEEP(p);
        free(p);
    }
}
EOF
cat >"$TMPDIR/app.c" <<'EOF'
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
void shared_parent(void);
void shared_alloc(void);
int main(int argc, char **argv)
{
    if (argc > 1) {              /* a child */
        shared_alloc();
        return 0;
    }
    shared_parent();
    for (int i = 0; i < 12; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", argv[0], "child", (char *)NULL);
            _exit(127);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
            return 1;
    }
    puts("12 children");
    return 0;
}
EOF
${CC:-cc} -O1 -g -fPIC -shared -o "$TMPDIR/libshared.so" "$TMPDIR/shared.c" ||
    die "cannot build libshared.so"
${CC:-cc} -O1 -g -o "$TMPDIR/app" "$TMPDIR/app.c" -L"$TMPDIR" -lshared -Wl,-rpath,"$TMPDIR" ||
    die "cannot build app"

run_launcher -o "$TMPDIR/run/" "$TMPDIR/app"
assert_eq "$rc" 0 "the program's exit status"
assert_eq "$out" "12 children" "the program's output"

site() { # JSON FUNCTION: "allocations function file:line" of the function's site
    jq -r --arg f "$2" '[.allocation_sites[] | select(.function == $f)] |
        map("\(.allocations) \(.function) \(.file | split("/") | last):\(.line)") | join(", ")' "$1"
}
for jobs in 2 1; do
    strace -f -qq -e trace=open,openat -o "$TMPDIR/strace.$jobs" \
        "$REPORT" -q -j "$jobs" --format json -n 0 "$TMPDIR/run" \
        >"$TMPDIR/run.json" 2>"$TMPDIR/run.err" ||
        die "faultprof-report -j $jobs failed: $(cat "$TMPDIR/run.err")"
    assert_eq "$(jq '.processes | length' "$TMPDIR/run.json")" 25 "-j $jobs: processes (the parent, each child before and after its exec)"
    assert_eq "$(site "$TMPDIR/run.json" shared_parent)" "1 shared_parent shared.c:5" \
        "-j $jobs: shared_parent's site"
    assert_eq "$(site "$TMPDIR/run.json" shared_alloc)" "60 shared_alloc shared.c:12" \
        "-j $jobs: shared_alloc's site"
    # each: its build-id read, its ELF opened; libc also by the loader for
    # faultprof-report itself
    for f in app libshared.so libc.so.6; do
        opens=$(grep -v ENOENT "$TMPDIR/strace.$jobs" | grep -c "open[a-z]*(.*/$f\"" || true)
        [ "$opens" -ge 1 ] && [ "$opens" -le 4 ] ||
            die "-j $jobs: faultprof-report opened $f $opens times for 25 processes"
    done
done
echo "ok: 25 processes' sites named, each file opened at most 4 times"
