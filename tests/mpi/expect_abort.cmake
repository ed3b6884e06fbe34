# Runs COMMAND (a ;-list) and requires that it fails, within TIMEOUT seconds,
# with output matching EXPECT: a rank's error must end the whole MPI job.
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${TIMEOUT})
if(result STREQUAL "0")
  message(FATAL_ERROR "the job succeeded, but one rank threw:\n${out}${err}")
endif()
if(result MATCHES "timeout|Process terminated due to timeout")
  message(FATAL_ERROR "the job hung (killed after ${TIMEOUT} s):\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "the failing rank's message is missing (expected '${EXPECT}'):\n${out}${err}")
endif()
message(STATUS "aborted as expected (${result})")
