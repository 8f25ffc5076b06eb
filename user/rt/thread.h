// rt::Thread: start a function on a new thread of this program and join
// it. Needs the program's ThreadSpawner and ThreadControl grants (the
// first of each in the CapSet). Each thread gets its own stack, TLS block
// (built from the program's PT_TLS image, docs/threads.md) and runtime
// state (ring, call scratch), in one heap block freed at join.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::rt {

class Thread {
 public:
  using Fn = int64_t (*)(void* arg);
  static constexpr size_t DEFAULT_STACK = 32 * 1024;

  // Starts fn(arg). QuotaExceeded at the Threads quota; NotFound without
  // the grants.
  static Result<Thread> start(Fn fn, void* arg, size_t stack_bytes = DEFAULT_STACK);
  Thread() = default;
  Thread(Thread&& o);
  Thread& operator=(Thread&& o);
  Thread(const Thread&) = delete;
  ~Thread();  // without join: detached (its memory is reclaimed once it ends)

  // Waits for the thread to end; its function's return value.
  Result<int64_t> join();
  uint32_t id() const { return tid_; }
  bool joinable() const { return block_ != nullptr; }

  struct Block;  // the runtime's per-thread memory (thread.cpp)

 private:
  Cap<schema::wire::ThreadHandle> handle_;
  uint32_t tid_ = 0;
  Block* block_ = nullptr;
};

// Ends the calling thread with `code` (the last thread's exit ends the
// program). Needs ThreadControl; without it the whole program exits.
[[noreturn]] void exit_thread(int64_t code);
// The calling thread's kernel id (ThreadControl.currentThread, cached).
Result<uint32_t> thread_id();

}  // namespace capos::rt
