// libcapos: the userspace runtime. A program defines `int main()`; the
// runtime has already attached the ring and the CapSet, and exit()s with
// main's return value.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"
#include "user/rt/capset.h"
#include "user/rt/ring.h"
#include "user/rt/syscall.h"

namespace capos::rt {

// Exit status of a process that called rt::panic (ABI: docs/abi.md).
constexpr int64_t PANIC_EXIT_STATUS = 101;

uint32_t pid();
[[noreturn]] void panic(StrView msg);

void* malloc(size_t n);
void free(void* p);

}  // namespace capos::rt

int main();
