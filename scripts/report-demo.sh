#!/usr/bin/env bash
# Reproduces docs/images/report-demo.png: the demo study (examples/demo.yaml)
# through `ablate run`, its report through `ablate report`, and the top of the
# report photographed by headless Chromium (the same flags as the browser
# test, tests/testing/headless_chromium.cc). Needs a build (scripts/build.sh)
# and the Debian package chromium. Output: ./report-demo/ (DB, report.html,
# figures/*.png, report-demo.png).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-report-demo}"
mkdir -p "$out"
build/cli/ablate run examples/demo.yaml --db "$out/demo.db" --workers 2 --no-progress > "$out/run.txt"
build/cli/ablate report 1 --db "$out/demo.db" -o "$out/report.html" --png "$out/figures"
profile="$(mktemp -d)"
sandbox=()
[ "$(id -u)" -eq 0 ] && sandbox=(--no-sandbox)
timeout 120 chromium --headless --disable-gpu --hide-scrollbars "${sandbox[@]}" --user-data-dir="$profile" \
  --window-size=1000,3300 --screenshot="$PWD/$out/report-demo.png" "file://$PWD/$out/report.html" > /dev/null 2>&1
rm -rf "$profile"
echo "wrote $out/report.html, $out/figures/ and $out/report-demo.png"
