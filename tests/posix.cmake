# gilfree-posix: the pool, the fd I/O helpers, the process hygiene and the results end to end.
gf_cunit_test(test_io test_io.c)

gf_cunit_test(test_pool test_pool.c)
target_link_libraries(test_pool PRIVATE gf_posix)
# The worker pipes' frame format: round trip, the PIPE_BUF bound, torn frames.
gf_cunit_test(test_frame test_frame.c)
target_link_libraries(test_frame PRIVATE gf_posix)

add_test(NAME test_pool_spawn COMMAND test_pool spawn)
set_tests_properties(test_pool_spawn PROPERTIES PROCESSORS 1 LABELS unit TIMEOUT 120)

# Orphans, zombies, fds, crashes, pool recovery, SIGINT/SIGTERM and fork failure, from outside.
add_test(NAME posix_proc
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/posix_proc.py
                 $<TARGET_FILE:${GF_BACKEND_posix_BINARY}>)
set_tests_properties(posix_proc PROPERTIES PROCESSORS 2 LABELS e2e TIMEOUT 300)

# Results equal to independent values, every workload, 1 to 7 workers, both start methods.
gf_e2e_test(e2e_posix_fork ${GF_BACKEND_posix_BINARY} posix --workers 1,2,3,4,7 --classes S,W
            --extra "--start fork" --bad-extra "sum --start exec" --bad-extra "resize --chunksize 0"
            --bad-extra "primes --chunksize 2" --bad-extra "sum --task-timeout 1")
gf_e2e_test(e2e_posix_spawn ${GF_BACKEND_posix_BINARY} posix --workers 1,2,3,4,7 --classes S,W
            --extra "--start spawn" --only results)

# Closed standard streams, /dev/full, a stalled worker with --timeout, --task-timeout and stop
# signals while a worker is stopped, from outside.
add_test(NAME posix_stall
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/posix_stall.py
                 $<TARGET_FILE:${GF_BACKEND_posix_BINARY}>)
set_tests_properties(posix_stall PROPERTIES PROCESSORS 2 LABELS e2e TIMEOUT 600)

gf_disturb_test(posix ${GF_BACKEND_posix_BINARY})

# On one core no speedup above 1.15 goes unmarked, and no parallel time is below its work.
gf_one_core_test(posix ${GF_BACKEND_posix_BINARY})
