// netd's end of a TcpSocket's shared buffers (TcpSocket.buffers and sync,
// schema/net.capnp; layout lib/net/stream_ring.h; docs/net.md "Shared
// socket buffers"): the MemoryObject from netd's FrameAllocator, netd's
// mapping of it, and the pump that moves bytes between the rings and the
// connection's TCP buffers on every pass of netd's loop.
#pragma once

#include "lib/net/stream_ring.h"
#include "lib/net/tcp_conn.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::drivers {

class SharedStream {
 public:
  bool active() const { return rings_ != nullptr; }
  // Allocates and maps the rings; the MemoryObject cap to hand a copy of
  // to the client is memory().
  Status open(rt::Cap<schema::wire::FrameAllocator> frames);
  uint32_t memory() const { return mo_; }
  // Unmaps and releases netd's copy (the client keeps its own).
  void close();

  struct Moved {
    bool any = false;  // bytes moved either way (the window or the send queue changed)
  };
  // Takes what the client queued in tx (as much as the send buffer
  // holds), puts received bytes into rx, and once the connection has
  // nothing more to deliver writes the stream's end after the last byte.
  // Corrupt: the client's index is impossible (the caller resets).
  Result<Moved> pump(net::TcpConnection& conn);
  // For sync's waits: rx holds bytes or the end is written; tx has room.
  bool readable() const;
  bool tx_has_room() const;
  // Whether tx still holds bytes netd has not taken (shutdown waits).
  bool tx_pending() const;
  // Whether the end of the stream has been written into the region.
  bool end_written() const { return end_ != net::StreamEnd::Open; }
  // The connection was reset or timed out: tell the client.
  void mark_reset();

 private:
  uint32_t mo_ = 0;
  net::StreamRings* rings_ = nullptr;
  net::StreamProducer rx_;
  net::StreamConsumer tx_;
  net::StreamEnd end_ = net::StreamEnd::Open;
};

}  // namespace capos::drivers
