// Which of posix_spawn's dup2 file actions become pipes to the child
// (pure logic over the fd table, host-tested): only the child's fds 0-2
// can be given; each target once; a console fd needs nothing (the child
// has its own console); a pipe end becomes a ByteStream the child serves
// (os/streams.h) — once per pipe, and not for a pipe that already reaches
// another child; anything else (a file, a directory) is EINVAL.
#pragma once

#include "user/libc/os/fd_table.h"
#include "user/libc/os/spawn_api.h"

namespace capos::libc {

struct StreamGrant {
  int to;             // the child's fd
  uint32_t pipe;      // the parent's pipe slot
  bool parent_reads;  // the child writes it (a write end was given)
};

// `pipe_remote[i]`: pipe i already reaches a child. Fills out[0..3).
Result<uint32_t, Errno> plan_streams(FdTable& table, const bool* pipe_remote, uint32_t n_pipes,
                                     const capos_spawn_dup* dups, uint32_t n, StreamGrant out[3]);

}  // namespace capos::libc
