# fuzz_toolchain.sh: sourced by the run_fuzz.sh scripts (tests/fuzz,
# worker/models/fuzz). fuzz_toolchain DIR sets $cxx to a clang++ that can
# build and link a libFuzzer + ASan target, or prints "SKIP: ..." and exits 0
# when there is none. Only a missing toolchain skips: once this probe passes,
# a configure or build failure of the real targets is a test failure.
fuzz_toolchain() {
  cxx=$(command -v clang++ || command -v clang++-14 || true)
  if [ -z "$cxx" ]; then echo "SKIP: clang++ not found"; exit 0; fi
  probe="$1.probe"
  rm -rf "$probe" && mkdir -p "$probe"
  printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
    'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' > "$probe/probe.cc"
  if ! "$cxx" -fsanitize=fuzzer,address "$probe/probe.cc" -o "$probe/probe" > "$probe/log" 2>&1; then
    echo "SKIP: $cxx cannot link -fsanitize=fuzzer,address (libFuzzer/ASan runtime not installed; see $probe/log)"
    exit 0
  fi
}
