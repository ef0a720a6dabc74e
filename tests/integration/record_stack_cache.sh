#!/bin/bash
# The shim's stack cache is keyed by the innermost return address and stack
# pointer; two callers with identical frames give the same key, and the
# cache must still tell them apart: 1000 allocations under each caller.
# Its fills (a slow walk each) must pay: where every filled key is evicted
# before it comes back (rec_stackfill thrash: 20000 allocations, each key
# seen twice in a row, then 199 others), the fills stop (NOTE stack_cache:
# at most 1000; filling at each key's second sighting made 9755), and
# where one stack repeats (rec_stackfill loop) all but two are hits.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
prog=$(require_prog rec_samesp)

run_traced "$prog"
assert_eq "$(cat "$RUN_OUT")" 2000 "program output"
"$REPORT" --format json -n 0 "$TRACE" >"$TMPDIR/sites.json" 2>/dev/null
count() {
    python3 - "$TMPDIR/sites.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(sum(s["allocations"] for s in r["allocation_sites"]
          if s["function"] == "leaf" and len(s["stack"]) > 1
          and s["stack"][1].startswith(sys.argv[2] + " ")))
PY
}
assert_eq "$(count path_a)" 1000 "allocations under path_a"
assert_eq "$(count path_b)" 1000 "allocations under path_b"

# stack_note FIELD: FIELD of the last run's NOTE stack_cache (its only thread)
stack_note() {
    "$REPORT" --dump -q "$TRACE" | sed -n 's/.*key="stack_cache" value="\(.*\)"/\1/p' |
        awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'
}
fill=$(require_prog rec_stackfill)
run_traced "$fill" thrash
assert_eq "$(cat "$RUN_OUT")" 20000 "thrash: program output"
fills=$(stack_note fills)
[ -n "$fills" ] || die "thrash: no NOTE stack_cache in the trace"
[ "$fills" -le 1000 ] || die "thrash: $fills fills for 20000 allocations whose fills never pay"
run_traced "$fill" loop
assert_eq "$(cat "$RUN_OUT")" 100000 "loop: program output"
assert_eq "$(stack_note hits)" 99998 "loop: stack cache hits"
exit 0
