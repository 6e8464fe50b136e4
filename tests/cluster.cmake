# gilfree-mpi across the hosts of a virtual cluster of network namespaces
# (scripts/vcluster.py): the workloads' results on 2 and 3 hosts against one host's, TCP
# between the hosts, nothing left behind on any way out, and compare.py's --vcluster and
# --hostfile with the report's section Across hosts; and one time base across hosts (clock: no
# scatter reads less than the one-way ping-pong). They need root and network
# namespaces; where either is missing they say why and count as skipped, not passed.
if(TARGET ${GF_BACKEND_mpi_BINARY}) # cmake/gf_registry.cmake
  foreach(part results leftovers compare clock)
    add_test(NAME cluster_${part}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cluster_check.py
                     --binary $<TARGET_FILE:gilfree-mpi> --only ${part})
    set_tests_properties(cluster_${part} PROPERTIES PROCESSORS 2 LABELS "e2e;cluster"
                         TIMEOUT 600 SKIP_RETURN_CODE 77)
  endforeach()
  # Root and oversubscription for Open MPI, and the mpiexec lock (tests/CMakeLists.txt): the
  # hosts' daemons share /tmp with every other job's. The transports are the cluster's own
  # (given on mpirun's command line, which outranks GF_MPI_ENV's).
  gf_mpi_tests(cluster_results cluster_leftovers cluster_compare cluster_clock)
endif()

# Slurm on a 2-host virtual cluster (tests/slurm_check.py): srun --mpi=pmix and the shipped
# batch script (sbatch --wait, compare.py --slurm inside its allocation) running gilfree-mpi
# and gilfree-hybrid across both hosts; nothing left after SIGTERM. They need root and Slurm
# (slurm-wlm, munge); where either is missing they say why and count as skipped. The hosts'
# /tmp is each slurmd's own, so they need no mpiexec lock.
if(TARGET gilfree-mpi AND TARGET gilfree-hybrid)
  foreach(part srun leftovers)
    add_test(NAME cluster_slurm_${part}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/slurm_check.py
                     --build ${CMAKE_BINARY_DIR} --only ${part})
    set_tests_properties(cluster_slurm_${part} PROPERTIES PROCESSORS 2 TIMEOUT 600
                         SKIP_RETURN_CODE 77 ENVIRONMENT "${GF_MPI_ENV}")
  endforeach()
  set_tests_properties(cluster_slurm_srun PROPERTIES LABELS "e2e;cluster;slow")
  set_tests_properties(cluster_slurm_leftovers PROPERTIES LABELS "e2e;cluster")
endif()
# A cluster whose owner was killed (SIGKILL) is removed by the next cluster command, which says
# so; down under another TMPDIR removes the folder or fails. Root only (else skipped).
add_test(NAME cluster_stale
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/slurm_check.py
                 --build ${CMAKE_BINARY_DIR} --only stale)
set_tests_properties(cluster_stale PROPERTIES PROCESSORS 2 LABELS "cluster" TIMEOUT 300
                     SKIP_RETURN_CODE 77)
