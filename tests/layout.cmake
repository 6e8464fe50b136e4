# The C tree's layout, read from the sources (tests/layout_check.py): no include circle among
# the modules of the source folders, no C file over 700 lines and no function over 80, and
# every source the backend registry (cmake/gf_registry.cmake) names present, so that deleting
# a backend's file fails here as well as at configuration.
set(gf_layout_dirs shared mpi openmp posix hybrid)
add_test(NAME layout_includes
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/layout_check.py includes
                 ${PROJECT_SOURCE_DIR} ${gf_layout_dirs})
add_test(NAME layout_sizes
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/layout_check.py sizes
                 ${PROJECT_SOURCE_DIR} ${gf_layout_dirs})
gf_backend_all_sources(gf_registry_sources)
add_test(NAME layout_sources
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/layout_check.py sources
                 ${gf_registry_sources})
set_tests_properties(layout_includes layout_sizes layout_sources PROPERTIES PROCESSORS 1
                     LABELS unit TIMEOUT 60)
