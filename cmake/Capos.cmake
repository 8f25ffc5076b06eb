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
  -Wall -Wextra -Werror -Wno-unused-parameter)

set(CAPOS_KERNEL_FLAGS ${CAPOS_FREESTANDING_FLAGS}
  -mcmodel=kernel -mno-sse -mno-sse2 -mno-mmx -mno-80387 -mgeneral-regs-only)

set(CAPOS_USER_FLAGS ${CAPOS_FREESTANDING_FLAGS})

set(CAPOS_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer)

set(CAPOS_HOST_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)

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
