# Shared build rules. Every piece of portable code is built in up to three
# variants from the same sources:
#   <name>_kernel  freestanding, -mcmodel=kernel, no SSE/x87 (kernel image)
#   <name>_user    freestanding, static non-PIE (user programs)
#   <name>_host    hosted, ASan+UBSan (host tests and tools)

set(CAPOS_TARGET_TRIPLE x86_64-unknown-none-elf)

set(CAPOS_FREESTANDING_FLAGS
  --target=${CAPOS_TARGET_TRIPLE}
  -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -fno-stack-protector -fno-pic -fno-pie -nostdlibinc
  -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer
  -mno-red-zone
  -Wall -Wextra -Werror -Wno-unused-parameter -Wthread-safety)

set(CAPOS_KERNEL_FLAGS ${CAPOS_FREESTANDING_FLAGS}
  -mcmodel=kernel -mno-sse -mno-sse2 -mno-mmx -mno-80387 -mgeneral-regs-only)

set(CAPOS_USER_FLAGS ${CAPOS_FREESTANDING_FLAGS})

set(CAPOS_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer)

set(CAPOS_HOST_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter -Wthread-safety)

# capos_library(<name> [KERNEL] [USER] [HOST] SOURCES <src>... [DEPS <lib>...])
# DEPS name other capos libraries; the matching variant is linked.
function(capos_library name)
  cmake_parse_arguments(A "KERNEL;USER;HOST" "" "SOURCES;DEPS" ${ARGN})
  foreach(variant kernel user host)
    string(TOUPPER ${variant} V)
    if(NOT A_${V})
      continue()
    endif()
    set(t ${name}_${variant})
    add_library(${t} STATIC ${A_SOURCES})
    target_include_directories(${t} PUBLIC ${CAPOS_ROOT} ${CMAKE_BINARY_DIR}/generated)
    if(variant STREQUAL "kernel")
      target_compile_options(${t} PRIVATE ${CAPOS_KERNEL_FLAGS})
    elseif(variant STREQUAL "user")
      target_compile_options(${t} PRIVATE ${CAPOS_USER_FLAGS})
    else()
      target_compile_options(${t} PRIVATE ${CAPOS_SANITIZE_FLAGS} ${CAPOS_HOST_WARNINGS})
      target_link_options(${t} PUBLIC ${CAPOS_SANITIZE_FLAGS})
    endif()
    foreach(d ${A_DEPS})
      target_link_libraries(${t} PUBLIC ${d}_${variant})
    endforeach()
  endforeach()
endfunction()

find_package(GTest REQUIRED)
include(GoogleTest)

# capos_host_test(<name> SOURCES <src>... [LIBS <target>...])
# A GoogleTest binary built with ASan/UBSan; each TEST becomes a CTest
# entry named host.<Suite>.<Test>.
function(capos_host_test name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_include_directories(${name} PRIVATE ${CAPOS_ROOT} ${CMAKE_BINARY_DIR}/generated)
  target_compile_options(${name} PRIVATE ${CAPOS_SANITIZE_FLAGS} ${CAPOS_HOST_WARNINGS})
  target_link_options(${name} PRIVATE ${CAPOS_SANITIZE_FLAGS})
  target_link_libraries(${name} PRIVATE ${A_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} TEST_PREFIX "host." DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1")
endfunction()

# capos_fuzz_target(<name> SOURCES <src>... CORPUS <seed dir> [RUNS <n>] [MAX_LEN <n>])
# A libFuzzer binary (ASan+UBSan). Library sources under test should be
# listed in SOURCES so they get coverage instrumentation. Registers the
# CTest entry fuzz.<name>: a bounded, seeded run over the committed seeds
# (new inputs land in the build tree; the seed dir stays read-only). Run
# the binary directly for open-ended fuzzing.
function(capos_fuzz_target name)
  cmake_parse_arguments(A "" "CORPUS;RUNS;MAX_LEN" "SOURCES" ${ARGN})
  if(NOT A_RUNS)
    set(A_RUNS 20000)
  endif()
  if(NOT A_MAX_LEN)
    set(A_MAX_LEN 4096)
  endif()
  set(flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
  add_executable(${name}_fuzz ${A_SOURCES})
  target_include_directories(${name}_fuzz PRIVATE ${CAPOS_ROOT} ${CMAKE_BINARY_DIR}/generated)
  target_compile_options(${name}_fuzz PRIVATE ${flags} ${CAPOS_HOST_WARNINGS})
  target_link_options(${name}_fuzz PRIVATE ${flags})
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
  file(MAKE_DIRECTORY ${work})
  add_test(NAME fuzz.${name}
    COMMAND ${name}_fuzz -runs=${A_RUNS} -seed=1 -max_len=${A_MAX_LEN} -print_final_stats=1
            ${work} ${A_CORPUS})
  # A fixed run count (deterministic work); the timeout only guards a hang
  # and leaves room for a loaded machine (25 s alone, 2-4x that under load).
  set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 300)
endfunction()

# capos_capnp_generate(<target> SCHEMAS <file.capnp>... [SRC_PREFIX <dir>] [IMPORT_DIRS <dir>...])
# Runs `capnp compile` with our plugin (tools/capnpc-capos) at build time.
# Each schema <SRC_PREFIX>/<rel>.capnp yields
# ${CMAKE_BINARY_DIR}/generated/<rel>.capnp.capos.h plus its C binding
# <rel>.capnp.capos_c.h/.cpp (SRC_PREFIX defaults to
# the source root, so schema/kernel.capnp -> "schema/kernel.capnp.capos.h").
# <target> is an INTERFACE library carrying the include paths and the
# build dependency; link it and include the header.
function(capos_capnp_generate target)
  cmake_parse_arguments(A "" "SRC_PREFIX" "SCHEMAS;IMPORT_DIRS" ${ARGN})
  if(NOT A_SRC_PREFIX)
    set(A_SRC_PREFIX ${CAPOS_ROOT})
  endif()
  set(out_dir ${CMAKE_BINARY_DIR}/generated)
  set(outputs)
  foreach(s ${A_SCHEMAS})
    get_filename_component(abs ${s} ABSOLUTE)
    file(RELATIVE_PATH rel ${A_SRC_PREFIX} ${abs})
    # The C binding (docs/libcapos.md) comes from the same run.
    list(APPEND outputs ${out_dir}/${rel}.capos.h ${out_dir}/${rel}.capos_c.h ${out_dir}/${rel}.capos_c.cpp)
  endforeach()
  set(imports)
  foreach(d ${A_IMPORT_DIRS})
    list(APPEND imports -I${d})
  endforeach()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND capnp compile ${imports} --src-prefix=${A_SRC_PREFIX}
            -o$<TARGET_FILE:capnpc-capos>:${out_dir} ${A_SCHEMAS}
    DEPENDS ${A_SCHEMAS} capnpc-capos
    COMMENT "capnpc-capos: ${target}"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${outputs})
  add_library(${target} INTERFACE)
  target_include_directories(${target} INTERFACE ${CAPOS_ROOT} ${out_dir})
  add_dependencies(${target} ${target}_gen)
endfunction()
