# gilfree-mpi across the hosts of a virtual cluster of network namespaces
# (scripts/vcluster.py): the workloads' results on 2 and 3 hosts against one host's, TCP
# between the hosts, nothing left behind on any way out, and compare.py's --vcluster and
# --hostfile with the report's section Across hosts. They need root and network
# namespaces; where either is missing they say why and count as skipped, not passed.
if(TARGET ${GF_BACKEND_mpi_BINARY}) # cmake/gf_registry.cmake
  foreach(part results leftovers compare)
    add_test(NAME cluster_${part}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cluster_check.py
                     --binary $<TARGET_FILE:gilfree-mpi> --only ${part})
    set_tests_properties(cluster_${part} PROPERTIES PROCESSORS 2 LABELS "e2e;cluster"
                         TIMEOUT 600 SKIP_RETURN_CODE 77)
  endforeach()
  # Root and oversubscription for Open MPI, and the mpiexec lock (tests/CMakeLists.txt): the
  # hosts' daemons share /tmp with every other job's. The transports are the cluster's own
  # (given on mpirun's command line, which outranks GF_MPI_ENV's).
  gf_mpi_tests(cluster_results cluster_leftovers cluster_compare)
endif()
