// What each thread of a program has for itself: its ring (Ring v2: one
// per thread), the scratch buffer CALL params are encoded into, and the
// last CapException message. Reached through a thread_local pointer (the
// loader builds the initial thread's TLS; rt::Thread builds the others').
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/abi/ipc.h"
#include "user/rt/ring.h"

namespace capos::rt {

class RingTransport;

// All zero-initialised, so the initial thread's instance is .bss (no
// file bytes for the loader to copy). The generated clients' transport
// has a vtable and lives beside it (rt::transport()).
struct ThreadState {
  Ring ring;
  alignas(8) uint8_t params[abi::IPC_MESSAGE_MAX];
  char exception[128];
  size_t exception_len = 0;
  uint32_t tid = 0;  // 0 for the initial thread until asked (ThreadControl)
};

ThreadState& self();
// Binds the calling thread to `st` and `tr` (thread entry).
void bind_thread_state(ThreadState* st, RingTransport* tr);

}  // namespace capos::rt
