# Hardening: the checks this field trusts, over every binary that is built.
#   - a sanitizer build (GF_SANITIZE) runs the whole suite with its findings fatal;
#   - valgrind memcheck runs each binary's workloads at class S;
#   - ThreadSanitizer with LLVM's OpenMP runtime and its Archer tool checks the OpenMP code;
#   - libFuzzer fuzzes the option parser;
#   - clang-tidy and cppcheck read every source;
#   - bad_input tries the bad input of docs/failures.md's table on every binary.
# Every part is included last (tests/CMakeLists.txt), so it sees every other part's tests.

find_program(GF_VALGRIND valgrind)
find_program(GF_CLANG NAMES clang clang-14)
find_program(GF_CLANG_TIDY NAMES clang-tidy clang-tidy-14)
find_program(GF_CPPCHECK cppcheck)

# The backends' binaries that exist in this build (cmake/gf_registry.cmake), and those that
# MPI launches.
gf_backend_binaries(gf_binaries)
gf_backend_binaries(gf_ranks_binaries LAUNCH mpi)

# Bad input of every class in docs/failures.md's table, on every binary (and under the sanitizers).
set(gf_bad_input_args)
foreach(binary IN LISTS gf_binaries)
  list(APPEND gf_bad_input_args --binary ${binary}=$<TARGET_FILE:${binary}>)
endforeach()
if(MPIEXEC_EXECUTABLE)
  list(APPEND gf_bad_input_args --mpiexec=${MPIEXEC_EXECUTABLE} --np-flag=${MPIEXEC_NUMPROC_FLAG})
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/scripts/compare.py)
  list(APPEND gf_bad_input_args --compare=${PROJECT_SOURCE_DIR}/scripts/compare.py
       --build=${PROJECT_BINARY_DIR})
endif()
add_test(NAME bad_input
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/bad_input.py ${gf_bad_input_args})
set_tests_properties(bad_input PROPERTIES PROCESSORS 2 LABELS "e2e;hardening" TIMEOUT 300)
gf_mpi_tests(bad_input)

# Closed standard streams, stdout on /dev/full, --timeout and stop signals, on every binary.
set(gf_faults_args)
foreach(binary IN LISTS gf_binaries)
  list(APPEND gf_faults_args --binary ${binary}=$<TARGET_FILE:${binary}>)
endforeach()
add_test(NAME faults
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/faults.py ${gf_faults_args})
set_tests_properties(faults PROPERTIES PROCESSORS 2 LABELS "e2e;hardening" TIMEOUT 300)
gf_mpi_tests(faults)

if(GF_SANITIZE)
  # The sanitizer build runs the whole suite with every finding fatal, with these exceptions:
  #   - no_fold_check: it compiles its own probes, without sanitizers, and counts their
  #     instructions under callgrind; here it would only repeat the normal build's run.
  #   - scripts_python, scripts_units and scripts_bad: they run no gilfree binary (only
  #     py_baseline.py, scripts/gfreport.py's functions, and compare.py and main.sh with
  #     arguments refused before anything runs): here they would only repeat the normal
  #     build's runs. cluster_leftovers likewise (its jobs run hostname, sleep and false),
  #     and the scripts' unit tests (scripts_unit_*), which read records made in the test.
  #   - cluster_results and cluster_compare: gilfree-mpi across virtual hosts runs the code
  #     the one-host MPI tests run here already; only Open MPI's transport differs, which the
  #     sanitizers do not look into.
  #   - valgrind, ThreadSanitizer, libFuzzer and static analysis (label hardening-tool):
  #     valgrind cannot run a binary built with AddressSanitizer (both replace malloc and
  #     claim the same shadow memory), and the others build their own instrumented copies
  #     or read the sources, so they too would only repeat the normal build's runs.
  #   - the end-to-end checks (tests/e2e.py) run class S only (GF_E2E_CLASSES): class W
  #     runs the same code on larger numbers, which costs minutes under the sanitizers and
  #     adds no path for them to check.
  #   - MPI ranks run without LeakSanitizer (sanitize/mpi_asan_options.c says why), and so do
  #     the runs under a process limit (posix_proc's fork failures, bad_input's workers past
  #     the limit), whose limit also forbids LeakSanitizer's thread (nproc_limited in
  #     tests/e2e.py says more).
  set(gf_sanitize_env
      "ASAN_OPTIONS=halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1"
      "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/sanitize/lsan.supp:print_suppressions=0"
      "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1" "GF_E2E_CLASSES=S")
  get_property(gf_all_tests DIRECTORY PROPERTY TESTS)
  foreach(t IN LISTS gf_all_tests)
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT ${gf_sanitize_env})
  endforeach()
  foreach(ranks IN LISTS gf_ranks_binaries) # every program of MPI ranks
    if(GF_SANITIZE MATCHES "address")
      target_sources(${ranks} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/sanitize/mpi_asan_options.c)
    endif()
  endforeach()
  get_property(gf_all_tests DIRECTORY PROPERTY TESTS)
  list(FILTER gf_all_tests INCLUDE REGEX "^scripts_unit_")
  foreach(t no_fold_check scripts_python scripts_units scripts_bad cluster_leftovers
          cluster_results cluster_compare ${gf_all_tests})
    if(TEST ${t})
      set_tests_properties(${t} PROPERTIES DISABLED TRUE)
    endif()
  endforeach()
  return()
