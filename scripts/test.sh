#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest + GoogleTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "${ABLATE_TEST_JOBS:-2}" --timeout 900
