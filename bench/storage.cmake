# bench/storage.cmake: the job database at dashboard scale (table-printing CLI; not run in CI).
#   build/bench/storage_bench --results 1000000     # group-bys, QueryResults pages, insert cost
#   build/bench/storage_bench --results 10000000 --dir /var/tmp
add_executable(storage_bench ${CMAKE_CURRENT_SOURCE_DIR}/storage_bench.cc)
target_link_libraries(storage_bench PRIVATE ablate_storage absl::strings)
