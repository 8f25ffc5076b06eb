// The fd table's bookkeeping, without any I/O (host-tested): fds are
// slots pointing at open file descriptions (what open() creates; dup()
// shares one, with its offset), each counted by the fds that refer to it.
// Closing the last fd of a description hands it back to the caller, who
// then releases what it holds (a File cap, a pipe end). Pipe bytes live in
// a PipeBuffer. Single-threaded: os/fd_ops.cpp holds its lock around every
// call.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "user/libc/os/fd_api.h"

namespace capos::libc {

using Errno = capos_errno;

// StreamServed: a pipe end a parent granted to this process (`fd<N>`,
// os/streams.h); `pipe` is its stream slot. TermIn/TermOut: the shell's
// StdIO (`cap`), os/terminal.cpp.
// Socket: a TCP socket (os/sockets.cpp); `cap` is its TcpListener or
// TcpSocket once it has one, `sock` its state (os/sock_state.h).
enum class FdKind : uint8_t { ConsoleIn, ConsoleOut, File, Dir, PipeRead, PipeWrite, StreamServed, TermIn, TermOut, Socket };

struct OpenFile {
  FdKind kind = FdKind::ConsoleOut;
  uint32_t flags = 0;     // CAPOS_OPEN_*
  uint32_t cap = 0;       // File or Dir: the cap id
  bool owns_cap = false;  // false for a granted directory: never closed by us
  uint32_t pipe = 0;      // PipeRead/PipeWrite: the pipe's slot
  uint64_t offset = 0;    // File: the position; Dir: the list cursor
  bool dir_end = false;   // Dir: the listing is exhausted
  uint8_t sock = 0;       // Socket: its SockState
  bool rd_shut = false;   // Socket: shutdown(SHUT_RD): reads see end of file
  bool wr_shut = false;   // Socket: shutdown(SHUT_WR): writes are EPIPE
  uint16_t port = 0;      // Socket: the bound or listening local port
  uint32_t peer = 0;      // Socket, connected: the peer's address and port
  uint16_t peer_port = 0;
  uint64_t shared = 0;    // Socket, connected: its mapped shared buffers (net::StreamRings*), 0: data in messages
  uint32_t shared_mem = 0;  // ... and the MemoryObject cap they are mapped from
};

// What close/dup2 dropped: `last` when it was the description's last fd.
struct Dropped {
  bool last;
  OpenFile file;
};

class FdTable {
 public:
  static constexpr int kFds = 64;
  static constexpr uint32_t kFiles = 64;

  FdTable();
  // A new description at the lowest free fd >= min_fd. EMFILE when no fd
  // is free, ENFILE when no description is, EINVAL for a bad min_fd.
  Result<int, Errno> open(const OpenFile& f, int min_fd = 0);
  // The description of `fd`; EBADF for a closed or out-of-range fd.
  Result<OpenFile*, Errno> get(int fd);
  // Another fd (lowest free >= min_fd) for the same description.
  Result<int, Errno> dup(int fd, int min_fd);
  // Makes `to` refer to `from`'s description, closing `to` first (nothing
  // happens when from == to). Returns what `to` held before.
  Result<Dropped, Errno> dup2(int from, int to);
  Result<Dropped, Errno> close(int fd);
  bool is_open(int fd) const { return fd >= 0 && fd < kFds && slot_[fd] >= 0; }
  uint32_t refs_of(int fd) const { return is_open(fd) ? refs_[slot_[fd]] : 0; }
  uint32_t open_files() const;

 private:
  Result<int, Errno> free_fd(int min_fd) const;
  Dropped drop(int fd);

  int16_t slot_[kFds];  // -1: closed; else an index into files_
  OpenFile files_[kFiles];
  uint32_t refs_[kFiles];
};

// A pipe's bytes in flight: a ring of kCapacity bytes, and how many open
// descriptions each end has (no reader left: writes fail with EPIPE; no
// writer left and empty: reads see end of file).
class PipeBuffer {
 public:
  static constexpr size_t kCapacity = 4096;
  // Bytes accepted (fewer than n when the ring fills up).
  size_t write(const uint8_t* p, size_t n);
  // Bytes taken (fewer than n when it runs empty).
  size_t read(uint8_t* p, size_t n);
  size_t size() const { return size_; }
  size_t space() const { return kCapacity - size_; }

  uint32_t readers = 0, writers = 0;

 private:
  uint8_t buf_[kCapacity];
  size_t head_ = 0;  // next byte to read
  size_t size_ = 0;
};

}  // namespace capos::libc
