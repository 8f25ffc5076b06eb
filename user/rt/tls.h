// The program's TLS image as the linker laid it out (user/rt/user.ld) and
// the variant II block the runtime builds from it for each new thread.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos::rt::tls {

struct Layout {
  uint64_t file_size;  // initialised bytes (.tdata)
  uint64_t mem_size;   // plus zeroed (.tbss)
  uint64_t align;      // PT_TLS alignment (the TCB is aligned to max(align, 16))
  uint64_t block;      // mem_size rounded up to align: TCB - block start
};
Layout layout();
// Bytes a block needs, slack for alignment included.
size_t block_bytes();
// Builds the block in `mem` (block_bytes() long); returns the TCB address
// (the thread's FS base). The canary is the calling thread's.
uint64_t build(void* mem);
// True when the initial thread's TCB sits where the loader must have put
// it for this layout (checked once at start).
bool initial_matches();

}  // namespace capos::rt::tls
