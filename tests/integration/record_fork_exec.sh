#!/bin/bash
# A fork child and an exec'd image each write their own trace, with their
# own allocations: 10 in the parent, 20 in the fork child, 30 after exec
# (same pid as the parent: it gets a numbered sibling, not the parent's file).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_fork)

native=$("$prog")
run_traced -o "$TMPDIR/f.%p.gz" "$prog"
assert_eq "$RUN_STATUS" 0 "exit status"
assert_eq "$(cat "$RUN_OUT")" "$native" "program output"
assert_eq "${#TRACES[@]}" 3 "trace files (parent, fork child, exec'd image): ${TRACES[*]}"
seen=""
for t in "${TRACES[@]}"; do
    report_json "$t"
    p=$(json_get 'site("parent_work")["allocations"]')
    c=$(json_get 'site("child_work")["allocations"]')
    e=$(json_get 'site("exec_work")["allocations"]')
    seen="$seen $p/$c/$e"
done
case $seen in
*" 10/0/0"*) ;; *) die "no trace with exactly the parent's 10 allocations:$seen" ;;
esac
case $seen in
*" 0/20/0"*) ;; *) die "no trace with exactly the child's 20 allocations:$seen" ;;
esac
case $seen in
*" 0/0/30"*) ;; *) die "no trace with exactly the exec'd image's 30 allocations:$seen" ;;
esac
# the child says it is one, and names its parent
n=0
for t in "${TRACES[@]}"; do
    if "$REPORT" --dump "$t" 2>/dev/null | grep -q '^PROCESS .*flags=0x3'; then
        n=$((n + 1))
    fi
done
assert_eq "$n" 1 "traces whose PROCESS record has the fork-child flag"
exit 0
