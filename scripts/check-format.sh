#!/usr/bin/env bash
# check-format.sh [--all | BASE]: checks C++ against .clang-format.
#   --all  every tracked .cc/.h file (what CI runs: the CTest `format`);
#   BASE   only the lines changed since BASE (a commit; default: the merge-base
#          with main), uncommitted changes included: quick, before a commit.
# Exit 1 listing the offending files or lines and the command that fixes them;
# exit 2 when clang-format is not installed (scripts/setup.sh installs it).
#
#   scripts/check-format.sh --all
#   scripts/check-format.sh HEAD~3     # the last three commits and the work tree
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--all" ]; then
  cf=$(command -v clang-format || command -v clang-format-14 || true)
  [ -n "$cf" ] || { echo "check-format: clang-format not found (scripts/setup.sh installs it)" >&2; exit 2; }
  # One clang-format for all files; it names each file it would change.
  out=$(git ls-files -z '*.cc' '*.h' | xargs -0 "$cf" --dry-run -Werror 2>&1 || true)
  bad=$(printf '%s\n' "$out" | sed -n -E 's/^([^:]+):[0-9]+:[0-9]+: error:.*/\1/p' | sort -u)
  if [ -n "$bad" ] || printf '%s' "$out" | grep -q .; then
    printf '%s\n' "${bad:-$out}"
    echo "check-format: the files above are not formatted; fix them with" >&2
    echo "  $cf -i FILE..." >&2
    exit 1
  fi
  echo "check-format: every tracked C++ file is formatted"
  exit 0
fi
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
