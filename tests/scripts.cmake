# scripts/: the comparison (compare.py) and the Python baseline (py_baseline.py): a small
# matrix end to end, planted mismatches, bad arguments, the Python workloads' results, the
# bounds, the report sections and --experiments. MPI runs need the root and oversubscription
# settings.
foreach(part matrix mismatch bad python units experiments)
  add_test(NAME scripts_${part}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/scripts_test.py
                   --build ${CMAKE_BINARY_DIR} --only ${part})
  set_tests_properties(scripts_${part} PROPERTIES PROCESSORS 2 LABELS scripts TIMEOUT 300
                       ENVIRONMENT "${GF_MPI_ENV}")
endforeach()
# The runs that start mpiexec share its lock (see mpi.cmake).
set_tests_properties(scripts_matrix scripts_experiments PROPERTIES RESOURCE_LOCK mpiexec)
