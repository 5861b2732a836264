#!/usr/bin/env bash
# Trains the three reference models shipped under examples/models/ (Qwen2-style
# transformer, Qwen3.5-style hybrid, Falcon-H1-style parallel hybrid) on the
# Debian fortune corpus, one after the other, and writes the held-out sample
# examples/data/fortunes-heldout.txt used by examples/demo.yaml.
#
#   scripts/setup.sh                          # installs fortunes + gnuplot-nox
#   scripts/train-reference-models.sh         # builds `ablate`, trains all three
#   scripts/train-reference-models.sh qwen2   # only the models whose name matches
#
# Everything is deterministic for a given LibTorch build and thread count (the
# configs pin threads: 1): same corpus sha256 -> same tokenizer, weights and
# losses. Each model takes about 10 minutes on 2 CPU cores. BUILD_DIR selects
# the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
FILTER=${1:-}

[ -d /usr/share/games/fortunes ] || { echo "fortunes is not installed: run scripts/setup.sh" >&2; exit 1; }
if [ ! -x "$BUILD_DIR/cli/ablate" ] || [ "${REBUILD:-1}" = 1 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja >/dev/null
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target ablate
fi
ABLATE="$BUILD_DIR/cli/ablate"

provenance="Debian packages $(dpkg-query -W -f='${Package} ${Version}' fortunes), $(dpkg-query -W -f='${Package} ${Version}' fortunes-min)"
mkdir -p examples/data
for name in qwen2-fortunes qwen3_5-fortunes falcon_h1-fortunes; do
  [[ -z "$FILTER" || "$name" == *"$FILTER"* ]] || continue
  echo "=== $name ($(date -u +%H:%M:%S) UTC)" >&2
  "$ABLATE" train --config "examples/train/$name.yaml" \
    --heldout-sample examples/data/fortunes-heldout.txt \
    --corpus-provenance "$provenance"
done