endif()

# valgrind memcheck: no error and no definite leak, each workload at class S (its warm-up
# and one timed repetition, which take every path of a run; each posix repetition starts
# its workers under valgrind, which costs seconds). Only definite
# leaks count: libgomp keeps its thread pool (and posix children their inherited buffers)
# until exit, which memcheck rightly calls "still reachable", not lost. Children are traced:
# a forked worker is checked by the same valgrind, and a spawned one (--start spawn execs
# the binary's resolved path, which valgrind can follow) by a valgrind of its own.
# OMP_WAIT_POLICY=passive: valgrind runs one thread at a time, and a spinning libgomp thread
# would only burn its time slice.
if(GF_VALGRIND)
  foreach(binary IN LISTS gf_binaries)
    if(binary IN_LIST gf_ranks_binaries)
      continue() # see docs/failures.md: Open MPI under valgrind
    endif()
    set(starts default)
    if(binary STREQUAL gilfree-posix)
      set(starts fork spawn)
    endif()
    foreach(start IN LISTS starts)
      set(start_args)
      set(suffix)
      if(NOT start STREQUAL default)
        set(start_args --start ${start})
        set(suffix _${start})
      endif()
      foreach(workload sum primes resize)
        set(name memcheck_${binary}_${workload}${suffix})
        string(REPLACE "gilfree-" "" name ${name})
        add_test(NAME ${name}
                 COMMAND ${GF_VALGRIND} --tool=memcheck --error-exitcode=99 --leak-check=full
                         --errors-for-leak-kinds=definite --show-leak-kinds=definite
                         --trace-children=yes --child-silent-after-fork=no -q
                         $<TARGET_FILE:${binary}> ${workload} --class S --reps 1 ${start_args})
        set_tests_properties(${name} PROPERTIES PROCESSORS 1 TIMEOUT 300
                             LABELS "hardening;hardening-tool;valgrind"
                             ENVIRONMENT "OMP_WAIT_POLICY=passive")
      endforeach()
    endforeach()
  endforeach()
else()
  message(STATUS "valgrind not found: no memcheck tests (scripts/setup.sh installs it)")
endif()

# Races in the OpenMP backend: ThreadSanitizer with LLVM's libomp and Archer, with controls.
if(GF_CLANG AND TARGET ${GF_BACKEND_omp_BINARY})
  add_test(NAME race_omp
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/race_check.sh ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/race ${GF_CLANG})
  set_tests_properties(race_omp PROPERTIES PROCESSORS 2 TIMEOUT 600
                       LABELS "hardening;hardening-tool;race")
endif()

# libFuzzer on the option parser, the integers and the --limits list, for 30 s.
if(GF_CLANG)
  add_test(NAME fuzz_options
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_fuzz.sh ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/fuzz 30 ${GF_CLANG})
  set_tests_properties(fuzz_options PROPERTIES PROCESSORS 1 TIMEOUT 180
                       LABELS "hardening;hardening-tool;fuzz")
else()
  message(STATUS "clang not found: no fuzzing test (scripts/setup.sh installs it)")
endif()

# clang-tidy and cppcheck over every source, with the build's own flags: no finding.
if(GF_CLANG_TIDY AND GF_CPPCHECK)
  add_test(NAME static_analysis
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/static_analysis.sh ${PROJECT_SOURCE_DIR}
                   ${PROJECT_BINARY_DIR} ${GF_CLANG_TIDY} ${GF_CPPCHECK})
  set_tests_properties(static_analysis PROPERTIES PROCESSORS 2 TIMEOUT 600
                       LABELS "hardening;hardening-tool;static")
else()
  message(STATUS "clang-tidy or cppcheck not found: no static analysis test "
                 "(scripts/setup.sh installs them)")
endif()

# The option tables, on every binary (hybrid too): an option of another workload refused, the
# refusals' messages true, and --help listing exactly what the parser accepts, with defaults.
set(gf_optable_args --source=${PROJECT_SOURCE_DIR})
foreach(binary IN LISTS gf_binaries ITEMS gilfree-hybrid)
  if(TARGET ${binary})
    list(APPEND gf_optable_args --binary ${binary}=$<TARGET_FILE:${binary}>)
  endif()
endforeach()
foreach(part workload messages help)
  add_test(NAME options_${part}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/options_table.py
                   ${gf_optable_args} --only=${part})
  set_tests_properties(options_${part} PROPERTIES PROCESSORS 1 LABELS "e2e;hardening"
                       TIMEOUT 180)
  gf_mpi_tests(options_${part})
endforeach()

# The man pages written at build time from the same tables: each renders with man -l, holds
# every option its --help lists, and `cmake --install` puts it in share/man/man1.
set(gf_man_args --build=${PROJECT_BINARY_DIR} --source=${PROJECT_SOURCE_DIR})
foreach(binary IN LISTS gf_binaries ITEMS gilfree-hybrid)
  if(TARGET ${binary})
    list(APPEND gf_man_args --binary ${binary}=$<TARGET_FILE:${binary}>)
  endif()
endforeach()
add_test(NAME man_pages
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/man_pages.py ${gf_man_args})
set_tests_properties(man_pages PROPERTIES PROCESSORS 1 LABELS "e2e;hardening" TIMEOUT 180)
gf_mpi_tests(man_pages)
