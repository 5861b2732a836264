#!/bin/sh
# run_fuzz.sh SRC_DIR BUILD_DIR SECONDS: build the fuzzer with clang++ and run it
# for a bounded time on a copy of the seed corpus. Exit 0 printing "SKIP: ..."
# only when clang++ or its fuzzer runtime is missing (tests/fuzz/fuzz_toolchain.sh
# probes them; CTest marks the test skipped via its output); a configure or
# build failure fails the test.
set -e
src="$1"; build="$2"; secs="$3"
. "$src/tests/fuzz/fuzz_toolchain.sh"
fuzz_toolchain "$build"
if ! cmake -S "$src/worker/models/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
     -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1; then
  cat "$build.configure.log"; echo "FAIL: cannot configure the fuzz build"; exit 1
fi
if ! cmake --build "$build" -j2 > "$build.build.log" 2>&1; then
  cat "$build.build.log"; echo "FAIL: the fuzz build failed"; exit 1
fi
rm -rf "$build/corpus" && mkdir -p "$build/corpus" && cp "$src/worker/models/fuzz/corpus/"* "$build/corpus/"
exec "$build/safetensors_fuzz" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$build/corpus"
