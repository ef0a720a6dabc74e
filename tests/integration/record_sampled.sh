#!/bin/bash
# Sampled mode (FAULTPROF_SAMPLE_BYTES): the summary's totals are exact —
# the same as an unsampled run's — and says its site figures are estimates;
# with many samples a site's estimated allocations and bytes are within 5% of
# the truth (1M x 100 B in small_blocks, 10k x 100 KiB in big_blocks).
# With 400k blocks live at once (about 216k of them sampled), the shim's set
# of sampled blocks grows and still finds each at its free: no block of
# many_live is left as a leak, while kept_blocks' 1000 are.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_report
known=$(require_prog rec_known)
sampled=$(require_prog rec_sampled)

summary() {
    json_get 'r["summary"]["allocations"], r["summary"]["bytes_allocated"], r["summary"]["frees"]'
}

run_traced "$known"
assert_eq "$RUN_STATUS" 0 "unsampled: exit status"
report_json "$TRACE"
full=$(summary)
assert_eq "$(json_get 'r["summary"]["estimated"]')" False "unsampled: estimated"

LD_PRELOAD=$SHIM FAULTPROF_SAMPLE_BYTES=4096 FAULTPROF_OUTPUT=$TMPDIR/known.%p.gz "$known" \
    </dev/null >"$TMPDIR/known.out" 2>&1 || die "sampled rec_known failed"
report_json "$TMPDIR"/known.*.gz
assert_eq "$(summary)" "$full" "sampled: exact totals (allocations, bytes, frees)"
assert_eq "$(json_get 'r["summary"]["sampled_bytes"]')" 4096 "sampled: summary.sampled_bytes"
assert_eq "$(json_get 'r["summary"]["estimated"]')" True "sampled: summary.estimated"
assert_eq "$(json_get 'r["summary"]["unmatched_frees"]')" 0 "sampled: unknown frees ignored"
text=$("$REPORT" "$TMPDIR"/known.*.gz 2>&1)
assert_contains "$text" "every other figure is estimated from the samples" "text summary"

# within PCT percent of WANT
near() {
    local got=$1 want=$2 pct=$3 what=$4
    python3 -c "import sys; sys.exit(0 if abs($got - $want) <= $want * $pct / 100 else 1)" ||
        die "$what: $got is not within $pct% of $want"
}

# 10k x 100 KiB at N = 64 KiB: each is sampled with p = 0.79 (std 0.5%)
LD_PRELOAD=$SHIM FAULTPROF_SAMPLE_BYTES=65536 FAULTPROF_OUTPUT=$TMPDIR/s64.%p.gz "$sampled" \
    </dev/null >/dev/null 2>&1 || die "rec_sampled failed"
report_json "$TMPDIR"/s64.*.gz
sampled_totals=$(summary)
run_traced "$sampled"
report_json "$TRACE"
assert_eq "$sampled_totals" "$(summary)" "N=64K: exact totals (allocations, bytes, frees)"
report_json "$TMPDIR"/s64.*.gz
near "$(json_get 'site("big_blocks")["allocations"]')" 10000 5 "N=64K: big_blocks allocations"
near "$(json_get 'site("big_blocks")["bytes"]')" $((10000 * 102400)) 5 "N=64K: big_blocks bytes"
# 100 MB of 100-byte blocks give ~1500 samples at N = 64 KiB (std 2.6%, too
# wide for a 5% bound that must not flake): N = 16 KiB gives ~6100 (std 1.3%)
LD_PRELOAD=$SHIM FAULTPROF_SAMPLE_BYTES=16384 FAULTPROF_OUTPUT=$TMPDIR/s16.%p.gz "$sampled" \
    </dev/null >/dev/null 2>&1 || die "rec_sampled failed"
report_json "$TMPDIR"/s16.*.gz
near "$(json_get 'site("small_blocks")["allocations"]')" 1000000 5 "N=16K: small_blocks allocations"
near "$(json_get 'site("small_blocks")["bytes"]')" 100000000 5 "N=16K: small_blocks bytes"
near "$(json_get 'site("big_blocks")["bytes"]')" $((10000 * 102400)) 5 "N=16K: big_blocks bytes"
# folded output uses the estimates
folded=$("$REPORT" --format folded --by function --metric allocations "$TMPDIR"/s16.*.gz)
n=$(printf '%s\n' "$folded" | awk '/small_blocks/ { print $NF; exit }')
near "${n:-0}" 1000000 5 "N=16K: folded small_blocks allocations"

# 400k x 100 B live at once at N = 128 (p = 0.54: ~216k live samples, far
# more than the set's first table holds), then all freed; 1000 leaked
LD_PRELOAD=$SHIM FAULTPROF_SAMPLE_BYTES=128 FAULTPROF_OUTPUT=$TMPDIR/live.%p.gz "$sampled" live \
    </dev/null >"$TMPDIR/live.out" 2>&1 || die "rec_sampled live failed"
assert_eq "$(cat "$TMPDIR/live.out")" done "live: program output"
report_json "$TMPDIR"/live.*.gz
near "$(json_get 'site("many_live")["allocations"]')" 400000 5 "live: many_live allocations"
assert_eq "$(json_get 'site("many_live")["leaked_blocks"]')" 0 "live: every sampled block of many_live freed"
# 1000 blocks at p = 0.54: the estimate's std is 2.9%
near "$(json_get 'site("kept_blocks")["leaked_blocks"]')" 1000 15 "live: kept_blocks leaked"
