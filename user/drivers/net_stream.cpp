#include "user/drivers/net_stream.h"

#include "user/rt/caps_call.h"
#include "user/rt/memory_map.h"

namespace capos::drivers {

namespace wire = schema::wire;

Status SharedStream::open(rt::Cap<wire::FrameAllocator> frames) {
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = CAPOS_TRY(wire::FrameAllocator::Client::allocateParams(params));
  p.setPageCount(static_cast<uint32_t>(net::STREAM_RINGS_PAGES));
  auto mo = CAPOS_TRY(rt::call_for_cap<wire::MemoryObject>(
      frames, static_cast<uint16_t>(wire::FrameAllocator::Method::ALLOCATE), params, resp));
  auto at = rt::map_memory(mo, sizeof(net::StreamRings));
  if (!at) {
    rt::release_cap(mo);
    return fail(at.error());
  }
  // Fresh frames are zeroed; the header makes the region recognisable.
  rings_ = static_cast<net::StreamRings*>(*at);
  net::init_stream_rings(*rings_);
  mo_ = mo.id();
  rx_ = net::StreamProducer::rx(*rings_);
  tx_ = net::StreamConsumer::tx(*rings_);
  end_ = net::StreamEnd::Open;
  return {};
}

void SharedStream::close() {
  if (!rings_) return;
  auto mo = rt::Cap<wire::MemoryObject>::unchecked(mo_);
  (void)rt::unmap_memory(mo, rings_);  // failing leaves a mapping of netd's own; nothing the client can use
  rt::release_cap(mo);
  rings_ = nullptr;
  mo_ = 0;
}

Result<SharedStream::Moved> SharedStream::pump(net::TcpConnection& conn) {
  Moved m;
  net::RingPieces out = CAPOS_TRY(tx_.ready());
  if (out.size() > 0 && conn.writable()) {
    size_t took = conn.write(out.first);
    if (took == out.first.size() && out.second.size() > 0) took += conn.write(out.second);
    tx_.consume(took);
    m.any |= took > 0;
  }
  for (int pass = 0; pass < 2; ++pass) {
    net::RingPieces room = CAPOS_TRY(rx_.room());
    size_t n = room.first.size() ? conn.read(room.first) : 0;
    if (n == room.first.size() && room.second.size() > 0) n += conn.read(room.second);
    rx_.commit(n);
    m.any |= n > 0;
    if (conn.readable() == 0) break;
    // Bytes wait for room: ask the client to wake us once it freed some,
    // then look once more (it may have freed room before it saw the flag).
    __atomic_store_n(&rings_->rx_blocked.value, 1u, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
  }
  if (end_ == net::StreamEnd::Open && conn.eof()) {
    end_ = net::StreamEnd::Eof;
    __atomic_store_n(&rings_->rx_end.value, static_cast<uint32_t>(end_), __ATOMIC_RELEASE);
  }
  return m;
}

void SharedStream::mark_reset() {
  if (!rings_ || end_ != net::StreamEnd::Open) return;
  end_ = net::StreamEnd::Reset;
  __atomic_store_n(&rings_->rx_end.value, static_cast<uint32_t>(end_), __ATOMIC_RELEASE);
}

bool SharedStream::readable() const {
  if (end_ != net::StreamEnd::Open) return true;
  auto q = rx_.queued();
  return !q.ok() || *q > 0;  // an impossible index: answer, the pump resets
}

bool SharedStream::tx_has_room() const {
  auto r = tx_.ready();
  return !r.ok() || r->size() < net::STREAM_RING_BYTES;
}

bool SharedStream::tx_pending() const {
  auto r = tx_.ready();
  return r.ok() && r->size() > 0;
}

}  // namespace capos::drivers
