#!/bin/bash
# The compatibility matrix, interpreter rows (tests/compat/lib.sh says how a
# row runs): Node.js with worker_threads, Python 3 with threads and numpy,
# Ruby with 4 threads, Perl with ithreads.  Each interpreter exports its
# functions, so the report names them (Perl_*, rb_*, _Py*, node::/v8::).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/compat/lib.sh
. "$(dirname "$0")/../compat/lib.sh"

if node=$(command -v node) || node=$(command -v nodejs); then
    echo "node: $node $("$node" --version)"
    compat_row node '^node (node|v8|uv_|std::)' "$node" "$COMPAT_DIR/workers.js"
else
    compat_skip node "no node on PATH (nodejs)"
fi

# the absolute path: python3 on PATH may be a pyenv shim, without numpy
if [ ! -x /usr/bin/python3 ]; then
    compat_skip python3 "no /usr/bin/python3"
elif ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    compat_skip python3 "/usr/bin/python3 has no numpy (python3-numpy)"
else
    echo "python3: $(/usr/bin/python3 --version), numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"
    # the interpreter's functions; numpy's extension is stripped of all but
    # PyInit_*, so only its module is asked for: its allocations are its own
    compat_row python3 '^python3\S* _?Py && ^_multiarray_umath\S* ' \
        /usr/bin/python3 "$COMPAT_DIR/numpy_threads.py"
fi

if ruby=$(command -v ruby); then
    echo "ruby: $ruby, $("$ruby" --version)"
    compat_row ruby '^libruby\S* (rb_|ruby_)' "$ruby" "$COMPAT_DIR/threads.rb"
else
    compat_skip ruby "no ruby on PATH (ruby)"
fi

if [ -x /usr/bin/perl ]; then
    echo "perl: $(/usr/bin/perl -e 'print "$^V, ithreads: ", ($^O, eval { require Config; $Config::Config{useithreads} } ? "yes" : "no")[1]')"
    compat_row perl '^\S+ Perl_' /usr/bin/perl "$COMPAT_DIR/threads.pl"
else
    compat_skip perl "no /usr/bin/perl"
fi

compat_done
