# gilfree-mpi-sim on simulated clusters (tests/sim_check.py): results identical to
# gilfree-omp's on 16 and 64 simulated ranks, phases inside their runs, 64 ranks faster than 16
# on 4096 equal images, the same simulation twice within 1%, the simulated build's limit
# (4096 taken, 16385 refused) beside the real one's (1025 refused) and a bad cost weight,
# compare.py's --simulate end to end and its bad arguments, and nothing left in the temporary
# folder. Only where the build made gilfree-mpi-sim (SimGrid installed)
# beside gilfree-omp (the reference) and gilfree-mpi (the ping-pong, the measured runs).
if(GF_SIM_BINARY AND TARGET ${GF_BACKEND_omp_BINARY} AND TARGET ${GF_BACKEND_mpi_BINARY})
  foreach(part results scaling determinism limits bad compare)
    add_test(NAME sim_${part}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/sim_check.py
                     --build ${CMAKE_BINARY_DIR} --only ${part})
    set_tests_properties(sim_${part} PROPERTIES PROCESSORS 2 LABELS "e2e;sim" TIMEOUT 300
                         SKIP_RETURN_CODE 77)
  endforeach()
  # The calibration and the validation start mpiexec (the ping-pong, the measured runs); bad
  # arguments start nothing.
  gf_mpi_tests(sim_results sim_scaling sim_determinism sim_limits sim_compare)
endif()
