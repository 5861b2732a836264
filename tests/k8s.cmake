# tests/k8s.cmake: deploy/k8s rendered with `kubectl kustomize` and checked
# (references defined, probes on served ports, security settings).
ablate_test(NAME k8s_manifest_test
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/k8s_manifest_test.cc
  LIBS yaml-cpp absl::strings
  LABELS deploy
  TIMEOUT 60)
