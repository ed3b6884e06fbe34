# Installs matsample with only the core's dependencies (a C++20 compiler,
# OpenMP, Random123) and builds the consumer against it. Every optional
# package is hidden with CMAKE_DISABLE_FIND_PACKAGE_<name>, the documented
# equivalent of a machine without them; the tests, examples and benchmarks
# are off, as README's Install section says.
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -DGENERATOR=<gen>
#         [-DCXX_FLAGS=...] [-DLINKER_FLAGS=...] -P core_only.cmake
set(optional ZLIB xxHash MPI METIS CUDAToolkit NCCL doctest Eigen3 benchmark CLI11 GraphBLAS CombBLAS Doxygen Python3)
set(hidden "")
foreach(package IN LISTS optional)
  list(APPEND hidden "-DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON")
endforeach()
set(flags "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
file(REMOVE_RECURSE "${WORK_DIR}")

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

step("configure (core only)" ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
     -DMATSAMPLE_BUILD_TESTS=OFF -DMATSAMPLE_BUILD_EXAMPLES=OFF -DMATSAMPLE_BUILD_BENCHMARKS=OFF ${hidden})
if(NOT step_output MATCHES "optional components found: *\n")
  string(REGEX MATCH "optional components found:[^\n]*" found "${step_output}")
  message(FATAL_ERROR "an optional component was defined with its packages hidden: ${found}")
endif()
step("install" ${CMAKE_COMMAND} --install "${WORK_DIR}/build" --prefix "${WORK_DIR}/prefix")
step("consumer" ${CMAKE_CTEST_COMMAND} --build-and-test "${SOURCE_DIR}/tests/package" "${WORK_DIR}/consumer"
     --build-generator "${GENERATOR}" --build-options "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" ${hidden} ${flags}
     --test-command consumer)
message(STATUS "core-only install and consumer: ok\n${step_output}")
