# Builds the API reference from docs/Doxyfile into OUTPUT_DIR and fails on any
# Doxygen warning, an undocumented public entity included.
#   cmake -DDOXYGEN=<doxygen> -DSOURCE_DIR=<repo> -DOUTPUT_DIR=<dir> -P run_doxygen.cmake
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
set(doxyfile "${OUTPUT_DIR}/Doxyfile")
set(warnings "${OUTPUT_DIR}/warnings.log")
file(WRITE "${doxyfile}" "@INCLUDE = ${SOURCE_DIR}/docs/Doxyfile\n"
                         "OUTPUT_DIRECTORY = ${OUTPUT_DIR}\n"
                         "WARN_LOGFILE = ${warnings}\n")
file(REMOVE "${warnings}")
execute_process(COMMAND "${DOXYGEN}" "${doxyfile}" WORKING_DIRECTORY "${SOURCE_DIR}"
                RESULT_VARIABLE status OUTPUT_QUIET)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "doxygen failed (exit ${status})")
endif()
file(READ "${warnings}" text)
if(NOT text STREQUAL "")
  string(REGEX MATCHALL "\n" lines "\n${text}")
  list(LENGTH lines count)
  message(FATAL_ERROR "Doxygen warned (about ${count} lines, ${warnings}); every public entity needs a /// comment:\n${text}")
endif()
message(STATUS "API reference: ${OUTPUT_DIR}/html/index.html")
