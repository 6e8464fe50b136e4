# gilfree-omp end to end: every workload with 1, 2, 4 and 7 threads at classes S and W.
gf_e2e_test(e2e_omp ${GF_BACKEND_omp_BINARY} omp --workers 1,2,4,7 --classes S,W)

# OMP_NUM_THREADS is honoured when --workers is absent, and a bad value is refused.
add_test(NAME omp_env_workers
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/omp_env.py
                 $<TARGET_FILE:${GF_BACKEND_omp_BINARY}>)
set_tests_properties(omp_env_workers PROPERTIES PROCESSORS 2 LABELS e2e TIMEOUT 120)

# An OMP_* setting libgomp cannot use, and a team that cannot start under a process or memory
# limit: one line of gilfree's each (exit 2, exit 1), none of libgomp's.
add_test(NAME omp_limits
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/omp_limits.py
                 $<TARGET_FILE:${GF_BACKEND_omp_BINARY}>)
set_tests_properties(omp_limits PROPERTIES PROCESSORS 2 LABELS e2e TIMEOUT 120)

gf_disturb_test(omp ${GF_BACKEND_omp_BINARY})

# On one core no speedup above 1.15 goes unmarked, and no parallel time is below its work.
gf_one_core_test(omp ${GF_BACKEND_omp_BINARY})
# The span's remarks: a short team and a failed pin both in the notes, once per run.
gf_cunit_test(test_span test_span.c)
target_link_libraries(test_span PRIVATE gf_omp)
