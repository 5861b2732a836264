# bench/models.cmake: model zoo throughput (a table-printing program, not run in CI).
#   build-x/bench/models_bench [--quick | --scans | --config config.json | --checkpoint DIR]
if(NOT ABLATE_WITH_TORCH OR NOT TARGET ablate_models)
  return()
endif()
add_executable(models_bench ${CMAKE_CURRENT_SOURCE_DIR}/models_bench.cc ${CMAKE_CURRENT_SOURCE_DIR}/roofline.cc)
target_link_libraries(models_bench PRIVATE ablate_models)
