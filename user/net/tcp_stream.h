// A TcpSocket's bytes for a program that only reads and writes them (the
// shell's `fetch`, tlsd): through the socket's shared buffers when netd
// offers them (TcpShared, docs/net.md "Shared socket buffers"), else
// through read/write messages. One thread per stream.
#pragma once

#include "schema/net.capnp.capos.h"
#include "user/net/tcp_shared.h"
#include "user/rt/cap.h"

namespace capos::net_client {

class TcpStream {
 public:
  // Asks netd for shared buffers on `sock` (which stays the caller's);
  // keeps to messages when netd has none (Unsupported). Other errors:
  // the socket is not usable.
  Status open(rt::Cap<schema::wire::TcpSocket> sock);
  // Up to out.size() bytes, waiting for at least one; 0 at the end of
  // the stream. Disconnected: reset or timed out.
  Result<size_t> read(MutBytes out);
  // Every byte of `data`.
  Status write(Bytes data);
  bool shared() const { return map_.rings != nullptr; }
  // Unmaps the shared buffers (the socket cap stays the caller's).
  void close();

 private:
  rt::Cap<schema::wire::TcpSocket> sock_{};
  SharedMapping map_{};
};

}  // namespace capos::net_client
