# cmake/install.cmake: `cmake --install build --prefix P` lays out
#   P/bin/{ablate,ablate-coordinator,ablate-worker}
#   P/share/ablate/{examples,docs,deploy}
# Every file under deploy/ refers to this layout (or to a variable it documents).
include(GNUInstallDirs)
foreach(bin ablate ablate-coordinator ablate-worker)
  if(TARGET ${bin})
    install(TARGETS ${bin} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ablate/examples)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ablate/docs)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/ablate/docs)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/deploy/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ablate/deploy
  USE_SOURCE_PERMISSIONS)
