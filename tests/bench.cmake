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

# Every backend built that the registry (cmake/gf_registry.cmake) gives experiments is tried
# on all of them; the registry has the build fail when one of their files is missing.
foreach(backend IN LISTS GF_REGISTRY)
  set(binary ${GF_BACKEND_${backend}_BINARY})
  if(NOT TARGET ${binary} OR NOT GF_BACKEND_${backend}_EXPERIMENTS)
    continue()
  endif()
  set(launch)
  if(GF_BACKEND_${backend}_LAUNCH STREQUAL "mpi")
    gf_backend_launcher(${backend} two RANKS 2)
    gf_backend_launcher(${backend} one RANKS 1)
    set(launch --launcher "${two}" --single "${one}")
  endif()
  gf_bench_test(bench_${backend} ${backend} --binary $<TARGET_FILE:${binary}> ${launch})
  if(launch)
    gf_mpi_tests(bench_${backend})
  endif()
endforeach()
if(TARGET ${GF_BACKEND_mpi_BINARY})
  # with the time from mpiexec to MPI_Init done, which only a script outside can see
  gf_bench_test(bench_python python --binary ${PROJECT_SOURCE_DIR}/scripts/py_bench.py
                --mpi $<TARGET_FILE:${GF_BACKEND_mpi_BINARY}>)
  gf_mpi_tests(bench_python)
else()
  gf_bench_test(bench_python python --binary ${PROJECT_SOURCE_DIR}/scripts/py_bench.py)
endif()

# The report's five sections and plots from a quick run of everything built.
add_test(NAME bench_report
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/bench_check.py
                 --report ${PROJECT_SOURCE_DIR}/scripts/bench_report.py ${CMAKE_BINARY_DIR})
set_tests_properties(bench_report PROPERTIES PROCESSORS 2 LABELS bench TIMEOUT 300)
gf_mpi_tests(bench_report)
