# tests/docker.cmake: the Dockerfile's runtime stage installs every shared
# library the built binaries load (ldd + dpkg file lists + apt-cache), no
# Docker daemon needed.
if(TARGET ablate AND TARGET ablate-coordinator AND TARGET ablate-worker)
  add_test(NAME docker_runtime_deps_test
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/docker/runtime_deps_test.sh
            ${CMAKE_SOURCE_DIR}/deploy/docker/Dockerfile
            $<TARGET_FILE:ablate> $<TARGET_FILE:ablate-coordinator> $<TARGET_FILE:ablate-worker>)
  set_tests_properties(docker_runtime_deps_test PROPERTIES TIMEOUT 180 LABELS "deploy"
    SKIP_RETURN_CODE 77)
endif()
