#!/bin/sh
# run_fuzz.sh SRC_DIR BUILD_DIR SECONDS: build the fuzzer with clang++ and run it
# for a bounded time on a copy of the seed corpus. Exit 0 when clang++ (or its
# fuzzer runtime) is missing: the CTest test is marked SKIP via its output.
set -e
src="$1"; build="$2"; secs="$3"
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then echo "SKIP: clang++ not found"; exit 0; fi
if ! cmake -S "$src/worker/models/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
     -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1; then
  echo "SKIP: cannot configure the fuzz build (see $build.configure.log)"; exit 0
fi
if ! cmake --build "$build" -j2 > "$build.build.log" 2>&1; then
  if grep -q "fuzzer" "$build.build.log" && grep -qi "cannot find\|No such file" "$build.build.log"; then
    echo "SKIP: clang's libFuzzer runtime is not installed"; exit 0
  fi
  cat "$build.build.log"; exit 1
fi
rm -rf "$build/corpus" && mkdir -p "$build/corpus" && cp "$src/worker/models/fuzz/corpus/"* "$build/corpus/"
exec "$build/safetensors_fuzz" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$build/corpus"
