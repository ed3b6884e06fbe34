# Fails when the README's quickstart listing differs from examples/quickstart.cpp.
file(READ "${SOURCE_DIR}/README.md" readme)
file(READ "${SOURCE_DIR}/examples/quickstart.cpp" quickstart)
string(FIND "${readme}" "${quickstart}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md's quickstart listing differs from examples/quickstart.cpp")
endif()
