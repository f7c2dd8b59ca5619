include(CMakePackageConfigHelpers)

install(TARGETS pgkit EXPORT pgkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/pgkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/pgkit/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pgkit)
if(TARGET pgkit_cli)
  install(TARGETS pgkit_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(PGKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pgkit)
install(EXPORT pgkitTargets NAMESPACE pgkit:: DESTINATION ${PGKIT_CMAKE_DIR})
configure_package_config_file(cmake/pgkitConfig.cmake.in ${PROJECT_BINARY_DIR}/pgkitConfig.cmake
                              INSTALL_DESTINATION ${PGKIT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pgkitConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pgkitConfig.cmake ${PROJECT_BINARY_DIR}/pgkitConfigVersion.cmake
        DESTINATION ${PGKIT_CMAKE_DIR})

# Relative to the .pc file, so that an install moved with --prefix still resolves.
file(RELATIVE_PATH PGKIT_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
# A static libpgkit needs its consumers to link libpq, fmt, spdlog and libcrypto themselves; a shared one does not.
if(BUILD_SHARED_LIBS)
  set(PGKIT_PC_LINK_REQUIRES "")
  set(PGKIT_PC_PRIVATE_REQUIRES "libpq fmt spdlog libcrypto")
else()
  set(PGKIT_PC_LINK_REQUIRES "libpq fmt spdlog libcrypto")
  set(PGKIT_PC_PRIVATE_REQUIRES "")
endif()
configure_file(cmake/pgkit.pc.in ${PROJECT_BINARY_DIR}/pgkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pgkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
