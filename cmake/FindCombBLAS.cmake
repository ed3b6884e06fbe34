# Finds CombBLAS (Debian: libcombblas-dev) and defines CombBLAS::CombBLAS.
# Used by bench/ only (matsample_combblas_bench); not installed, and no
# matsample target depends on it. The package's own CMake config is preferred:
# it carries the THREADED definition the library was built with and its
# helper libraries. Without it, the header and libraries are searched directly.
find_package(CombBLAS CONFIG QUIET)
if(TARGET CombBLAS::CombBLAS)
  get_target_property(CombBLAS_INCLUDE_DIR CombBLAS::CombBLAS INTERFACE_INCLUDE_DIRECTORIES)
  set(CombBLAS_LIBRARY CombBLAS::CombBLAS)
else()
  find_path(CombBLAS_INCLUDE_DIR NAMES CombBLAS/CombBLAS.h)
  find_library(CombBLAS_LIBRARY NAMES CombBLAS)
  find_library(CombBLAS_USORT_LIBRARY NAMES Usortlib)
  find_library(CombBLAS_GRAPHGEN_LIBRARY NAMES GraphGenlib)
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CombBLAS REQUIRED_VARS CombBLAS_LIBRARY CombBLAS_INCLUDE_DIR)
if(CombBLAS_FOUND AND NOT TARGET CombBLAS::CombBLAS)
  find_package(MPI COMPONENTS CXX)
  find_package(OpenMP COMPONENTS CXX)
  add_library(CombBLAS::CombBLAS UNKNOWN IMPORTED)
  set_target_properties(CombBLAS::CombBLAS PROPERTIES
    IMPORTED_LOCATION "${CombBLAS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CombBLAS_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS THREADED)
  set(combblas_links MPI::MPI_CXX OpenMP::OpenMP_CXX)
  foreach(lib IN ITEMS CombBLAS_USORT_LIBRARY CombBLAS_GRAPHGEN_LIBRARY)
    if(${lib})
      list(APPEND combblas_links "${${lib}}")
    endif()
  endforeach()
  set_target_properties(CombBLAS::CombBLAS PROPERTIES INTERFACE_LINK_LIBRARIES "${combblas_links}")
  unset(combblas_links)
endif()
mark_as_advanced(CombBLAS_INCLUDE_DIR CombBLAS_LIBRARY CombBLAS_USORT_LIBRARY CombBLAS_GRAPHGEN_LIBRARY)
