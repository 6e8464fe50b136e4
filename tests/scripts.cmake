# scripts/: the comparison (compare.py) and the Python baseline (py_baseline.py): a small
# matrix end to end, planted mismatches, bad arguments, the Python workloads' results, the
# bounds, the report sections and --experiments; and how the scripts fail and stop: standard
# output that cannot be written, stop signals, --timeout, output folders that cannot be made;
# --order's rounds, each run's cost and its re-runs.
foreach(part matrix mismatch bad python units experiments stdout signals timeout outdir
             order)
  add_test(NAME scripts_${part}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/scripts_test.py
                   --build ${CMAKE_BINARY_DIR} --only ${part})
  set_tests_properties(scripts_${part} PROPERTIES PROCESSORS 2 LABELS scripts TIMEOUT 300)
endforeach()
# Only the matrix and --experiments run gilfree-mpi, through mpirun; mismatch runs gilfree-omp
# and reads records, bad and outdir are refused before anything runs (or only print), python,
# units, stdout and order run no MPI binary, and signals and timeout run gilfree-posix and Python.
gf_mpi_tests(scripts_matrix scripts_experiments)
# The scripts' own modules, without running anything: the statistics, the launchers' command
# lines, the backend registry and the size classes, checked against gilfree-omp --help, the
# grain sweep's rescaling rules and report section on records made in the test, the report's
# notes on the IPC ping-pongs, the re-run rule and the merging of an interleaved run's rounds
# on records made in the test, the splits of ranks of threads and their bounds, the
# virtual cluster's rates, hostfiles and names before anything is built, and the simulated
# clusters' platforms, placements, rank lists, stopping points and validation pairs; the
# rows physics rules out (implausible) and the unstable ones, what a run found, the time left
# and main.sh's default plan against --full (their --dry-run only).
foreach(part stats launch backends grain ipc rounds splits cluster sim findings)
  add_test(NAME scripts_unit_${part}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_${part}.py)
  set_tests_properties(scripts_unit_${part} PROPERTIES PROCESSORS 1 LABELS "scripts;unit"
                       TIMEOUT 60)
endforeach()
if(TARGET ${GF_BACKEND_omp_BINARY}) # cmake/gf_registry.cmake
  set_property(TEST scripts_unit_backends PROPERTY ENVIRONMENT
               GF_HELP_BINARY=$<TARGET_FILE:gilfree-omp>)
endif()
# `cmake --install` into a scratch prefix: the binaries and scripts there, and the installed
# compare.py running the installed binaries (gilfree-mpi through mpirun) without --build.
add_test(NAME scripts_install
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/install_check.py
                 --build ${CMAKE_BINARY_DIR})
set_tests_properties(scripts_install PROPERTIES PROCESSORS 2 LABELS scripts TIMEOUT 300)
gf_mpi_tests(scripts_install)
# Faults found from outside, second round (docs/failures.md): one part a case. across runs
# gilfree-mpi through a one-host hostfile, reason through mpirun; baseline needs root for its
# process-limit case (it says so and skips that case otherwise).
if(TARGET gilfree-mpi)
  add_executable(test_exit test_exit.c)
  target_link_libraries(test_exit PRIVATE PkgConfig::CUNIT)
  foreach(part across records inputs reason baseline platform counting)
    add_test(NAME outside_${part}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/outside_check.py
                     --build ${CMAKE_BINARY_DIR} --only ${part}
                     --test-exit $<TARGET_FILE:test_exit>)
    set_tests_properties(outside_${part} PROPERTIES PROCESSORS 2 LABELS "scripts;outside"
                         TIMEOUT 300 SKIP_RETURN_CODE 77)
  endforeach()
  gf_mpi_tests(outside_across outside_records outside_reason)
endif()
