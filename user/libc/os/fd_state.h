// The process's fd table and pipes, and the one lock that guards them
// (and the Directory/File client's static message buffers, so every
// file call happens under it). Shared by os/fd_ops.cpp (fd-level calls)
// and os/fs_paths.cpp (path-level calls). Blocking pipe I/O waits on the
// condition variable, which drops the lock; console reads happen outside
// it.
#pragma once

#include "lib/core/thread_safety.h"
#include "user/libc/os/fd_table.h"
#include "user/rt/sync.h"

namespace capos::libc {

class CAPOS_CAPABILITY("mutex") FdLock {
 public:
  void lock() CAPOS_ACQUIRE() { m_.lock(); }
  void unlock() CAPOS_RELEASE() { m_.unlock(); }
  // Waits for a pipe change (spurious wakeups possible: loop).
  void wait() CAPOS_REQUIRES(this) { cv_.wait(m_); }
  void wake_all() { cv_.broadcast(); }

 private:
  rt::Mutex m_;
  rt::CondVar cv_;
};

class CAPOS_SCOPED_CAPABILITY FdGuard {
 public:
  explicit FdGuard(FdLock& l) CAPOS_ACQUIRE(l) : l_(l) { l_.lock(); }
  ~FdGuard() CAPOS_RELEASE() { l_.unlock(); }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;

 private:
  FdLock& l_;
};

constexpr uint32_t kPipes = 16;

// A pipe whose other end went to a spawned child: its bytes travel over
// the child's ByteStream (os/streams.h) instead of the local buffer.
struct RemoteEnd {
  bool set = false;
  bool parent_reads = false;  // the child writes (dup2(p[1], N) in the file actions)
  uint32_t cap = 0;           // the ByteStream client facet
};

struct FdState {
  FdTable table;
  PipeBuffer pipes[kPipes];
  RemoteEnd remote[kPipes];
  bool stdio_ready = false;
};

extern FdLock g_fd_lock;

// fds on a shell's StdIO (os/terminal.cpp): line-based reads.
Result<size_t, Errno> terminal_read(uint32_t cap, uint8_t* buf, size_t n);
Result<size_t, Errno> terminal_write(uint32_t cap, const uint8_t* buf, size_t n);
// The state, with fds 0-2 set up on first use.
FdState& fd_state() CAPOS_REQUIRES(g_fd_lock);
// Releases what a description held once its last fd is gone.
void release_file(FdState& s, const OpenFile& f) CAPOS_REQUIRES(g_fd_lock);

}  // namespace capos::libc
