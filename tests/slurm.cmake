# tests/slurm.cmake: real single-node Slurm (label `slurm`). slurm_up installs
# and starts slurmctld + slurmd (fixture setup), slurm_down stops them; each
# scenario submits worker arrays with `ablate workers launch --slurm`.
# Skipped (return code 77, with the reason) where slurmd cannot run here.
if(TARGET ablate AND TARGET ablate-coordinator AND TARGET ablate-test-worker)
  set(ABLATE_SLURM_STATE ${CMAKE_BINARY_DIR}/slurm-test)
  add_test(NAME slurm_up COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_up.sh ${ABLATE_SLURM_STATE})
  set_tests_properties(slurm_up PROPERTIES FIXTURES_SETUP slurm LABELS slurm TIMEOUT 400
    RESOURCE_LOCK slurm)
  add_test(NAME slurm_down COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_down.sh ${ABLATE_SLURM_STATE})
  set_tests_properties(slurm_down PROPERTIES FIXTURES_CLEANUP slurm LABELS slurm TIMEOUT 60
    RESOURCE_LOCK slurm)
  foreach(case array scancel timelimit requeue autoscale onealloc)
    add_test(NAME slurm_${case}_test
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_test.sh ${ABLATE_SLURM_STATE}
              ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} ${case})
    set_tests_properties(slurm_${case}_test PROPERTIES FIXTURES_REQUIRED slurm LABELS slurm
      TIMEOUT 240 SKIP_RETURN_CODE 77 RESOURCE_LOCK slurm)
  endforeach()
endif()
