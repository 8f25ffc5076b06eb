#include "user/libc/os/streams.h"

#include "user/libc/os/stream_client.h"

#include "lib/abi/ipc.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/posix.capnp.capos.h"
#include "user/libc/os/fd_state.h"
#include "user/libc/os/spawn_api.h"
#include "user/rt/caps_call.h"
#include "user/rt/ring.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"

namespace capos::libc {

namespace {

namespace wire = schema::wire;
using Method = wire::ByteStream::Method;

// A ByteStream call is at most one chunk plus framing.
constexpr size_t kRecvBytes = sizeof(abi::EndpointMessageHeader) + wire::MAX_STREAM_CHUNK_BYTES + 512;

struct Served {
  bool used = false;
  uint32_t ep = 0;
  bool posted = false;  // a RECV is in flight
  bool dead = false;    // RECV failed for good (the endpoint is gone)
  uint64_t recv_ud = 0;
  bool peer_closed = false;  // the parent closed its end (ByteStream.close)
  PipeBuffer in, out;        // bytes from the parent / for the parent
  alignas(16) uint8_t recv[kRecvBytes];
  int32_t held_len = 0;  // a call not answered yet (0: none)
  alignas(16) uint8_t held[kRecvBytes];
};

FdLock g_stream_lock;
Served g_served[kServedStreams] CAPOS_GUARDED_BY(g_stream_lock);
rt::Ring* g_pump_ring CAPOS_GUARDED_BY(g_stream_lock) = nullptr;  // RECVs complete on one thread's ring

// Answers the calls of the stream being served.
class StreamServer final : public wire::ByteStream::Server {
 public:
  explicit StreamServer(Served& s) : s_(s) {}
  Status write(wire::ByteStream::WriteParams::Reader p, wire::ByteStream::WriteResults::Builder) override {
    Bytes d = CAPOS_TRY(p.getData());
    if (d.size() == 0 || d.size() > wire::MAX_STREAM_CHUNK_BYTES) return fail(Err::InvalidArgument);
    if (s_.in.space() < d.size()) {
      rt::set_error_message("the child is not reading this stream");
      return fail(Err::Failed);
    }
    (void)s_.in.write(d.data(), d.size());  // fits: checked above
    return {};
  }
  Status read(wire::ByteStream::ReadParams::Reader p, wire::ByteStream::ReadResults::Builder r) override {
    uint32_t max = p.getMaxBytes();
    if (max == 0 || max > wire::MAX_STREAM_CHUNK_BYTES) return fail(Err::InvalidArgument);
    uint8_t chunk[wire::MAX_STREAM_CHUNK_BYTES];
    size_t n = s_.out.read(chunk, max);
    return r.setData(Bytes(chunk, n));
  }
  Status close(wire::ByteStream::CloseParams::Reader, wire::ByteStream::CloseResults::Builder) override {
    s_.peer_closed = true;
    s_.out = PipeBuffer();  // nobody will read it
    return {};
  }

 private:
  Served& s_;
};

uint16_t method_of(const uint8_t* msg) {
  return reinterpret_cast<const abi::EndpointMessageHeader*>(msg)->method_id;
}

// Answers one received call (dispatch + RETURN).
void answer(Served& s, const uint8_t* msg, int32_t len) {
  StreamServer server(s);
  abi::CapSqe ret = rt::handle_call(s.ep, msg, len, server);
  abi::CapCqe done = rt::ring().call(ret);
  (void)rt::finish_return(ret, *reinterpret_cast<const abi::EndpointMessageHeader*>(msg), done);
}

// A call that cannot be answered yet is held: a read with nothing to
// hand over, a write while earlier input is still unread.
bool must_hold(const Served& s, uint16_t method) {
  if (method == static_cast<uint16_t>(Method::READ)) return s.out.size() == 0;
  if (method == static_cast<uint16_t>(Method::WRITE)) return s.in.size() > 0;
  return false;
}

void release_held(Served& s) {
  if (s.held_len == 0 || must_hold(s, method_of(s.held))) return;
  int32_t len = s.held_len;
  s.held_len = 0;
  answer(s, s.held, len);
}

void post(Served& s) {
  if (s.posted || s.dead) return;
  abi::CapSqe recv{};
  recv.opcode = abi::CAP_OP_RECV;
  recv.cap_id = s.ep;
  recv.result_addr = reinterpret_cast<uint64_t>(s.recv);
  recv.result_len = sizeof s.recv;
  recv.user_data = rt::ring().next_user_data();
  while (!rt::ring().push(recv)) (void)rt::ring().enter(0, abi::CAP_ENTER_NO_WAIT);
  s.recv_ud = recv.user_data;
  s.posted = true;
}

// Serves every stream until `done()` holds. Fails when the ring breaks
// or the streams are used from a second thread.
template <class Done>
Status pump(Done done) CAPOS_REQUIRES(g_stream_lock) {
  if (g_pump_ring == nullptr) g_pump_ring = &rt::ring();
  if (g_pump_ring != &rt::ring()) return fail(Err::Unsupported);
  for (;;) {
    for (Served& s : g_served)
      if (s.used) release_held(s);
    if (done()) return {};
    uint64_t mark = rt::ring().stash_mark();
    bool any = false;
    for (Served& s : g_served) {
      if (!s.used) continue;
      post(s);
      abi::CapCqe c;
      if (!rt::ring().try_take(s.recv_ud, &c)) continue;
      s.posted = false;
      any = true;
      if (c.result < 0) {
        // One bad call (its params vanished, a queue was full) spoils
        // only that call; anything else ends the stream.
        bool per_call = c.result == abi::CAP_ERR_INVALID_PARAMS_BUFFER || c.result == abi::CAP_ERR_QUOTA_EXCEEDED ||
                        c.result == abi::CAP_ERR_OVERLOADED || c.result == abi::CAP_ERR_INVALID_TRANSFER;
        if (!per_call) s.dead = s.peer_closed = true;
        continue;
      }
      if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) continue;
      if (s.held_len == 0 && must_hold(s, method_of(s.recv))) {
        memcpy(s.held, s.recv, static_cast<size_t>(c.result));
        s.held_len = c.result;
      } else {
        answer(s, s.recv, c.result);
      }
    }
    if (!any) {
      if (auto r = rt::ring().wait_new(mark); !r) return fail(r.error());
    }
  }
}

}  // namespace

