// The client's end of a TcpSocket's shared buffers (TcpSocket.buffers and
// sync, schema/net.capnp; layout lib/net/stream_ring.h; docs/net.md
// "Shared socket buffers"): reads take bytes out of `rx` and writes put
// them into `tx` in shared memory; a call is made only to wait (rx empty,
// tx full), to hand netd what was written, and to reopen the window after
// netd said it is blocked. Over any capnp::Transport: the ring in a
// program, a LoopbackTransport with a fake netd in host.TcpShared.*.
//
// What netd writes is checked like any peer's input: an impossible index
// is Err::Corrupt and moves nothing. Each operation picks its own index up
// from the region, so a TcpShared can be made per call; threads sharing a
// socket pass locks, under which the ring operations run (the waits run
// outside them).
#pragma once

#include "lib/capnp/rpc.h"
#include "lib/core/result.h"
#include "lib/net/stream_ring.h"

namespace capos::net_client {

// Serialises the readers (or the writers) of one socket between threads.
class RingLock {
 public:
  virtual void lock() = 0;
  virtual void unlock() = 0;

 protected:
  ~RingLock() = default;
};

class TcpShared {
 public:
  // `rings`: the socket's region, already mapped (open_tcp_shared in a
  // program). `sock`: the TcpSocket cap, for sync. The locks may be null
  // (one thread).
  TcpShared(capnp::Transport& t, uint64_t sock, net::StreamRings& rings, RingLock* rx_lock = nullptr,
            RingLock* tx_lock = nullptr);
  // Up to out.size() bytes, waiting until at least one arrived; 0 at the
  // end of the stream. Disconnected: reset or timed out. Corrupt: netd's
  // index is impossible.
  Result<size_t> read(MutBytes out);
  // Every byte of `data`, waiting for room as needed; errors as for read.
  Status write(Bytes data);
  // Bytes waiting in rx (no call).
  size_t buffered() const;

 private:
  Status sync(bool readable, bool writable);

  capnp::Transport& t_;
  uint64_t sock_;
  net::StreamRings& rings_;
  RingLock* rx_lock_;
  RingLock* tx_lock_;
};

}  // namespace capos::net_client

// In a program (the ring transport): asking netd for a socket's shared
// buffers and mapping them (user/net/tcp_shared_open.cpp).
#include "schema/memory.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::net_client {

struct SharedMapping {
  rt::Cap<schema::wire::MemoryObject> memory{};
  net::StreamRings* rings = nullptr;
};
// TcpSocket.buffers, then map and check the region. Unsupported: netd
// has no memory for them (keep using read and write).
Result<SharedMapping> open_tcp_shared(rt::Cap<schema::wire::TcpSocket> sock);
// Unmaps and releases our copy.
void close_tcp_shared(SharedMapping& m);

}  // namespace capos::net_client
