# Installs the library, its headers and a package config so that users can
# `find_package(rill)` and link `rill::rill`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS rill EXPORT rillTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(dir runtime operators receivers)
  install(DIRECTORY ${dir}/ DESTINATION include/rill/${dir} FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(EXPORT rillTargets NAMESPACE rill:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rill)
configure_package_config_file(cmake/rillConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/rillConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rill)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/rillConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rillConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/rillConfigVersion.cmake
  cmake/RillDependencies.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rill)
