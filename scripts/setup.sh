#!/usr/bin/env bash
# Installs the Debian 12 packages ablate needs (idempotent: skips what is present).
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libsqlite3-dev sqlite3
  libtorch-dev
  libyaml-cpp-dev nlohmann-json3-dev libpcre2-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libutf8proc-dev libssl-dev
  fortunes gnuplot-nox
  libopenblas0-pthread  # libtorch-dev links libblas.so.3: OpenBLAS instead of netlib (~25x faster matmul)
  clang libclang-rt-14-dev  # the safetensors parser's libFuzzer target (a bounded run in CTest)
  clang-format  # scripts/check-format.sh (changed lines follow .clang-format)
  openssl python3-grpcio python3-grpc-tools  # security tests: certificates at test time; a Python client from proto/
  libcpp-httplib-dev  # the coordinator's HTTP front end (dashboard, JSON API, /metrics, /healthz)
  libgoogle-perftools-dev  # tcmalloc for ablate-coordinator (~10-20% less CPU per job than glibc malloc)
  prometheus  # tests: `promtool check metrics` validates the /metrics exposition
  chromium python3-websocket  # headless browser: `ablate report --png`, the report's and the live dashboard's browser tests
  slurmctld slurmd slurm-client munge  # the `slurm` CTest label: a real single-node Slurm 22.05
  kubernetes-client  # kubectl kustomize: renders and checks deploy/k8s (k8s_manifest_test)
)
missing=()
for p in "${PKGS[@]}"; do
  # Another kubectl (e.g. Google Cloud's `kubectl` package) conflicts with kubernetes-client.
  [ "$p" = kubernetes-client ] && command -v kubectl >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PKGS[@]} packages present"
fi
