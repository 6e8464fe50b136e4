# The backend registry: every backend of gilfree, its folder, its program, how its tests
# launch it, the sources it must build and the benchmark experiments it must offer. The build
# (CMakeLists.txt and each backend's CMakeLists.txt) and every tests/*.cmake read it; nothing
# else lists the backends. A new backend is one more block here (docs/layout.md says how).
#
# A source the registry names that is missing stops the configuration (gf_backend_sources):
# deleting a backend's file cannot leave a green build with fewer tests.

set(GF_REGISTRY omp posix mpi hybrid)

# The experiments of "gilfree-<backend> bench" (shared/gf_bench.h, enum gf_bench_exp).
set(GF_BENCH_EXPERIMENTS startup ipc counter grain paths)

# omp: OpenMP threads. gf_omp is the orchestration library, main.c and bench.c the program's.
set(GF_BACKEND_omp_DIR openmp)
set(GF_BACKEND_omp_BINARY gilfree-omp)
set(GF_BACKEND_omp_LAUNCH direct)
set(GF_BACKEND_omp_LIBRARY span.c sum.c primes.c resize.c omp_env.c)
set(GF_BACKEND_omp_PROGRAM main.c bench.c)
set(GF_BACKEND_omp_EXPERIMENTS ${GF_BENCH_EXPERIMENTS})

# posix: fork()+pipes. gf_posix is the process plumbing and the pool; gf_posix_bench the
# micro-benchmarks, one file per experiment (bench_<experiment>.c) and their crew.
set(GF_BACKEND_posix_DIR posix)
set(GF_BACKEND_posix_BINARY gilfree-posix)
set(GF_BACKEND_posix_LAUNCH direct)
set(GF_BACKEND_posix_LIBRARY proc.c frame.c worker.c gather.c pool.c pool_loop.c)
set(GF_BACKEND_posix_PROGRAM main.c sum.c primes.c resize.c)
set(GF_BACKEND_posix_BENCH bench.c bench_crew.c)
set(GF_BACKEND_posix_EXPERIMENTS ${GF_BENCH_EXPERIMENTS})

# mpi: MPI ranks through mpiexec. gf_mpi is the orchestration library, main.c the program's;
# the micro-benchmarks are one file per experiment (bench_<experiment>.c) and bench.c.
set(GF_BACKEND_mpi_DIR mpi)
set(GF_BACKEND_mpi_BINARY gilfree-mpi)
set(GF_BACKEND_mpi_LAUNCH mpi)
# (the files the simulated build swaps, coll, clock and machine with their _smpi twins, are
# mpi/CMakeLists.txt's choice)
set(GF_BACKEND_mpi_LIBRARY comm.c deal.c driver.c span.c wait.c watch.c sum.c primes.c resize.c)
set(GF_BACKEND_mpi_PROGRAM main.c)
set(GF_BACKEND_mpi_BENCH bench.c)
set(GF_BACKEND_mpi_EXPERIMENTS ${GF_BENCH_EXPERIMENTS})

# hybrid: MPI ranks of OpenMP threads, made of gf_mpi and gf_omp; no benchmarks of its own.
# Not bound to one core per rank: a rank's team needs cores.
set(GF_BACKEND_hybrid_DIR hybrid)
set(GF_BACKEND_hybrid_BINARY gilfree-hybrid)
set(GF_BACKEND_hybrid_LAUNCH mpi)
set(GF_BACKEND_hybrid_LAUNCH_FLAGS --bind-to none)
set(GF_BACKEND_hybrid_LIBRARY)
set(GF_BACKEND_hybrid_PROGRAM main.c)
set(GF_BACKEND_hybrid_EXPERIMENTS)

# gf_backend_sources(BACKEND PART OUT): the sources of PART (LIBRARY, PROGRAM or BENCH, the
# latter with bench_<experiment>.c for each experiment that has no bench.c entry of its own
# in PROGRAM) as absolute paths in OUT. A missing one is a fatal configuration error.
function(gf_backend_sources backend part out)
  set(dir ${PROJECT_SOURCE_DIR}/${GF_BACKEND_${backend}_DIR})
  set(files ${GF_BACKEND_${backend}_${part}})
  if(part STREQUAL "BENCH" AND files)
    foreach(exp IN LISTS GF_BACKEND_${backend}_EXPERIMENTS)
      list(APPEND files bench_${exp}.c)
    endforeach()
  endif()
  set(paths)
  foreach(f IN LISTS files)
    if(NOT EXISTS ${dir}/${f})
      message(FATAL_ERROR "the ${backend} backend needs ${GF_BACKEND_${backend}_DIR}/${f}, "
                          "which is missing (cmake/gf_registry.cmake lists what each "
                          "backend builds)")
    endif()
    list(APPEND paths ${dir}/${f})
  endforeach()
  set(${out} ${paths} PARENT_SCOPE)
endfunction()

# gf_backend_all_sources(OUT): every source the registry names for the backends built, for
# the tests that check the layout.
function(gf_backend_all_sources out)
  set(all)
  foreach(backend IN LISTS GF_BACKENDS)
    foreach(part LIBRARY PROGRAM BENCH)
      gf_backend_sources(${backend} ${part} paths)
      list(APPEND all ${paths})
    endforeach()
  endforeach()
  set(${out} ${all} PARENT_SCOPE)
endfunction()

# gf_backend_binaries(OUT [LAUNCH direct|mpi]): the programs of the backends built in this
# build (those whose target exists), in the registry's order; with LAUNCH, those launched so.
function(gf_backend_binaries out)
  cmake_parse_arguments(arg "" "LAUNCH" "" ${ARGN})
  set(binaries)
  foreach(backend IN LISTS GF_REGISTRY)
    set(binary ${GF_BACKEND_${backend}_BINARY})
    if(TARGET ${binary} AND (NOT arg_LAUNCH OR GF_BACKEND_${backend}_LAUNCH STREQUAL arg_LAUNCH))
      list(APPEND binaries ${binary})
    endif()
  endforeach()
  set(${out} ${binaries} PARENT_SCOPE)
endfunction()

# gf_backend_launcher(BACKEND OUT [RANKS n]): the command line that starts BACKEND's program
# as a string, its world size n or, without RANKS, "{workers}" (which tests/e2e.py and its
# neighbours fill in); empty for a backend that is run directly. The one place that spells
# mpiexec's command line for a test.
function(gf_backend_launcher backend out)
  cmake_parse_arguments(arg "" "RANKS" "" ${ARGN})
  if(NOT GF_BACKEND_${backend}_LAUNCH STREQUAL "mpi")
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  if(NOT arg_RANKS)
    set(arg_RANKS "{workers}")
  endif()
  string(JOIN " " launcher ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${arg_RANKS}
         ${GF_BACKEND_${backend}_LAUNCH_FLAGS} ${MPIEXEC_PREFLAGS})
  set(${out} "${launcher}" PARENT_SCOPE)
endfunction()
