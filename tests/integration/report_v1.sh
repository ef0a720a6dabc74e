#!/bin/bash
# Version 1 traces stay readable.  tests/data/v1.2-rec_known.gz was written
# by the 1.2 recorder (commit ffefab2) running tests/progs/rec_known; the
# 2.x reader gives the counts that recorder's own reader gave: 564
# allocations, 553 frees, 36 reallocs, 517 temporary, 11 leaked blocks of
# 5288 bytes, one 8 MiB block served by mmap.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_report
trace=$(cd "$(dirname "$0")/../data" && pwd)/v1.2-rec_known.gz
assert_contains "$("$REPORT" --dump "$trace" | head -n 1)" "version 1.2 members 8"
report_json "$trace"
for kv in allocations:564 frees:553 reallocs:36 temporary_allocations:517 leaked_blocks:11 \
    leaked_bytes:5288 mmapped_allocations:1 unmatched_frees:0 peak_heap_blocks:4 \
    peak_heap_bytes:8389520 average_lifetime_ns:1047; do
    assert_eq "$(json_get "r[\"summary\"][\"${kv%%:*}\"]")" "${kv##*:}" "1.2 trace: ${kv%%:*}"
done
