#!/bin/bash
# Run by realworld_programs.sh with and without the shim: git init, two
# commits with fixed dates (so the hashes are the same every run), then
# what a user would look at.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export GIT_AUTHOR_NAME=Torture GIT_AUTHOR_EMAIL=t@example.org \
    GIT_COMMITTER_NAME=Torture GIT_COMMITTER_EMAIL=t@example.org \
    GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z' \
    GIT_CONFIG_NOSYSTEM=1 HOME=$dir
git init -q -b main .
seq 1 2000 >numbers
printf 'hello\n' >hello
git add numbers hello
git commit -q -m "first commit"
seq 1000 3000 >numbers
git commit -q -a -m "second: more numbers"
git log --format='%H %s'
git diff --stat HEAD~1 HEAD
git cat-file -p 'HEAD^{tree}'
