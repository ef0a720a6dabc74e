#!/bin/bash
# A short libFuzzer run (FUZZ_SECONDS, default 30) of the trace reader and
# model over the seed corpus in tests/fuzz/corpus: any crash, leak, hang or
# silent failure fails the test.  `make fuzz` runs the same harness longer.
# Skips when clang can't build -fsanitize=fuzzer programs.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
root=$(cd "${TESTS:-$(dirname "$0")/..}/.." && pwd)
command -v clang >/dev/null || skip "no clang"
bin=$TMPDIR/fuzz_reader
if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I"$root/include" \
        -I"$root/analyzer" -o "$bin" "$root/tests/fuzz/fuzz_reader.c" "$root/analyzer/reader.c" \
        "$root/analyzer/event.c" "$root/analyzer/model.c" "$root/analyzer/itree.c" \
        "$root/analyzer/timeline.c" "$root/analyzer/fclass.c" -ldeflate -lz -lm \
        2>"$TMPDIR/clang.err"; then
    skip "clang cannot build a libFuzzer target: $(head -n 1 "$TMPDIR/clang.err")"
fi
mkdir "$TMPDIR/corpus"
cp "$root"/tests/fuzz/corpus/* "$TMPDIR/corpus/"
rc=0
"$bin" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$TMPDIR/" "$TMPDIR/corpus" >"$TMPDIR/fuzz.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 40 "$TMPDIR/fuzz.log" >&2
    for crash in "$TMPDIR"/crash-* "$TMPDIR"/leak-* "$TMPDIR"/timeout-*; do
        [ -f "$crash" ] && echo "reproducer: $(base64 -w0 "$crash")" >&2
    done
    die "the fuzzer found a problem (exit $rc)"
fi
grep -q "Done [0-9]* runs" "$TMPDIR/fuzz.log" || die "the fuzzer did not finish: $(tail -n 3 "$TMPDIR/fuzz.log")"
