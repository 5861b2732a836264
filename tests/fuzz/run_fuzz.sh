#!/bin/sh
# run_fuzz.sh build SRC_DIR BUILD_DIR
#   Configures and builds the parser fuzz targets with clang++ (tests/fuzz/).
#   Exits 0 printing "SKIP: ..." only when clang++ or its libFuzzer runtime is
#   missing (fuzz_toolchain.sh probes them); a configure or build failure fails.
# run_fuzz.sh run BUILD_DIR TARGET CORPUS_SEED_DIR LIMIT
#   Runs TARGET on a copy of the seeds. LIMIT is "Ns" (seconds, for CTest) or a
#   number of executions (the long run: 1000000). Exits non-zero on a crash,
#   a leak, an out-of-memory (-rss_limit_mb=2048) or a slow input (-timeout=60: generous, so a loaded CI machine does not report a stall as a hang).
set -e
mode="$1"
if [ "$mode" = build ]; then
  src="$2"; build="$3"
  . "$src/tests/fuzz/fuzz_toolchain.sh"
  fuzz_toolchain "$build"
  if ! cmake -S "$src/tests/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
       -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1; then
    cat "$build.configure.log"; echo "FAIL: cannot configure the fuzz build"; exit 1
  fi
  if ! cmake --build "$build" -j2 > "$build.build.log" 2>&1; then
    cat "$build.build.log"; echo "FAIL: the fuzz build failed"; exit 1
  fi
  echo "built $(ls "$build" | grep _fuzz | tr '\n' ' ')"
  exit 0
fi
build="$2"; target="$3"; seeds="$4"; limit="$5"
if [ ! -x "$build/$target" ]; then echo "SKIP: $build/$target was not built (see the fuzz_build test)"; exit 0; fi
work="$build/corpus-$target"
rm -rf "$work" && mkdir -p "$work" && cp "$seeds"/* "$work/"
case "$limit" in
  *s) bound="-max_total_time=${limit%s}" ;;
  *) bound="-runs=$limit" ;;
esac
exec "$build/$target" $bound -rss_limit_mb=2048 -timeout=60 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$build/" "$work"
