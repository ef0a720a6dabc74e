#!/bin/bash
# cargo-faultprof: `cargo faultprof`, faultprof for a cargo project.  Builds
# the target in a "faultprof" profile (the release profile plus line tables
# and function names, debug = "limited", defined through
# CARGO_PROFILE_FAULTPROF_* variables, so the user's Cargo.toml is not
# edited and target/release is not rebuilt), runs it
# under faultprof and prints the first screen of its report and the trace's
# path.  --diff REV builds REV too (in a git worktree) and diffs the two;
# --diff-bins BASE NEW records two binaries and diffs them.
#
# It is a script: all it does is run cargo, git, faultprof and
# faultprof-report one after another, and say which file is which.
set -euo pipefail

me=cargo-faultprof
usage() {
    cat <<'EOF'
usage: cargo faultprof [TARGET] [BUILD OPTIONS] [-- ARGS...]
       cargo faultprof --diff REV [TARGET] [BUILD OPTIONS] [GATES] [-- ARGS...]
       cargo faultprof --diff-bins BASE NEW [GATES] [-- ARGS...]

Builds TARGET with the release profile plus line-level debug info, runs it
with ARGS under faultprof, prints the first screen of the report and the
trace's path; exits with the program's status.

  TARGET: --bin NAME | --example NAME | --test NAME | --bench NAME
          (default: the package's only binary)
  BUILD OPTIONS, passed to cargo build:
      -p, --package SPEC   --features FEATURES   --all-features
      --no-default-features   --manifest-path PATH   --offline   --locked
      -q, --quiet   -v, --verbose
  --diff REV          also build REV (a git worktree of it), record both and
                      print their diff (faultprof-report --diff REV-side NEW)
  --diff-bins BASE NEW  record two built binaries with ARGS and diff them
  GATES, passed to faultprof-report with --diff (exit 1 when one fails):
      --fail-on EXPR (repeatable)   --junit FILE
  -o, --output-dir DIR  where the traces go (default: the current directory)
  -h, --help          this text
EOF
}
die() {
    echo "$me: $*" >&2
    exit 2
}

# ---- options
[ "${1:-}" = faultprof ] && shift     # cargo runs us as `cargo-faultprof faultprof ...`
target=() build=() gates=() args=() diff_rev="" diff_bins=() outdir=.
while [ $# -gt 0 ]; do
    case $1 in
    --bin|--example|--test|--bench)
        [ $# -ge 2 ] || die "$1 wants a name"
        [ ${#target[@]} -eq 0 ] || die "one target at a time ($1 after ${target[0]})"
        target=("$1" "$2"); shift 2 ;;
    -p|--package|--features|--manifest-path)
        [ $# -ge 2 ] || die "$1 wants a value"
        build+=("$1" "$2"); shift 2 ;;
    --all-features|--no-default-features|--offline|--locked|--frozen|-q|--quiet|-v|--verbose)
        build+=("$1"); shift ;;
    --diff)
        [ $# -ge 2 ] || die "--diff wants a revision"
        diff_rev=$2; shift 2 ;;
    --diff-bins)
        [ $# -ge 3 ] || die "--diff-bins wants two binaries: BASE NEW"
        diff_bins=("$2" "$3"); shift 3 ;;
    --fail-on|--junit)
        [ $# -ge 2 ] || die "$1 wants a value"
        gates+=("$1" "$2"); shift 2 ;;
    -o|--output-dir)
        [ $# -ge 2 ] || die "$1 wants a directory"
        outdir=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; args=("$@"); break ;;
    *) echo "$me: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[ -z "$diff_rev" ] || [ ${#diff_bins[@]} -eq 0 ] || die "--diff and --diff-bins: one or the other"
[ ${#gates[@]} -eq 0 ] || [ -n "$diff_rev" ] || [ ${#diff_bins[@]} -gt 0 ] ||
    die "--fail-on and --junit go with --diff or --diff-bins"
[ -d "$outdir" ] || die "$outdir: not a directory"

# ---- the tools: next to this script (an install, the build tree), else PATH
self_dir=$(dirname "$(readlink -f "$0")")
tool() {
    if [ -x "$self_dir/$1" ]; then
        printf '%s\n' "$self_dir/$1"
    else
        command -v "$1" || die "$1 not found (next to $0 or on PATH)"
    fi
}
FAULTPROF=${FAULTPROF:-$(tool faultprof)}
REPORT=${FAULTPROF_REPORT:-$(tool faultprof-report)}
CARGO=${CARGO:-cargo}      # cargo sets CARGO to itself for its subcommands
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cargo-faultprof.XXXXXX")
worktree=""
cleanup() {
    if [ -n "$worktree" ]; then
        git -C "$repo" worktree remove --force "$worktree" >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# screen_lines: the terminal's height, else 40
screen_lines() {
    local n=""
    [ -t 1 ] && n=$(tput lines 2>/dev/null || true)
    case $n in ''|*[!0-9]*) n=40 ;; esac
    echo $((n > 10 ? n - 4 : n))
}

# build [cargo build options...]: builds the target in the faultprof
# profile; prints the executable's path.  debug = "limited", not
# "line-tables-only": the latter's DWARF has no linkage names, so functions
# lose their crate paths ("alloc" for alloc::alloc::alloc) and the report
# can't fold the allocator's frames; "limited" costs 0.3% more binary here.
build() {
    local json=$tmp/build.json exes
    CARGO_PROFILE_FAULTPROF_INHERITS=release \
        CARGO_PROFILE_FAULTPROF_DEBUG=limited \
        CARGO_PROFILE_FAULTPROF_STRIP=none \
        "$CARGO" build --profile faultprof --message-format=json-render-diagnostics \
        "${target[@]}" "${build[@]}" "$@" >"$json" || die "cargo build failed"
    # compiler-artifact messages of the target's kind (an integration test
    # builds the package's binaries too) and name: "executable":"/path"
    local kind=bin name=""
    [ ${#target[@]} -eq 0 ] || kind=${target[0]#--} name=${target[1]}
    mapfile -t exes < <(grep '"reason":"compiler-artifact"' "$json" |
        grep -F "\"kind\":[\"$kind\"]" | grep -F "\"name\":\"$name" |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
    case ${#exes[@]} in
    0) die "cargo built no executable${target:+ for ${target[*]}}" ;;
    1) printf '%s\n' "${exes[0]}" ;;
    *) die "several executables ($(for e in "${exes[@]}"; do printf "%s " "${e##*/}"; done | sed "s/ $//")); choose one with --bin NAME (or --example, --test, --bench)" ;;
    esac
}

# record TAG EXE: runs EXE with ARGS under faultprof; sets status and traces
record() {
    local name=${2##*/} run=()
    case ${target[0]:-} in
    --test) name=${name%-*} ;;           # cargo's hash suffix
    --bench) name=${name%-*}; run=(--bench) ;;   # run as cargo bench runs it
    esac
    local template="$outdir/faultprof.$name$1.$$-%p.gz"
    status=0
    "$FAULTPROF" -q -o "$template" "$2" "${run[@]}" "${args[@]}" || status=$?
    mapfile -t traces < <(ls -tr "$outdir/faultprof.$name$1.$$-"*.gz 2>/dev/null || true)
    [ ${#traces[@]} -gt 0 ] || die "faultprof wrote no trace for $2 (exit status $status)"
}

# first_screen CMD...: runs faultprof-report CMD into a file, prints its
# first screen; returns its exit status
first_screen() {
    local rc=0
    "$REPORT" -o "$tmp/report.txt" "$@" || rc=$?
    head -n "$(screen_lines)" "$tmp/report.txt"
    [ "$(wc -l <"$tmp/report.txt")" -le "$(screen_lines)" ] || echo "..."
    return $rc
}

quote() {
    printf '%q ' "$@"
}

# ---- one program
if [ -z "$diff_rev" ] && [ ${#diff_bins[@]} -eq 0 ]; then
    exe=$(build)
    record "" "$exe"
    prog_status=$status
    first_screen "${traces[@]}" || true
    echo "$me: trace: ${traces[*]}" >&2
    echo "$me: whole report: faultprof-report $(quote "${traces[@]}")" >&2
    exit "$prog_status"
fi

# ---- a diff: the base side, then the new one
if [ -n "$diff_rev" ]; then
    manifest_dir=$PWD
    for ((i = 0; i < ${#build[@]}; i++)); do
        [ "${build[i]}" = --manifest-path ] && manifest_dir=$(cd "$(dirname "${build[i + 1]}")" && pwd)
    done
    repo=$(git -C "$manifest_dir" rev-parse --show-toplevel 2>/dev/null) ||
        die "--diff wants a git repository ($manifest_dir is not in one)"
    rel=${manifest_dir#"$repo"}
    git -C "$repo" rev-parse --verify --quiet "$diff_rev^{commit}" >/dev/null ||
        die "--diff $diff_rev: not a revision of $repo"
    worktree=$tmp/base
    git -C "$repo" worktree add --detach --quiet "$worktree" "$diff_rev" ||
        die "cannot check out $diff_rev"
    new_exe=$(build)
    # the same target, from REV's sources, into a target directory of its own
    saved=("${build[@]}") build=()
    for ((i = 0; i < ${#saved[@]}; i++)); do
        if [ "${saved[i]}" = --manifest-path ]; then
            i=$((i + 1))
        else
            build+=("${saved[i]}")
        fi
    done
    build+=(--manifest-path "$worktree$rel/Cargo.toml")
    base_exe=$(CARGO_TARGET_DIR=$tmp/target build)
    base_label=$diff_rev
else
    base_exe=${diff_bins[0]} new_exe=${diff_bins[1]}
    for e in "$base_exe" "$new_exe"; do
        [ -x "$e" ] || die "$e: not an executable"
    done
    base_label=$base_exe
fi
record .base "$base_exe"
base_traces=("${traces[@]}") base_status=$status
record .new "$new_exe"
new_traces=("${traces[@]}") new_status=$status
for s in "$base_status" "$new_status"; do
    [ "$s" = 0 ] || echo "$me: warning: a program exited with status $s" >&2
done
[ ${#base_traces[@]} -eq 1 ] && [ ${#new_traces[@]} -eq 1 ] ||
    die "a side wrote several traces (${base_traces[*]} / ${new_traces[*]}); diff two of them with faultprof-report --diff"
rc=0
first_screen --diff "${base_traces[0]}" "${new_traces[0]}" "${gates[@]}" || rc=$?
echo "$me: base ($base_label): ${base_traces[0]}" >&2
echo "$me: new: ${new_traces[0]}" >&2
echo "$me: whole diff: faultprof-report --diff $(quote "${base_traces[0]}" "${new_traces[0]}")" >&2
exit "$rc"
