# --reps auto on every built binary: the repetitions stop by the rule of shared/gf_driver.c,
# with gilfree-mpi's ranks following rank 0, and every interval in a record is the one
# scripts/gilfree/stats.py computes from the record's samples.
set(gf_reps_auto_args)
gf_backend_binaries(gf_reps_auto_binaries) # cmake/gf_registry.cmake
foreach(binary IN LISTS gf_reps_auto_binaries)
  list(APPEND gf_reps_auto_args --binary ${binary}=$<TARGET_FILE:${binary}>)
endforeach()
if(MPIEXEC_EXECUTABLE)
  list(APPEND gf_reps_auto_args --mpiexec=${MPIEXEC_EXECUTABLE} --np-flag=${MPIEXEC_NUMPROC_FLAG})
endif()
if(gf_reps_auto_args)
  add_test(NAME reps_auto
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/reps_auto.py
                   ${gf_reps_auto_args})
  set_tests_properties(reps_auto PROPERTIES PROCESSORS 2 LABELS e2e TIMEOUT 600)
  gf_mpi_tests(reps_auto)
endif()
