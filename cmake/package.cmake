# The Debian package (scripts/package runs cpack): dependencies computed from
# the binary's shared libraries (dpkg-shlibdeps), a postinst that creates the
# system user the units run as, adduser to do it.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME haul)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "haul developers <haul@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "encrypting object gateway, client and edge for long fat links")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "haul moves encrypted objects across long fat links at the speed the link allows:\n\
 a gateway that encrypts uploads as streams into a local or S3 store, a client with\n\
 warm connection pools, an edge daemon that gives unmodified clients a warm long\n\
 link, a user-space link emulator and a doctor.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
