# gilfree-posix: the pool, the fd I/O helpers, the process hygiene and the results end to end.
gf_cunit_test(test_io test_io.c)

gf_cunit_test(test_pool test_pool.c)
target_link_libraries(test_pool PRIVATE gf_posix)
add_test(NAME test_pool_spawn COMMAND test_pool spawn)
set_tests_properties(test_pool_spawn PROPERTIES PROCESSORS 1 LABELS unit TIMEOUT 120)
