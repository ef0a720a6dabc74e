#!/bin/bash
# The compatibility matrix, JVM rows (tests/compat/lib.sh says how a row
# runs): `java -version`, and a small class whose 4-thread pool allocates
# (tests/compat/java/CompatPool.java, compiled natively first).  The JVM
# asks every new thread for its stack bounds (os::current_stack_base) first
# thing; libjvm.so has a symbol table, so its own functions are named.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/compat/lib.sh
. "$(dirname "$0")/../compat/lib.sh"

java=$(command -v java || true)
javac=$(command -v javac || true)
if [ -z "$java" ]; then
    compat_skip java-version "no java on PATH (openjdk-17-jdk-headless)"
    compat_skip java-pool "no java on PATH (openjdk-17-jdk-headless)"
    compat_done
fi
echo "java: $(readlink -f "$java"), $("$java" -version 2>&1 | head -n 1)"

# libjvm.so's own functions (C++: os::malloc, Arena::grow, ...)
jvm='^libjvm\.so [A-Za-z_][A-Za-z0-9_]*::'

# -version writes to stderr: compared too
ROW_STDERR=1 compat_row java-version "$jvm" "$java" -version

if [ -z "$javac" ]; then
    compat_skip java-pool "no javac on PATH (openjdk-17-jdk-headless)"
else
    "$javac" -d "$TMPDIR/classes" "$COMPAT_DIR/java/CompatPool.java" ||
        die "javac cannot compile tests/compat/java/CompatPool.java"
    compat_row java-pool "$jvm" "$java" -Xmx256m -cp "$TMPDIR/classes" CompatPool
fi

compat_done
