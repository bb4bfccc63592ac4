# Finds Rill's dependencies. CAF 0.17 ships no CMake config, so it is found by
# hand and wrapped in imported targets caf::core and caf::io.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS serialization)
# CRC-32 of checkpoint files and log records (zlib's is several times faster than Boost's).
find_package(ZLIB REQUIRED)
# HMAC-SHA256 for the workers' challenge-response registration (rill.authenticate.secret).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

if(NOT TARGET caf::core)
  find_path(CAF_INCLUDE_DIR caf/all.hpp)
  find_library(CAF_CORE_LIBRARY caf_core)
  find_library(CAF_IO_LIBRARY caf_io)
  if(NOT CAF_INCLUDE_DIR OR NOT CAF_CORE_LIBRARY OR NOT CAF_IO_LIBRARY)
    message(FATAL_ERROR "CAF 0.17 not found: install libcaf-dev (run ./setup.sh)")
  endif()
  add_library(caf::core UNKNOWN IMPORTED)
  set_target_properties(caf::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(caf::io UNKNOWN IMPORTED)
  set_target_properties(caf::io PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES caf::core)
endif()

find_package(spdlog REQUIRED)

# The web UI: cpp-httplib through pkg-config (Debian's header needs the
# feature flags its library was built with), prometheus-cpp's core library,
# nlohmann_json for the REST API. GLOBAL, so a project that adds Rill with
# add_subdirectory sees the targets too.
find_package(PkgConfig REQUIRED)
if(NOT TARGET PkgConfig::HTTPLIB)
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
endif()
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
