#!/usr/bin/env bash
# install_test.sh BUILD_DIR: `cmake --install` into a fresh prefix, then checks
# the documented layout and that every installed binary runs (`--help`) from
# there, with nothing of the build tree on PATH.
set -euo pipefail
build="$1"
prefix="$(mktemp -d "${TMPDIR:-/tmp}/ablate-install.XXXXXX")"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1 || { cat "$prefix.log"; exit 1; }
rm -f "$prefix.log"
fail=0
for f in bin/ablate bin/ablate-coordinator bin/ablate-worker; do
  [[ -x "$prefix/$f" ]] || { echo "missing executable $f"; fail=1; }
done
for f in share/ablate/examples/demo.yaml share/ablate/examples/models \
         share/ablate/docs/deployment.md share/ablate/docs/README.md \
         share/ablate/deploy/slurm/ablate-sweep.sbatch share/ablate/deploy/k8s/kustomization.yaml \
         share/ablate/deploy/systemd/ablate-coordinator.service share/ablate/deploy/docker/Dockerfile; do
  [[ -e "$prefix/$f" ]] || { echo "missing $f"; fail=1; }
done
((fail == 0)) || exit 1
for b in ablate ablate-coordinator ablate-worker; do
  out="$(env -i PATH=/usr/bin:/bin HOME=/tmp "$prefix/bin/$b" --help 2>&1)" || {
    echo "$b --help failed:"; echo "$out"; exit 1; }
  grep -qi "usage" <<<"$out" || { echo "$b --help printed no usage:"; echo "$out"; exit 1; }
done
# The sbatch script must be runnable from the installed tree (bash syntax).
bash -n "$prefix/share/ablate/deploy/slurm/ablate-sweep.sbatch"
echo "install layout OK under $prefix"
