# The test-listing script of doctest_discover_tests (doctest.cmake, which
# runs it after each build of a test executable), in place of doctest's own
# doctestAddTests.cmake: that one splits the listing as a CMake list, which
# breaks on test-case names holding ';' or an unbalanced '[' ("... in [0, 1)"),
# and it cannot pass a list-valued property such as ENVIRONMENT. Here every
# line of `--list-test-cases` is one test, <prefix><name><suffix>, run as
# `<executable> --test-case=<name, commas escaped> <extra args>`.
#
# PROPERTIES arrive as one flat list (doctest.cmake hands them over on the
# command line), so ENVIRONMENT "A=1;B=2" arrives as ENVIRONMENT;A=1;B=2. They
# are regrouped: a property name (an upper-case identifier) starts a property,
# the item after it is its value, and further items that are not names join
# that value as list entries. Not supported: ADD_LABELS, JUNIT_OUTPUT_DIR, and
# the TEST_LIST variable (a CMake list cannot hold every name).

if(NOT EXISTS "${TEST_EXECUTABLE}")
  message(FATAL_ERROR "Specified test executable '${TEST_EXECUTABLE}' does not exist")
endif()
if(TEST_ADD_LABELS OR TEST_JUNIT_OUTPUT_DIR)
  message(FATAL_ERROR "tests/doctest_add_tests.cmake: ADD_LABELS and JUNIT_OUTPUT_DIR are not supported")
endif()
set(spec "")
if(TEST_SPEC)
  set(spec "--test-case=${TEST_SPEC}")
endif()
execute_process(COMMAND ${TEST_EXECUTOR} "${TEST_EXECUTABLE}" ${spec} --list-test-cases
                OUTPUT_VARIABLE output RESULT_VARIABLE result WORKING_DIRECTORY "${TEST_WORKING_DIR}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "Error running test executable '${TEST_EXECUTABLE}':\n  Result: ${result}\n  Output: ${output}\n")
endif()

# One bracket argument per string, so no character in it is special.
function(quote out value)
  if(value MATCHES "]==]")
    message(FATAL_ERROR "tests/doctest_add_tests.cmake: cannot quote '${value}'")
  endif()
  set(${out} "[==[${value}]==]" PARENT_SCOPE)
endfunction()

set(properties "")
set(property "")
set(need_value FALSE)
foreach(item IN LISTS TEST_PROPERTIES ITEMS END)
  if(need_value)
    set(value "${item}")
    set(need_value FALSE)
  elseif(item MATCHES "^[A-Z][A-Z0-9_]*$")  # a property name, or the END above
    if(NOT property STREQUAL "")
      quote(value "${value}")
      string(APPEND properties " ${property} ${value}")
    endif()
    set(property "${item}")
    set(need_value TRUE)
  else()
    list(APPEND value "${item}")
  endif()
endforeach()
quote(working_dir "${TEST_WORKING_DIR}")
quote(executable "${TEST_EXECUTABLE}")
set(executor "")
foreach(word IN LISTS TEST_EXECUTOR)
  quote(word "${word}")
  string(APPEND executor " ${word}")
endforeach()
set(extra_args "")
foreach(arg IN LISTS TEST_EXTRA_ARGS)
  quote(arg "${arg}")
  string(APPEND extra_args " ${arg}")
endforeach()

set(script "")
while(NOT output STREQUAL "")
  string(FIND "${output}" "\n" end)
  if(end EQUAL -1)
    set(line "${output}")
    set(output "")
  else()
    string(SUBSTRING "${output}" 0 ${end} line)
    math(EXPR end "${end} + 1")
    string(SUBSTRING "${output}" ${end} -1 output)
  endif()
  if(line STREQUAL "" OR line MATCHES "^=+$" OR line MATCHES "^\\[doctest\\] ")
    continue()
  endif()
  quote(name "${TEST_PREFIX}${line}${TEST_SUFFIX}")
  string(REPLACE "," "\\," filter "${line}")  # doctest's filters are comma-separated
  quote(filter "--test-case=${filter}")
  string(APPEND script "add_test(${name}${executor} ${executable} ${filter}${extra_args})\n"
                       "set_tests_properties(${name} PROPERTIES WORKING_DIRECTORY ${working_dir}${properties})\n")
endwhile()
file(WRITE "${CTEST_FILE}" "${script}")
