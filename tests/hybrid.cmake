# gilfree-hybrid end to end: ranks of threads through mpiexec, in GF_MPI_ENV and under the
# mpiexec lock (gf_mpi_tests). No binding of a rank to one core: a rank's team needs cores.
gf_backend_launcher(hybrid GF_HYBRID_LAUNCHER) # --bind-to none: cmake/gf_registry.cmake

# Splits 1x2, 2x2, 3x2 (ranks x threads) and 2x1, both schedules of primes (static is the
# default: sum and resize refuse --schedule), classes S and W: results equal to independent
# values, worker w = rank x T + thread.
gf_e2e_test(e2e_hybrid_t2 gilfree-hybrid hybrid --only results --workers 1,2,3 --threads 2
            --classes S,W --launcher ${GF_HYBRID_LAUNCHER})
gf_e2e_test(e2e_hybrid_t1 gilfree-hybrid hybrid --only results --workers 2 --threads 1
            --classes S,W --launcher ${GF_HYBRID_LAUNCHER})
gf_e2e_test(e2e_hybrid_dynamic gilfree-hybrid hybrid --only results --workers 2,3 --threads 2
            --classes S,W --workloads primes --launcher ${GF_HYBRID_LAUNCHER}
            --extra "--schedule dynamic")
# Bad input of its own (--threads), on 2 ranks: exit 2 and one line. The common options go
# through the parser and program of ranks that e2e_mpi and mpi_bad_input try already.
gf_e2e_test(e2e_hybrid_bad gilfree-hybrid hybrid --only bad --launcher ${GF_HYBRID_LAUNCHER}
            --bad-extra-only --bad-extra "sum --schedule random"
            --bad-extra "sum --threads 0" --bad-extra "sum --threads -2"
            --bad-extra "sum --threads two" --bad-extra "sum --threads 1025"
            --bad-extra "sum --threads"
            --bad-extra "sum --workers 3 --threads 2")
set_tests_properties(e2e_hybrid_t2 e2e_hybrid_t1 e2e_hybrid_dynamic e2e_hybrid_bad
                     PROPERTIES TIMEOUT 400 LABELS "e2e;mpi")
gf_mpi_tests(e2e_hybrid_t2 e2e_hybrid_t1 e2e_hybrid_dynamic e2e_hybrid_bad)

# The thread level: asked for, and refused when the library grants less.
gf_cunit_test(test_mpi_level test_mpi_level.c)
target_link_libraries(test_mpi_level PRIVATE gf_mpi)

# On one core (4 ranks of one thread) no speedup above 1.15 goes unmarked, and no parallel
# time is below its work: the ranks' one time base reaches the teams too.
gf_one_core_test(hybrid gilfree-hybrid --launcher ${GF_HYBRID_LAUNCHER})
set_tests_properties(one_core_hybrid PROPERTIES LABELS "e2e;mpi")
gf_mpi_tests(one_core_hybrid)
