# The documentation (README.md and docs/*.md): its links and anchors lead somewhere, the
# README stays short and points into docs/, and every example a page marks as tested
# (```sh test, ```console test) runs against this build and ends as the page says. Not in the
# sanitizer build: the links do not depend on the build, and the examples run the code the
# other tests run there (and compare.py's examples the default build/).
if(NOT GF_SANITIZE)
  add_test(NAME docs_links
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/docs_check.py
                   --source ${PROJECT_SOURCE_DIR} --build ${CMAKE_BINARY_DIR} --only links)
  set_tests_properties(docs_links PROPERTIES PROCESSORS 1 LABELS docs TIMEOUT 60)
  add_test(NAME docs_examples
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/docs_check.py
                   --source ${PROJECT_SOURCE_DIR} --build ${CMAKE_BINARY_DIR} --only examples
                   "--backends=${GF_BACKENDS}")
  set_tests_properties(docs_examples PROPERTIES PROCESSORS 2 LABELS docs TIMEOUT 600)
  gf_mpi_tests(docs_examples)
endif()
