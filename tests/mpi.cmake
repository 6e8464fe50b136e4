# gilfree-mpi end to end, every run through mpiexec, in the environment GF_MPI_ENV
# (tests/CMakeLists.txt: root, oversubscription to 7 ranks on 2 cores, idle ranks yielding)
# and under the mpiexec lock, both given by gf_mpi_tests.
gf_backend_launcher(mpi GF_MPI_LAUNCHER)

# Results equal to independent values, every workload, 1 to 7 ranks, classes S and W; primes
# with --schedule's default, static (sum and resize refuse --schedule: they always scatter).
gf_e2e_test(e2e_mpi_static gilfree-mpi mpi --only results --workers 1,2,3,4,7 --classes S,W
            --launcher ${GF_MPI_LAUNCHER})
# --schedule chooses between two distributions of primes only.
gf_e2e_test(e2e_mpi_dynamic gilfree-mpi mpi --only results --workers 1,2,3,4,7 --classes S,W
            --workloads primes --launcher ${GF_MPI_LAUNCHER} --extra "--schedule dynamic")
set_tests_properties(e2e_mpi_static e2e_mpi_dynamic PROPERTIES TIMEOUT 300 LABELS "e2e;mpi")

# Bad input: exit 2 and one line from rank 0 on every world size, never a hang. mpirun's own
# banner for a non-zero exit is switched off, so the line count is the program's.
add_test(NAME mpi_bad_input
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/mpi_bad.py
                 --binary $<TARGET_FILE:gilfree-mpi> --launcher ${GF_MPI_LAUNCHER})
set_tests_properties(mpi_bad_input PROPERTIES PROCESSORS 2 LABELS "e2e;mpi" TIMEOUT 300
                     ENVIRONMENT OMPI_MCA_orte_execute_quiet=1)

# The report: per-rank busy time, the phases, MPI_Init's cost.
add_test(NAME mpi_report
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/mpi_report.py
                 --binary $<TARGET_FILE:gilfree-mpi> --launcher ${GF_MPI_LAUNCHER})
set_tests_properties(mpi_report PROPERTIES PROCESSORS 2 LABELS "e2e;mpi" TIMEOUT 120)

# --timeout with a rank stopped (SIGSTOP) in every workload, rank 0 stopped, mpirun
# interrupted with SIGINT and SIGTERM, closed standard streams: each job ends, with one line
# of gilfree's naming what was outstanding, and leaves no process behind.
add_test(NAME mpi_timeout
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/mpi_timeout.py
                 --binary $<TARGET_FILE:gilfree-mpi> --launcher ${GF_MPI_LAUNCHER})
set_tests_properties(mpi_timeout PROPERTIES PROCESSORS 2 LABELS "e2e;mpi" TIMEOUT 400)

# mpirun interrupted on a loaded machine: the ranks other than 0 wait for mpirun's SIGKILL,
# so that their exit cannot cut short the pause in which rank 0 says its last line.
add_test(NAME mpi_interrupt_loaded
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/mpi_timeout.py
                 --binary $<TARGET_FILE:gilfree-mpi> --launcher ${GF_MPI_LAUNCHER}
                 --only linger,loaded --runs 3)
set_tests_properties(mpi_interrupt_loaded PROPERTIES PROCESSORS 2 LABELS "e2e;mpi;slow"
                     TIMEOUT 300)

# The disturbance mark, --bind (a rank's local rank) and the placement gathered on rank 0.
gf_disturb_test(mpi gilfree-mpi --launcher ${GF_MPI_LAUNCHER})

gf_mpi_tests(e2e_mpi_static e2e_mpi_dynamic mpi_bad_input mpi_report mpi_timeout mpi_interrupt_loaded
             disturb_mpi)

# On one core (4 ranks, no binding) no speedup above 1.15 goes unmarked, and no parallel time
# is below its work: the ranks' one time base.
gf_one_core_test(mpi gilfree-mpi --launcher "${GF_MPI_LAUNCHER} --bind-to none")
set_tests_properties(one_core_mpi PROPERTIES LABELS "e2e;mpi")
gf_mpi_tests(one_core_mpi)
