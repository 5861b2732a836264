#!/usr/bin/env bash
# Configures and builds ablate into ./build (Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${ABLATE_JOBS:-$(nproc)}"
# ccache: hash paths relative to the checkout so fresh clones (CI) reuse the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build build -j "$JOBS"
