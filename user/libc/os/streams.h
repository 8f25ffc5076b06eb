// Pipes that cross to a spawned child (schema/posix.capnp ByteStream).
// The child serves its end: each of its fds granted as `fd<N>` is the
// owner facet of a child-local endpoint, and it buffers up to 4 KiB each
// way. A read or write that cannot finish at once serves the calls of
// every such stream until it can, so a parent that writes the child's
// stdin while the child waits to hand over stdout never deadlocks against
// it. A call the child cannot answer yet (a read while its output is
// empty, a write while its input is full) is held and answered later.
// Before the child exits it serves reads until its output is empty.
// The parent is a plain client: its pipe end points at the client facet.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "user/libc/os/fd_api.h"

namespace capos::libc {

using Errno = capos_errno;

// ---- The child's side (served streams; one thread uses them).
constexpr uint32_t kServedStreams = 4;
// Starts serving endpoint `ep`; its slot.
Result<uint32_t, Errno> stream_attach(uint32_t ep);
Result<size_t, Errno> stream_read(uint32_t slot, uint8_t* buf, size_t n);
Result<size_t, Errno> stream_write(uint32_t slot, const uint8_t* buf, size_t n);
// Hands over what is buffered, then lets the endpoint go.
void stream_close(uint32_t slot);
// At exit: every stream's output is handed over (or its reader is gone).
void streams_finish();

// ---- The parent's side (the client facet of a child's stream).
// 0 bytes: end of file (the child closed its end or exited).
Result<size_t, Errno> remote_read(uint32_t cap, uint8_t* buf, size_t n);
// EPIPE once the child is gone or closed its end.
Result<size_t, Errno> remote_write(uint32_t cap, const uint8_t* buf, size_t n);
// Tells the child this end is closed and releases the cap.
void remote_close(uint32_t cap);

}  // namespace capos::libc
