#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: the demo sweep through
# the embedded coordinator and a local worker, then prints the results table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/cli/ablate run examples/demo.yaml "$@"
