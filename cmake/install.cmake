# What `cmake --install` puts where, and the Debian packages CPack makes of
# it (scripts/package.sh). The bundled Lua (policies, templates, plugins)
# is compiled into pagodad and pagoda-lua: nothing to install for it.
include(GNUInstallDirs)

install(TARGETS pagodad pagoda-lua RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
install(TARGETS pagoda-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(TARGETS pagoda RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)

set(PAGODA_UNITDIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system CACHE PATH "where systemd units go")
install(FILES dist/systemd/pagodad.service DESTINATION ${PAGODA_UNITDIR} COMPONENT server)
install(FILES dist/systemd/pagoda-agent.service DESTINATION ${PAGODA_UNITDIR} COMPONENT agent)
install(FILES dist/conf/pagodad.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/pagoda COMPONENT server)
install(FILES dist/conf/agent.conf.example DESTINATION ${CMAKE_INSTALL_DATADIR}/pagoda COMPONENT agent)
install(PROGRAMS dist/agent-upgrade.sh DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/pagoda COMPONENT agent)
# Agent packages for joining machines: scripts/package.sh puts the agent's
# .deb here before it packs the server.
install(DIRECTORY ${CMAKE_BINARY_DIR}/agent-packages/ DESTINATION ${CMAKE_INSTALL_DATADIR}/pagoda/packages
        COMPONENT server)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/agent-packages)

# Man pages from each program's --help, so their options cannot drift.
set(_man "")
foreach(page pagodad.8:pagodad:server pagoda-agent.8:pagoda-agent:agent pagoda.1:pagoda:cli pagoda-lua.1:pagoda-lua:server)
  string(REPLACE ":" ";" _p ${page})
  list(GET _p 0 _name)
  list(GET _p 1 _prog)
  list(GET _p 2 _comp)
  string(REGEX REPLACE ".*\\." "" _sect ${_name})
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${_name}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND sh ${CMAKE_SOURCE_DIR}/dist/man/mkman.sh ${CMAKE_SOURCE_DIR}/dist/man/${_name}.in
            ${CMAKE_BINARY_DIR}/man/${_name} $<TARGET_FILE:${_prog}> ${PAGODA_VERSION}
    DEPENDS ${_prog} ${CMAKE_SOURCE_DIR}/dist/man/${_name}.in ${CMAKE_SOURCE_DIR}/dist/man/mkman.sh)
  list(APPEND _man ${CMAKE_BINARY_DIR}/man/${_name})
  install(FILES ${CMAKE_BINARY_DIR}/man/${_name} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_sect} COMPONENT ${_comp})
endforeach()
add_custom_target(man ALL DEPENDS ${_man})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pagoda)
set(CPACK_PACKAGE_VERSION ${PAGODA_VERSION})
set(CPACK_PACKAGE_CONTACT "Pagoda developers <pagoda@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "control plane for fleets of Linux machines")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://pagoda.invalid/")
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME pagoda-server)
set(CPACK_DEBIAN_AGENT_PACKAGE_NAME pagoda-agent)
set(CPACK_DEBIAN_CLI_PACKAGE_NAME pagoda-cli)
set(CPACK_COMPONENT_SERVER_DESCRIPTION "Pagoda control plane: pagodad, pagoda-lua, unit and configuration
 pagodad is a hosting panel, configuration center, certificate center
 (ACME) and service registry in one daemon, with a REST API and a web
 console. It runs as the pagoda user from /var/lib/pagoda.")
set(CPACK_COMPONENT_AGENT_DESCRIPTION "Pagoda agent: runs the tasks of pagodad on a managed machine
 pagoda-agent heartbeats to pagodad, runs its tasks idempotently (files,
 nginx, systemd units, health probes, certificates) and reports state.")
set(CPACK_COMPONENT_CLI_DESCRIPTION "Pagoda command line: the pagoda command
 pagoda talks to pagodad's REST API with an admin token.")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS "nginx | nginx-light, curl")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/dist/debian/server/postinst;${CMAKE_SOURCE_DIR}/dist/debian/server/prerm;${CMAKE_SOURCE_DIR}/dist/debian/server/postrm;${CMAKE_SOURCE_DIR}/dist/debian/server/conffiles")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/dist/debian/agent/postinst;${CMAKE_SOURCE_DIR}/dist/debian/agent/prerm;${CMAKE_SOURCE_DIR}/dist/debian/agent/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENTS_ALL server agent cli)
include(CPack)
