# tests/install.cmake: `cmake --install` into a temp prefix (layout + the
# installed binaries run).
if(TARGET ablate AND TARGET ablate-coordinator AND TARGET ablate-worker)
  add_test(NAME install_layout_test
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/install_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(install_layout_test PROPERTIES TIMEOUT 120 LABELS "install;deploy")
endif()
