#!/usr/bin/env bash
# check-format.sh [BASE]: checks that the C++ lines changed since BASE (a
# commit; default: the merge-base with main) follow .clang-format, including
# uncommitted changes. Only changed lines are checked: most of the tree predates
# .clang-format, and a tree-wide reformat would collide with every branch in
# flight. Exit 1 listing the fix when a changed line is not formatted.
#
#   scripts/check-format.sh            # before committing on a branch
#   scripts/check-format.sh HEAD~3     # the last three commits and the work tree
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-$(git merge-base HEAD main 2>/dev/null || git rev-parse HEAD)}
cfd=$(command -v clang-format-diff || command -v clang-format-diff-14 || true)
if [ -z "$cfd" ]; then
  echo "check-format: clang-format-diff not found (scripts/setup.sh installs clang-format)" >&2
  exit 2
fi
out=$(git diff -U0 --no-color "$base" -- '*.cc' '*.h' | "$cfd" -p1 || true)
if [ -n "$out" ]; then
  printf '%s\n' "$out"
  echo "check-format: the lines above (changed since $base) are not formatted; fix them with" >&2
  echo "  git diff -U0 $base -- '*.cc' '*.h' | $cfd -p1 -i" >&2
  exit 1
fi
echo "check-format: the C++ lines changed since $base are formatted"