Result<uint32_t, Errno> stream_attach(uint32_t ep) {
  FdGuard g(g_stream_lock);
  for (uint32_t i = 0; i < kServedStreams; ++i) {
    if (g_served[i].used) continue;
    g_served[i].used = true;
    g_served[i].ep = ep;
    return i;
  }
  return fail(CAPOS_ENFILE);
}

Result<size_t, Errno> stream_read(uint32_t slot, uint8_t* buf, size_t n) {
  FdGuard g(g_stream_lock);
  Served& s = g_served[slot];
  if (n == 0) return size_t{0};
  if (!pump([&]() CAPOS_REQUIRES(g_stream_lock) { return s.in.size() > 0 || s.peer_closed; }))
    return fail(CAPOS_EIO);
  return s.in.read(buf, n);  // 0 at end of file
}

Result<size_t, Errno> stream_write(uint32_t slot, const uint8_t* buf, size_t n) {
  FdGuard g(g_stream_lock);
  Served& s = g_served[slot];
  size_t done = 0;
  while (done < n) {
    if (s.peer_closed) {
      if (done > 0) return done;
      return fail(CAPOS_EPIPE);
    }
    done += s.out.write(buf + done, n - done);
    if (done < n && !pump([&]() CAPOS_REQUIRES(g_stream_lock) { return s.out.space() > 0 || s.peer_closed; }))
      return fail(CAPOS_EIO);
  }
  return done;
}

void stream_close(uint32_t slot) {
  FdGuard g(g_stream_lock);
  Served& s = g_served[slot];
  (void)pump([&]() CAPOS_REQUIRES(g_stream_lock) { return s.out.size() == 0 || s.peer_closed; });
  rt::release_cap(s.ep);  // held and later calls fail disconnected: end of file / broken pipe
  if (s.posted) {
    abi::CapCqe c;
    while (!rt::ring().try_take(s.recv_ud, &c)) (void)rt::ring().enter(1);
  }
  s = Served();
}

extern "C" void capos_libc_streams_finish(void) { streams_finish(); }

void streams_finish() {
  FdGuard g(g_stream_lock);
  (void)pump([&]() CAPOS_REQUIRES(g_stream_lock) {
    for (const Served& s : g_served)
      if (s.used && s.out.size() > 0 && !s.peer_closed) return false;
    return true;
  });
}

// ---- The parent's side.

namespace {
FdLock g_client_lock;
StreamCallBuffers g_client CAPOS_GUARDED_BY(g_client_lock);
}  // namespace

Result<size_t, Errno> remote_read(uint32_t cap, uint8_t* buf, size_t n) {
  FdGuard g(g_client_lock);
  return bytestream_read(rt::transport(), cap, g_client, buf, n);
}

Result<size_t, Errno> remote_write(uint32_t cap, const uint8_t* buf, size_t n) {
  FdGuard g(g_client_lock);
  return bytestream_write(rt::transport(), cap, g_client, buf, n);
}

void remote_close(uint32_t cap) {
  {
    FdGuard g(g_client_lock);
    bytestream_close(rt::transport(), cap, g_client);  // a child already gone is fine
  }
  rt::release_cap(cap);
}

}  // namespace capos::libc
