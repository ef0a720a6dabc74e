#!/bin/bash
# The compatibility matrix, C++ compiler rows (tests/compat/lib.sh says how a
# row runs): g++ and clang++ compiling tests/compat/regex.cpp, which uses
# <regex> (among the heaviest standard headers), at -O0, then running it.
# The heaviest rows of the matrix (a few seconds natively, 4-6x traced),
# hence a file of their own under tests/run.sh's per-test timeout.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/compat/lib.sh
. "$(dirname "$0")/../compat/lib.sh"

if gxx=$(command -v g++); then
    echo "g++: $("$gxx" --version | head -n 1)"
    # cc1plus exports its functions (for plugins)
    ROW_SITES_FROM='cc1plus.*' compat_row g++ '^cc1plus [^?]' \
        "$COMPAT_DIR/compile_run.sh" "$TMPDIR/compat_gxx" \
        "$gxx" -std=c++17 -O0 -o "$TMPDIR/compat_gxx" "$COMPAT_DIR/regex.cpp"
else
    compat_skip g++ "no g++ on PATH (g++)"
fi

if clangxx=$(command -v clang++); then
    echo "clang++: $("$clangxx" --version | head -n 1)"
    # clang's code is in libclang-cpp and libLLVM, which export it
    ROW_SITES_FROM='clang*' compat_row clang++ '^lib(clang-cpp|LLVM)\S* (clang|llvm)::' \
        "$COMPAT_DIR/compile_run.sh" "$TMPDIR/compat_clangxx" \
        "$clangxx" -std=c++17 -O0 -o "$TMPDIR/compat_clangxx" "$COMPAT_DIR/regex.cpp"
else
    compat_skip clang++ "no clang++ on PATH (clang)"
fi

compat_done
