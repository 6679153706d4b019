# Helpers for the tests that are CMake scripts (tests/consumer, tests/package), included with
# include(${CMAKE_CURRENT_LIST_DIR}/../cmake/run_helpers.cmake).
#
# run(<what> <command...>): runs the command, fails the test unless it exits 0; its standard
# output is in `last_output`.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
