# shared/: the kernels, the option parser, the statistics and the report.
gf_cunit_test(test_kernels test_kernels.c)
gf_cunit_test(test_stats test_stats.c)
gf_cunit_test(test_options test_options.c)
gf_cunit_test(test_optable test_optable.c)
gf_cunit_test(test_report test_report.c)
# The physical limits on a record's figures, and a planted impossible one marked.
gf_cunit_test(test_limits test_limits.c)
# The disturbance mark, /proc/stat, the record's new parts and --bind's choice of CPU.
gf_cunit_test(test_disturb test_disturb.c)

# The kernels' work grows with their size under gcc and clang at -O2 and -O3 (callgrind).
add_test(NAME no_fold_check
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/no_fold_check.sh ${PROJECT_SOURCE_DIR} gcc clang)
set_tests_properties(no_fold_check PROPERTIES PROCESSORS 1 LABELS unit TIMEOUT 300)
