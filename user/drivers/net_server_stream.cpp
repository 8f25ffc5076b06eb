// netd's TcpSocket calls for shared buffers (schema/net.capnp: buffers,
// sync, and shutdown once data moves through the rings) and the pump
// that runs on every pass of the loop for each such socket. docs/net.md
// "Shared socket buffers".
#include "schema/net.capnp.capos.h"
#include "user/drivers/net_reply.h"
#include "user/drivers/net_server.h"
#include "user/rt/console.h"

namespace capos::drivers {

namespace wire = schema::wire;
using namespace net_reply;

bool NetServer::pump_stream(Object& o, uint64_t now) {
  auto c = stack_.tcp(o.h);
  if (!c.ok()) return false;
  auto moved = o.stream.pump(**c);
  if (!moved) {
    // The client wrote an impossible index: it can only have broken its
    // own connection, which ends here.
    (*c)->abort();
    o.stream.mark_reset();
    stack_.flush(now);
    return true;
  }
  if (moved->any) stack_.flush(now);  // the window opened or data is queued
  return moved->any;
}

bool NetServer::handle_socket_shared(Object& o, net::TcpConnection& conn, bool dead, uint64_t now) {
  const auto& h = header(o.recv);
  capnp::StreamReader<4> msg;
  auto root = params_root(o.recv, msg);
  if (!root) return reply_error(o.ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message"), true;
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  switch (h.method_id) {
    case 2: {  // shutdown: every byte the client queued goes before the FIN
      if (dead) return reply_error(o.ep, h, Err::Disconnected, "connection reset or timed out"), true;
      if (o.stream.tx_pending()) {
        if (!pump_stream(o, now) || o.stream.tx_pending()) return false;
      }
      conn.shutdown();
      stack_.flush(now);
      if (!wire::TcpSocket::ShutdownResults::initRoot(mb)) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    case 5: {  // buffers
      if (o.stream.active()) return reply_error(o.ep, h, Err::InvalidArgument, "this socket already has shared buffers"), true;
      if (!has_frames_) return reply_error(o.ep, h, Err::Unsupported, "netd has no memory for shared buffers"), true;
      if (dead) return reply_error(o.ep, h, Err::Disconnected, "connection reset or timed out"), true;
      if (Status st = o.stream.open(frames_); !st)
        return reply_error(o.ep, h, Err::Unsupported, "no memory for shared buffers"), true;
      static bool told = false;  // once per boot: tests look for it
      if (!told) rt::print("netd: TcpSocket data through shared buffers\n");
      told = true;
      (void)pump_stream(o, now);  // bytes already received move into rx now
      auto r = wire::TcpSocket::BuffersResults::initRoot(mb);
      if (!r) {
        o.stream.close();
        return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      }
      r->setBuffers(0);
      abi::CapTransferDesc d{o.stream.memory(), abi::XFER_COPY, {0, 0, 0}};
      reply(o.ep, h, mb.framed(), false, &d);
      return true;
    }
    case 6: {  // sync
      if (!o.stream.active()) return reply_error(o.ep, h, Err::InvalidArgument, "this socket has no shared buffers"), true;
      auto p = wire::TcpSocket::SyncParams::Reader(*root);
      (void)pump_stream(o, now);
      if (dead || conn.state() == net::TcpState::Closed) {
        if (dead || !o.stream.end_written()) {
          o.stream.mark_reset();
          return reply_error(o.ep, h, Err::Disconnected, "connection reset or timed out"), true;
        }
      }
      if (p.getWaitReadable() && !o.stream.readable()) return false;
      if (p.getWaitWritable() && !o.stream.tx_has_room()) return false;
      if (!wire::TcpSocket::SyncResults::initRoot(mb)) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    default: return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
  }
}

}  // namespace capos::drivers
