#!/bin/bash
# The shim's stack cache is keyed by the innermost return address and stack
# pointer; two callers with identical frames give the same key, and the
# cache must still tell them apart: 1000 allocations under each caller.
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
exit 0
