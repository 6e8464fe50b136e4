# The micro-benchmarks (bench subcommand, scripts/py_bench.py): every experiment at a tiny
# size, records checked for shape and for their checked quantities; never a time.
# The shared harness: options, sizes, output, helpers.
gf_cunit_test(test_bench test_bench.c)

function(gf_bench_test name backend)
  add_test(NAME ${name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/bench_check.py
                   --backend ${backend} ${ARGN})
  set_tests_properties(${name} PROPERTIES PROCESSORS 2 LABELS bench TIMEOUT 180)
endfunction()

if(TARGET gilfree-omp)
  gf_bench_test(bench_omp omp --binary $<TARGET_FILE:gilfree-omp>)
endif()
if(TARGET gilfree-posix AND EXISTS ${PROJECT_SOURCE_DIR}/posix/bench.c)
  gf_bench_test(bench_posix posix --binary $<TARGET_FILE:gilfree-posix>)
endif()
if(TARGET gilfree-mpi AND EXISTS ${PROJECT_SOURCE_DIR}/mpi/bench.c)
  gf_bench_test(bench_mpi mpi --binary $<TARGET_FILE:gilfree-mpi>
                --launcher "${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2"
                --single "${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 1")
  # with the time from mpiexec to MPI_Init done, which only a script outside can see
  gf_bench_test(bench_python python --binary ${PROJECT_SOURCE_DIR}/scripts/py_bench.py
                --mpi $<TARGET_FILE:gilfree-mpi>)
  gf_mpi_tests(bench_mpi bench_python)
else()
  gf_bench_test(bench_python python --binary ${PROJECT_SOURCE_DIR}/scripts/py_bench.py)
endif()

# The report's five sections and plots from a quick run of everything built.
add_test(NAME bench_report
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/bench_check.py
                 --report ${PROJECT_SOURCE_DIR}/scripts/bench_report.py ${CMAKE_BINARY_DIR})
set_tests_properties(bench_report PROPERTIES PROCESSORS 2 LABELS bench TIMEOUT 300)
gf_mpi_tests(bench_report)
