# matsample's optional components, each declared once.
#
#   matsample_add_component(NAME <name> [FIND <spec>...] [LINK <item>...] [DEPENDS <component>...])
#
# Finds each FIND spec (the arguments of one find_package call in one string,
# "MPI COMPONENTS CXX"; found when <Package>_FOUND is true). When every one is
# found and every DEPENDS component was declared, it defines the INTERFACE
# target matsample_<name>, alias and export name matsample::<name>, linking
# matsample, the DEPENDS components and the LINK items, installs it in its own
# export set (matsample-<name>-targets.cmake in ${matsample_cmake_dir}, which
# must be set before the first call), and records the FIND specs and
# DEPENDS for the package configuration. Otherwise it says what is missing and
# defines nothing. Declare a component after those it DEPENDS on: the record
# keeps the declaration order, which is the order the package loads them in.
#
#   matsample_configure_package_config(<template> <output> INSTALL_DESTINATION <dir>)
#
# configure_package_config_file with @MATSAMPLE_COMPONENT_RECORD@ in the
# template replaced by that record: the list _matsample_components and, per
# component, _matsample_<name>_find and _matsample_<name>_depends.

function(matsample_add_component)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME" "FIND;LINK;DEPENDS")
  if(NOT arg_NAME OR arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "matsample_add_component: NAME <name> [FIND ...] [LINK ...] [DEPENDS ...]; "
                        "got '${ARGV}'")
  endif()
  set(missing "")
  foreach(dependency IN LISTS arg_DEPENDS)
    if(NOT TARGET matsample_${dependency})
      list(APPEND missing "matsample::${dependency}")
    endif()
  endforeach()
  if(NOT missing)  # a component's toolkit is not looked for without the components it needs
    foreach(spec IN LISTS arg_FIND)
      separate_arguments(find_args UNIX_COMMAND "${spec}")
      list(GET find_args 0 package)
      find_package(${find_args})
      if(NOT ${package}_FOUND)
        list(APPEND missing ${package})
      endif()
    endforeach()
  endif()
  if(missing)
    list(JOIN missing ", " missing)
    message(STATUS "matsample: no matsample::${arg_NAME} (needs ${missing})")
    return()
  endif()

  set(target matsample_${arg_NAME})
  add_library(${target} INTERFACE)
  add_library(matsample::${arg_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${arg_NAME})
  list(TRANSFORM arg_DEPENDS PREPEND matsample_ OUTPUT_VARIABLE dependency_targets)
  target_link_libraries(${target} INTERFACE matsample ${dependency_targets} ${arg_LINK})
  install(TARGETS ${target} EXPORT matsample-${arg_NAME}-targets)
  install(EXPORT matsample-${arg_NAME}-targets NAMESPACE matsample:: DESTINATION ${matsample_cmake_dir})

  set_property(GLOBAL APPEND PROPERTY matsample_components ${arg_NAME})
  set_property(GLOBAL PROPERTY matsample_${arg_NAME}_find ${arg_FIND})
  set_property(GLOBAL PROPERTY matsample_${arg_NAME}_depends ${arg_DEPENDS})
endfunction()

function(matsample_configure_package_config template output)
  get_property(components GLOBAL PROPERTY matsample_components)
  list(JOIN components " " record)
  set(MATSAMPLE_COMPONENT_RECORD "set(_matsample_components ${record})\n")
  foreach(component IN LISTS components)
    get_property(find GLOBAL PROPERTY matsample_${component}_find)
    get_property(depends GLOBAL PROPERTY matsample_${component}_depends)
    list(TRANSFORM find PREPEND "\"")  # one quoted argument per find_package call
    list(TRANSFORM find APPEND "\"")
    list(JOIN find " " find)
    list(JOIN depends " " depends)
    string(APPEND MATSAMPLE_COMPONENT_RECORD
      "set(_matsample_${component}_find ${find})\n"
      "set(_matsample_${component}_depends ${depends})\n")
  endforeach()
  configure_package_config_file("${template}" "${output}" ${ARGN})
endfunction()
