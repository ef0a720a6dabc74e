#!/bin/bash
# The settings table (include/faultprof/settings.h) is the one definition of
# the FAULTPROF_* settings: every row appears in man/faultprof.1 and in
# `faultprof --help` with the same range and default, the launcher takes
# each number up to its maximum and the library takes that value without a
# warning, and a value out of range is refused by both with the same words.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_shim
require_launcher
root=$(cd "$(dirname "$0")/../.." && pwd)
man=$root/man/faultprof.1
command -v "${CC:-cc}" >/dev/null || skip "no C compiler to read the table with"

# the rows, one a line: variable option kind min max default
"${CC:-cc}" -I"$root/include" -o "$TMPDIR/rows" -x c - <<'C' || die "cannot compile the table"
#include <stdio.h>
#include "faultprof/settings.h"
static const struct fp_setting rows[] = { FP_SETTINGS(FP_SETTING_ROW) };
int main(void)
{
    static const char *const kinds[] = { "number", "switch", "text" };
    for (int i = 0; i < FP_SETTINGS_COUNT; i++)
        printf("%s %s %s %llu %llu %llu\n", rows[i].var, rows[i].option, kinds[rows[i].kind],
               rows[i].min, rows[i].max, rows[i].def);
    return 0;
}
C
"$TMPDIR/rows" >"$TMPDIR/rows.txt"
[ "$(wc -l <"$TMPDIR/rows.txt")" -ge 9 ] || die "the table has fewer rows than expected"

help=$("$LAUNCHER" --help)
# help_of OPTION: the option's lines of --help, joined
help_of() {
    printf '%s\n' "$help" | awk -v opt="--$1" '
        /^  -|^      -/ { on = 0 }
        /^  -|^      -/ && (index($0, opt " ") || substr($0, length($0) - length(opt) + 1) == opt) { on = 1 }
        on { sub(/^ +/, ""); printf "%s ", $0 }' | tr -s ' '
}
# man_of OPTION: the option's paragraph of the man page (source), joined
man_of() {
    local esc=${1//-/\\-}
    awk -v opt="\\-\\-$esc" '
        /^\.TP/ { on = 0 }
        /^\.B/ && index($0, opt) { on = 1 }
        on { printf "%s ", $0 }' "$man" | tr -s ' '
}

while read -r var opt kind min max def; do
    h=$(help_of "$opt")
    [ -n "$h" ] || die "--$opt is not in faultprof --help"
    m=$(man_of "$opt")
    [ -n "$m" ] || die "--$opt is not in $man"
    assert_contains "$h" "$var" "--help for --$opt"
    assert_contains "$m" "$var" "the man page's --$opt"
    grep -q "^\.B $var\b" "$man" || die "$var is not in the man page's ENVIRONMENT"
    [ "$kind" = number ] || continue
    assert_contains "$h" "$min to $max, default $def" "--help for --$opt"
    assert_contains "$m" "$min to $max" "the man page's --$opt"
    assert_contains "$m" "Default $def" "the man page's --$opt"

    # the maximum: taken by the launcher and by the library without a word
    run_launcher -q -o "$TMPDIR/max.%p.gz" "--$opt" "$max" true
    assert_eq "$rc" 0 "launcher --$opt $max"
    assert_not_contains "$err" "ignoring" "stderr of --$opt $max"
    # out of range, by the launcher and by the library
    for bad in $((max + 1)) $([ "$min" -gt 0 ] && echo $((min - 1))); do
        words="expected a whole number from $min to $max"
        run_launcher -q -o "$TMPDIR/bad.%p.gz" "--$opt" "$bad" true
        assert_eq "$rc" 2 "launcher --$opt $bad"
        assert_contains "$err" "faultprof: --$opt: $words, got '$bad'" "launcher --$opt $bad"
        shim_err=$(env "$var=$bad" LD_PRELOAD="$SHIM" FAULTPROF_OUTPUT="$TMPDIR/bad.%p.gz" \
            true 2>&1 >/dev/null)
        assert_eq "$shim_err" "faultprof: ignoring $var=$bad: $words; using the default" \
            "the library's warning for $var=$bad"
    done
done <"$TMPDIR/rows.txt"

# one version (include/faultprof/version.h): both programs and every man page
ver=$(sed -n 's/^#define FAULTPROF_VERSION "\(.*\)"/\1/p' "$root/include/faultprof/version.h")
[ -n "$ver" ] || die "no FAULTPROF_VERSION in include/faultprof/version.h"
assert_contains "$(timeout 10 "$BUILD/faultprof" --version)" "faultprof $ver " "faultprof --version"
assert_contains "$(timeout 10 "$BUILD/faultprof-report" --version)" "faultprof-report $ver " \
    "faultprof-report --version"
for page in "$root"/man/*.[15]; do
    grep -q "^\.TH .* \"faultprof $ver\"" "$page" || die "$page's .TH does not say faultprof $ver"
done
