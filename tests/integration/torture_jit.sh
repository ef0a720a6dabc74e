#!/bin/bash
# Torture: generated code (a JIT's).  A JVM died of SIGSEGV inside libunwind,
# from the SIGTRAP handler, 1 run in 16 to 30 under load: stepping out of a
# JIT frame, libunwind guessed a frame chain from rbp, which generated code
# uses as a plain register, and the next frame's table-driven step read the
# reserved page that guess pointed at.  The rule since: a walk records a
# frame in code the program mapped itself (anonymous, PROT_EXEC) and stops
# there.  tests/progs/jit_frames.c runs generated code that keeps a
# standard frame but leaves a reserved page's address where its caller's
# rbp is saved; page faults are taken inside it, and malloc is called from
# it.  At the default fault period and at period 1: same stdout and status
# as natively; fault samples taken in the generated code have no callers;
# the stacks of the mallocs it makes end at its frame.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
prog=$(require_prog jit_frames)
[ "$(uname -m)" = x86_64 ] || skip "the generated code is x86_64's"
CAPTURE_TIMEOUT=60

for period in "" 1; do
    label=${period:-default}
    FAULTPROF_FAULT_PERIOD=$period compare_runs "faults$label" "$prog" faults 3000 ||
        die "faults, fault period $label: the program changed under the shim"
    # fault samples whose ip is in the generated code's mapping: "N M", N of
    # them without callers, M with
    counts=$("$REPORT" --dump --no-symbols "$TRACE" | perl -ne '
        $code = hex($1) if /^MMAP .* prot=0x7 .* result=0x([0-9a-f]+)/;
        next unless $code && /^FAULT .* ip=0x([0-9a-f]+) stack=(\d+)/;
        my ($ip, $st) = (hex($1), $2);
        next unless $ip >= $code && $ip < $code + 4096;
        $st ? $with++ : $without++;
        END { print $without + 0, " ", $with + 0, "\n" }')
    in_code=${counts% *} bad=${counts#* }
    [ $((in_code + bad)) -gt 0 ] || die "faults, period $label: no fault sample in the generated code"
    assert_eq "$bad" 0 "faults, period $label: samples in generated code with callers"
    echo "faults, period $label: $in_code samples in the generated code, none with callers"

    FAULTPROF_FAULT_PERIOD=$period compare_runs "malloc$label" "$prog" malloc 3000 ||
        die "malloc, fault period $label: the program changed under the shim"
    # one_malloc's stacks: one_malloc, then the generated frame, nothing more
    stacks=$("$REPORT" --dump "$TRACE" | awk '/^STACK / { s = $0; getline; if ($0 ~ / one_malloc /) print s }')
    [ -n "$stacks" ] || die "malloc, period $label: no stack of one_malloc"
    deeper=$(grep -vc " n=2$" <<<"$stacks" || true)
    assert_eq "$deeper" 0 "malloc, period $label: one_malloc stacks that go past the generated frame"
done
echo "generated code: walks stop at its frames, the program runs as natively"
