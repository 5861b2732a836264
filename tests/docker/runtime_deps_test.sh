#!/usr/bin/env bash
# runtime_deps_test.sh DOCKERFILE BINARY...: without a Docker daemon, checks
# that the runtime stage of the Dockerfile installs every shared library the
# binaries load: ldd lists the libraries, dpkg -S names the Debian package
# owning each, and each such package must be in the runtime stage's
# `apt-get install` list or a (Depends/Pre-Depends) dependency of one, as
# `apt-cache depends --recurse` resolves it. OpenBLAS must be listed by name.
set -euo pipefail
dockerfile="$1"; shift
for tool in ldd dpkg-query apt-cache; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found (not a Debian system)"; exit 77; }
done

# Package names of the runtime stage's apt-get install (continuation lines joined).
listed="$(awk '/^FROM .* AS runtime/ {r=1; next} /^FROM / {r=0} r' "$dockerfile" |
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep 'apt-get install' |
  sed 's/.*apt-get install//; s/&&.*//' | tr ' ' '\n' | grep -v '^-' | grep -v '^$' | sort -u)"
[[ -n "$listed" ]] || { echo "FAIL: no apt-get install in the runtime stage of $dockerfile"; exit 1; }
grep -qx libopenblas0-pthread <<<"$listed" || { echo "FAIL: libopenblas0-pthread not in the runtime list"; exit 1; }

# Libraries the binaries load, as real paths; dpkg knows /lib and /usr/lib spellings (usrmerge).
mapfile -t libs < <(for b in "$@"; do ldd "$b"; done | awk '/=>/ && $3 ~ /^\// {print $3}' | sort -u)
missing_lib="$(for b in "$@"; do ldd "$b"; done | grep 'not found' || true)"
[[ -z "$missing_lib" ]] || { echo "FAIL: unresolved libraries on this machine:"; echo "$missing_lib"; exit 1; }
# dpkg's file lists, searched once for every spelling of every path
# (dpkg-query -S per library would take minutes).
declare -A owner=()
mapfile -t reals < <(readlink -f "${libs[@]}")
cands=()
for i in "${!libs[@]}"; do
  for c in "${libs[$i]}" "${reals[$i]}"; do
    cands+=("$c" "${c/#\/usr\/lib\//\/lib\/}" "${c/#\/lib\//\/usr\/lib\/}")
  done
done
while IFS= read -r line; do
  list="${line%%.list:*}"
  pkg="${list##*/}"
  owner["${line#*.list:}"]="${pkg%%:*}"
done < <(printf '%s\n' "${cands[@]}" | sort -u | grep -F -x -H -f - /var/lib/dpkg/info/*.list || true)
needed=()
for i in "${!libs[@]}"; do
  lib="${libs[$i]}"
  pkg=""
  for c in "$lib" "${reals[$i]}"; do
    for cand in "$c" "${c/#\/usr\/lib\//\/lib\/}" "${c/#\/lib\//\/usr\/lib\/}"; do
      [[ -n "${owner[$cand]:-}" ]] && { pkg="${owner[$cand]%%:*}"; break 2; }
    done
  done
  [[ -n "$pkg" ]] || { echo "FAIL: no Debian package owns $lib"; exit 1; }
  needed+=("$pkg")
done
mapfile -t needed < <(printf '%s\n' "${needed[@]}" | sort -u)

# Everything the listed packages bring along.
closure="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $listed 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)"
mapfile -t absent < <(printf '%s\n' "${needed[@]}" | grep -F -x -v -f <(echo "$closure") || true)
if ((${#absent[@]})); then
  echo "FAIL: the runtime stage does not install: ${absent[*]}"
  exit 1
fi
echo "runtime stage covers ${#needed[@]} packages (${#libs[@]} libraries) of: $*"
