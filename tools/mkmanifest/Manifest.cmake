# capos_manifest(<target> CUE <file.cue>... BIN_DIR <dir>
#                [OUTPUT <file>] [OVERLAY <file> | NO_OVERLAY]
#                [DEPENDS <target-or-file>...] [EXCLUDE_FROM_ALL])
#
# Builds a boot manifest: the CUE files (plus the overlay, if that file
# exists) are exported to JSON with tools/mkmanifest/cue-export.js, then
# mkmanifest embeds BIN_DIR/<name> for every binary the configuration names
# and writes OUTPUT (default: ${CMAKE_BINARY_DIR}/<target>.bin). The overlay
# defaults to system.local.cue next to the first CUE file. DEPENDS lists the
# targets that produce the binaries, so the manifest is rebuilt when they
# change. Opt-in: nothing calls this until the userspace binaries exist;
# the intended call is
#   capos_manifest(manifest CUE ${CAPOS_ROOT}/system.cue
#                  BIN_DIR <dir with init, logd, hello, ticker>
#                  DEPENDS init logd hello ticker)
# which yields build/manifest.bin.
find_program(NODE_EXECUTABLE node)
set(CAPOS_MKMANIFEST_DIR ${CMAKE_CURRENT_LIST_DIR} CACHE INTERNAL "tools/mkmanifest source dir")

function(capos_manifest target)
  cmake_parse_arguments(A "NO_OVERLAY;EXCLUDE_FROM_ALL" "BIN_DIR;OUTPUT;OVERLAY" "CUE;DEPENDS"
                        ${ARGN})
  if(NOT A_CUE OR NOT A_BIN_DIR)
    message(FATAL_ERROR "capos_manifest(${target}): CUE and BIN_DIR are required")
  endif()
  if(NOT NODE_EXECUTABLE)
    message(FATAL_ERROR "capos_manifest(${target}): node not found; run tools/setup-deps.sh")
  endif()
  if(NOT A_OUTPUT)
    set(A_OUTPUT ${CMAKE_BINARY_DIR}/${target}.bin)
  endif()
  list(GET A_CUE 0 first)
  get_filename_component(first_dir ${first} DIRECTORY)
  if(NOT A_OVERLAY AND NOT A_NO_OVERLAY)
    set(A_OVERLAY ${first_dir}/system.local.cue)
  endif()

  set(overlay_args "")
  set(overlay_dep "")
  if(A_OVERLAY AND NOT A_NO_OVERLAY)
    set(overlay_args --overlay ${A_OVERLAY})
    # Re-globbed on every build: creating or deleting the overlay re-runs
    # configure, so the dependency below appears/disappears with the file.
    file(GLOB overlay_dep CONFIGURE_DEPENDS ${A_OVERLAY})
  endif()
  file(GLOB defaults CONFIGURE_DEPENDS ${CAPOS_ROOT}/cue/defaults/*.cue)

  set(json ${CMAKE_CURRENT_BINARY_DIR}/${target}.json)
  add_custom_command(
    OUTPUT ${json}
    COMMAND ${NODE_EXECUTABLE} ${CAPOS_MKMANIFEST_DIR}/cue-export.js --root ${CAPOS_ROOT}
            ${overlay_args} -o ${json} ${A_CUE}
    DEPENDS ${A_CUE} ${overlay_dep} ${defaults} ${CAPOS_ROOT}/cue.mod/module.cue
            ${CAPOS_MKMANIFEST_DIR}/cue-export.js ${CAPOS_ROOT}/package-lock.json
    COMMENT "CUE export ${A_CUE} -> ${target}.json"
    VERBATIM)
  add_custom_command(
    OUTPUT ${A_OUTPUT}
    COMMAND mkmanifest --bin-dir ${A_BIN_DIR} -o ${A_OUTPUT} ${json}
    DEPENDS ${json} mkmanifest ${A_DEPENDS}
    COMMENT "mkmanifest ${target}.json -> ${A_OUTPUT}"
    VERBATIM)
  set(all ALL)
  if(A_EXCLUDE_FROM_ALL)
    set(all "")
  endif()
  add_custom_target(${target} ${all} DEPENDS ${A_OUTPUT})
endfunction()
