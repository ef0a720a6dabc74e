#!/bin/bash
# compile_run.sh OUT COMPILER ARGS...: runs the compiler (which writes the
# program OUT), then OUT: a compiler row of the compatibility matrix
# compares what the compiled program prints, since compilers print nothing.
set -eu
out=$1
shift
rm -f "$out"
"$@"
exec "$out"
