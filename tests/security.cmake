# tests/security.cmake: the coordinator's security over real TLS (certificates
# made with the openssl CLI at test time): tokens, roles, tenants, worker
# identity, quotas, audit, SIGHUP reload with the real binaries; and the
# Python client (python3-grpcio, stubs generated from proto/ at test time).
if(TARGET ablate-coordinator)
  ablate_test(NAME security_test
    SRCS ${CMAKE_CURRENT_SOURCE_DIR}/security_test.cc
    LIBS ablate_coordinator ablate_auth_grpc ablate_grpc_proto ablate_subprocess
    LABELS security
    TIMEOUT 120)
  add_dependencies(security_test ablate-coordinator ablate-test-worker)
  if(TARGET ablate)
    add_dependencies(security_test ablate)  # ablate token new / audit / status with TLS + token
  endif()

  # Debian's python3 (where python3-grpcio / python3-grpc-tools install), not
  # another python3 that may come first on PATH.
  find_program(ABLATE_SYSTEM_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(ABLATE_SYSTEM_PYTHON3)
    add_test(NAME security_python_client_test
      COMMAND ${ABLATE_SYSTEM_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/python/security_client_test.py
        --coordinator $<TARGET_FILE:ablate-coordinator>
        --proto-dir ${CMAKE_SOURCE_DIR}/proto
        --model ${CMAKE_SOURCE_DIR}/spec/testdata/qwen2.5-0.5b)
    # 77: a dependency (python3-grpcio / grpc-tools / openssl) is missing.
    set_tests_properties(security_python_client_test PROPERTIES
      TIMEOUT 120 LABELS "security;python" SKIP_RETURN_CODE 77)
  endif()
endif()
