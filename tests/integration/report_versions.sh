#!/bin/bash
# Traces of earlier format versions stay readable.
#   tests/data/v1.2-rec_known.gz: the 1.2 recorder (commit ffefab2) running
#     tests/progs/rec_known; this reader gives the counts that recorder's own
#     reader gave: 564 allocations, 553 frees, 36 reallocs, 517 temporary,
#     11 leaked blocks of 5288 bytes, one 8 MiB block served by mmap.
#   tests/data/v2.0-rec_known.gz: the 2.0 recorder (commit 2b3dcf5), the
#     same program, short records without ALLOC_REUSE; the counts of the 2.0
#     reader.
#   tests/data/v3.0-rec_known.gz: the 3.0 recorder (commit 94acdf4), the
#     same program, with ALLOC_REUSE and the _FREED forms, before 4.0's
#     packed forms; the counts of the 3.0 reader.  A fresh trace of the
#     program (4.0: packed forms) gives the same counts.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_report
data=$(cd "$(dirname "$0")/../data" && pwd)

# expect_summary VERSION KEY:VALUE...: the report's JSON summary of the trace
expect_summary() {
    local version=$1 kv
    shift
    report_json "$trace"
    for kv in "$@"; do
        assert_eq "$(json_get "r[\"summary\"][\"${kv%%:*}\"]")" "${kv##*:}" \
            "$version trace: ${kv%%:*}"
    done
}

trace=$data/v1.2-rec_known.gz
assert_contains "$("$REPORT" --dump "$trace" | head -n 1)" "version 1.2 members 8"
expect_summary 1.2 allocations:564 frees:553 reallocs:36 temporary_allocations:517 \
    leaked_blocks:11 leaked_bytes:5288 mmapped_allocations:1 unmatched_frees:0 \
    peak_heap_blocks:4 peak_heap_bytes:8389520 average_lifetime_ns:1047

trace=$data/v2.0-rec_known.gz
dump=$("$REPORT" --dump "$trace")
assert_contains "$(head -n 1 <<<"$dump")" "version 2.0 members 8"
assert_eq "$(grep -c '^ALLOC_SHORT' <<<"$dump")" 522 "2.0 trace: ALLOC_SHORT records"
assert_eq "$(grep -c '^ALLOC_REUSE' <<<"$dump")" 0 "2.0 trace: ALLOC_REUSE records"
expect_summary 2.0 allocations:564 frees:553 reallocs:36 temporary_allocations:517 \
    leaked_blocks:11 leaked_bytes:5288 mmapped_allocations:1 unmatched_frees:0 \
    peak_heap_blocks:5 peak_heap_bytes:8390520 average_lifetime_ns:1074

trace=$data/v3.0-rec_known.gz
dump=$("$REPORT" --dump "$trace")
assert_contains "$(head -n 1 <<<"$dump")" "version 3.0 members 8"
assert_eq "$(grep -c '^ALLOC_REUSE_FREED' <<<"$dump")" 425 "3.0 trace: ALLOC_REUSE_FREED records"
expect_summary 3.0 allocations:564 frees:553 reallocs:36 temporary_allocations:517 \
    leaked_blocks:11 leaked_bytes:5288 mmapped_allocations:1 unmatched_frees:0 \
    peak_heap_blocks:4 peak_heap_bytes:8389520 average_lifetime_ns:2707

# today's recorder: 4.0 (its packed forms: test_recorder), the same counts
require_shim
run_traced "$(require_prog rec_known)"
assert_eq "$RUN_STATUS" 0 "rec_known under the shim"
trace=$TRACE
assert_contains "$("$REPORT" --dump "$trace" | head -n 1)" "version 4.0"
expect_summary 4.0 allocations:564 frees:553 reallocs:36 temporary_allocations:517 \
    leaked_blocks:11 leaked_bytes:5288 mmapped_allocations:1 unmatched_frees:0
