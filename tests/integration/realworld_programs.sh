#!/bin/bash
# Real programs nobody here wrote, with and without the shim: python3, perl,
# git, sqlite3, gcc, sort, gzip.  Byte-identical stdout, the same status,
# and every process traced has a readable trace with allocations in it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/torture/lib.sh
. "$TESTS/torture/lib.sh"
require_shim
require_report
CAPTURE_TIMEOUT=120
ran=0

# check NAME CMD...: compare_runs, then every trace is readable and the
# processes together allocated something
check() {
    local name=$1
    compare_runs "$@" || die "$name: the traced run differs"
    [ "${#TRACES[@]}" -ge 1 ] || die "$name: no trace written"
    readable "${TRACES[@]}"
    report_json "${TRACES[@]}" || die "$name: report failed: $(cat "$REPORT_JSON.err")"
    local allocs
    allocs=$(summary allocations)
    [ "$allocs" -gt 0 ] || die "$name: no allocations in the trace"
    echo "$name: ${#TRACES[@]} trace(s), $allocs allocations, $(wc -c <"$TRACED_OUT") bytes of output"
    ran=$((ran + 1))
}

have() {
    [ -x "$1" ] || { echo "no $1: not tested"; return 1; }
}

# python3: the absolute path, as python3 on PATH may be a pyenv shell script
if have /usr/bin/python3; then
    check python3 /usr/bin/python3 -c '
import hashlib, json, threading
d = {str(i): [i] * (i % 7) for i in range(20000)}
s = json.dumps(d, sort_keys=True)
out = []
def work(k):
    out.append((k, hashlib.sha256((s * k).encode()).hexdigest()))
ts = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
[t.start() for t in ts]
[t.join() for t in ts]
print(len(s), sorted(out))'
fi

if have /usr/bin/perl; then
    # shellcheck disable=SC2016 # perl's variables
    check perl /usr/bin/perl -e '
my %h; $h{$_} = $_ x 3 for 1 .. 50000;
my @k = sort { $a <=> $b } keys %h;
print scalar(@k), " ", join(",", @k[0 .. 9]), " ", length(join("", values %h)), "\n";
my $s = ""; $s .= chr(65 + $_ % 26) for 1 .. 100000; print length($s), " ", substr($s, 500, 20), "\n";'
fi

if have /usr/bin/git; then
    check git bash "$TORTURE/realworld_git.sh"
fi

if have /usr/bin/sqlite3; then
    check sqlite3 /usr/bin/sqlite3 :memory: '
create table t(id integer primary key, v text, n integer);
with recursive c(i) as (select 1 union all select i + 1 from c where i < 20000)
insert into t(v, n) select printf("row%05d", i), i % 97 from c;
create index tn on t(n);
select count(*), sum(n), min(v), max(v) from t;
select n, count(*) from t where n < 5 group by n order by n;'
fi

if have /usr/bin/gcc; then
    check gcc bash "$TORTURE/realworld_gcc.sh"
fi

if have /usr/bin/sort; then
    # a deterministic shuffle of 200000 lines; -S 1M and 2 threads make sort
    # use temporary files and a second thread
    /usr/bin/perl -e 'srand(42); my @a = (1 .. 200000);
        for (my $i = $#a; $i > 0; $i--) { my $j = int rand($i + 1); @a[$i, $j] = @a[$j, $i] }
        print "$_\n" for @a' >"$TMPDIR/lines"
    check sort /usr/bin/sort -n -S 1M --parallel=2 -T "$TMPDIR" "$TMPDIR/lines"
fi

if have /usr/bin/gzip; then
    # compress, decompress: the round trip and the compressed bytes
    # shellcheck disable=SC2016 # expanded by the inner bash
    check gzip bash -c 'gzip -9 -n -c "$1" | tee "$1.gz" | gzip -dc | md5sum; md5sum <"$1.gz"' \
        gzip "$TMPDIR/lines"
fi

[ "$ran" -gt 0 ] || skip "none of the programs is installed"
torture_done
