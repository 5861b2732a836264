# tests/http.cmake: the coordinator's HTTP front end end to end: the real
# ablate-coordinator binary with --http-listen, a test worker, every JSON API
# route, /metrics checked by `promtool check metrics`, the gRPC health service
# (client stub from the vendored standard health.proto), and the live dashboard
# in headless Chromium driven over DevTools (tests/dashboard_cdp.py).
if(TARGET ablate-coordinator AND TARGET ablate_e2e_cluster)
  pkg_check_modules(CPPHTTPLIB_TEST REQUIRED IMPORTED_TARGET cpp-httplib)
  ablate_test(NAME e2e_http_test
    SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_http_test.cc
    LIBS ablate_e2e_cluster ablate_health_proto ablate_auth PkgConfig::CPPHTTPLIB_TEST nlohmann_json::nlohmann_json
    LABELS http
    TIMEOUT 180)
  add_dependencies(e2e_http_test ablate-coordinator ablate-test-worker)
endif()
