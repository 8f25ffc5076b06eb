// tlsd: TLS for capOS (docs/tls.md). Serves TlsConnector ("connector")
// and TlsAcceptor ("acceptor") on the endpoints its manifest grants, and
// one TlsStream endpoint per session it hands out. The sessions run
// BearSSL (tls_engine.c) over the TcpSocket capabilities callers pass in.
// The trust store ("tls.trust": concatenated DER CA certificates), the
// server chain ("tls.chain") and key ("tls.key", DER EC key) are data
// binaries of the boot package read through "boot"; the key never leaves
// this process. Entropy comes from "random" (EntropySource).
#include "lib/abi/ring.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/manifest.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "schema/tls.capnp.capos.h"
#include "user/rt/boot_package.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/recv_wait.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/tls/der_list.h"
#include "user/tls/tls_engine.h"

using namespace capos;
namespace wire = capos::schema::wire;

#ifndef CAPOS_TLS_CLOCK_FLOOR
#error "the build sets CAPOS_TLS_CLOCK_FLOOR (user/tls/CMakeLists.txt)"
#endif

namespace {

// ---- Objects: the granted factories and one stream per session.

enum class Kind : uint8_t { Free, Connector, Acceptor, Stream };
struct Object {
  Kind kind = Kind::Free;
  uint32_t ep = 0;        // owner facet
  bool armed = false;     // a RECV is posted
  bool closing = false;   // drop after this call's RETURN
  uint64_t recv_ud = 0;
  uint32_t sock = 0;      // Stream: the TcpSocket
  int slot = -1;          // Stream: tls_engine session
};
constexpr uint32_t kMaxObjects = 2 + CAPOS_TLS_MAX_SESSIONS;
Object g_objects[kMaxObjects];
alignas(16) uint8_t g_recv[kMaxObjects][abi::RECV_BUFFER_MAX];
uint32_t g_current = 0;
// A stream made during the current call (its client facet moved to the
// caller): undone if the RETURN cannot deliver it.
int32_t g_made = -1;
uint32_t g_made_client = 0;

rt::Cap<wire::EndpointFactory> g_eps;
rt::Cap<wire::EntropySource> g_random;

int32_t free_object() {
  for (uint32_t i = 0; i < kMaxObjects; ++i)
    if (g_objects[i].kind == Kind::Free) return static_cast<int32_t>(i);
  return -1;
}

// ---- Calls tlsd makes (netd's TcpSocket, EntropySource, EndpointFactory).

struct IoCall {
  alignas(8) uint8_t pbuf[wire::MAX_TCP_WRITE_BYTES + 256];
  alignas(8) uint8_t rbuf[wire::MAX_TCP_READ_BYTES + 256];
};
IoCall g_io;

// The transport under BearSSL: `ctx` is the Object of the stream.
int sock_read(void* ctx, unsigned char* buf, size_t len) {
  auto* o = static_cast<Object*>(ctx);
  wire::TcpSocket::Client c(&rt::transport(), rt::Cap<wire::TcpSocket>::unchecked(o->sock));
  capnp::FixedMessageBuilder p(MutBytes(g_io.pbuf, sizeof(g_io.pbuf)));
  auto rp = wire::TcpSocket::Client::readParams(p);
  if (!rp) return -1;
  rp->setMaxBytes(static_cast<uint32_t>(len < wire::MAX_TCP_READ_BYTES ? len : wire::MAX_TCP_READ_BYTES));
  capnp::Response r(MutBytes(g_io.rbuf, sizeof(g_io.rbuf)));
  auto res = c.read(p, r);
  if (!res || res->getEof()) return -1;
  auto data = res->getData();
  if (!data || data->empty() || data->size() > len) return -1;
  memcpy(buf, data->data(), data->size());
  return static_cast<int>(data->size());
}

int sock_write(void* ctx, const unsigned char* buf, size_t len) {
  auto* o = static_cast<Object*>(ctx);
  wire::TcpSocket::Client c(&rt::transport(), rt::Cap<wire::TcpSocket>::unchecked(o->sock));
  capnp::FixedMessageBuilder p(MutBytes(g_io.pbuf, sizeof(g_io.pbuf)));
  auto wp = wire::TcpSocket::Client::writeParams(p);
  size_t n = len < wire::MAX_TCP_WRITE_BYTES ? len : wire::MAX_TCP_WRITE_BYTES;
  if (!wp || !wp->setData(Bytes(buf, n))) return -1;
  capnp::Response r(MutBytes(g_io.rbuf, sizeof(g_io.rbuf)));
  auto res = c.write(p, r);
  if (!res || res->getAccepted() == 0 || res->getAccepted() > n) return -1;
  return static_cast<int>(res->getAccepted());
}

// Ends the TCP connection under a stream: FIN after a clean close, RST
// otherwise (netd drops a socket only once its connection is over).
void end_socket(uint32_t sock, bool clean) {
  wire::TcpSocket::Client c(&rt::transport(), rt::Cap<wire::TcpSocket>::unchecked(sock));
  capnp::FixedMessageBuilder p(MutBytes(g_io.pbuf, sizeof(g_io.pbuf)));
  capnp::Response r(MutBytes(g_io.rbuf, sizeof(g_io.rbuf)));
  if (clean) {
    if (wire::TcpSocket::Client::shutdownParams(p)) (void)c.shutdown(p, r);  // a dead peer is fine here
  } else {
    if (wire::TcpSocket::Client::resetParams(p)) (void)c.reset(p, r);
  }
  rt::release_cap(sock);
}

Status random_seed(uint8_t (&out)[CAPOS_TLS_SEED_BYTES]) {
  wire::EntropySource::Client e(&rt::transport(), g_random);
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  auto pp = CAPOS_TRY(wire::EntropySource::Client::getBytesParams(p));
  pp.setCount(CAPOS_TLS_SEED_BYTES);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  Bytes d = CAPOS_TRY(CAPOS_TRY(e.getBytes(p, r)).getData());
  if (d.size() != CAPOS_TLS_SEED_BYTES) return fail(Err::Corrupt);
  memcpy(out, d.data(), d.size());
  return {};
}

// A new TlsStream object on a fresh endpoint; returns its index. The
// client facet waits in g_made_client for the RETURN.
Result<uint32_t> new_stream(uint32_t sock) {
  int32_t i = free_object();
  if (i < 0) {
    rt::set_error_message("tlsd has no free session object");
    return fail(Err::Overloaded);
  }
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
  auto p = CAPOS_TRY(wire::EndpointFactory::Client::createParams(params));
  p.setServedInterfaceId(wire::TlsStream::kInterfaceId);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(g_eps, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec, 2), &n));
  // Records in result order: the owner facet, then the client facet.
  if (n != 2 || !rt::record_cap<wire::Endpoint>(rec[0])) {
    for (uint32_t k = 0; k < n; ++k) rt::release_cap(rec[k].cap_id);
    return fail(Err::Corrupt);
  }
  g_objects[i] = Object{Kind::Stream, rec[0].cap_id, false, false, 0, sock, -1};
  g_made = i;
  g_made_client = rec[1].cap_id;
  return static_cast<uint32_t>(i);
}

void drop(uint32_t i) {
  rt::release_cap(g_objects[i].ep);
  g_objects[i] = Object{};
}

// The TcpSocket the caller attached as capability `index`, kept by tlsd.
Result<uint32_t> take_socket(Result<uint32_t> index) {
  auto caps = rt::current_call_caps();
  if (!index || *index >= caps.size() || caps[*index].interface_id != wire::TcpSocket::kInterfaceId) {
    rt::set_error_message("attach a TcpSocket as `socket`");
    return fail(Err::InvalidArgument);
  }
  rt::keep_call_cap(*index);
  return caps[*index].cap_id;
}

// Runs the handshake of a new stream over `sock` (ours now); on failure
// the connection is reset and nothing stays behind.
Result<uint32_t> open_stream(uint32_t sock, const char* server_name) {
  uint8_t seed[CAPOS_TLS_SEED_BYTES];
  auto idx = new_stream(sock);
  Status seeded = idx ? random_seed(seed) : Status(fail(idx.error()));
  if (!seeded) {
    if (idx) {
      drop(*idx);
      rt::release_cap(g_made_client);
      g_made = -1;
    }
    end_socket(sock, false);
    return fail(seeded.error());
  }
  Object& o = g_objects[*idx];
  capos_tls_io io{&o, sock_read, sock_write};
  int slot = server_name ? capos_tls_open_client(server_name, seed, io) : capos_tls_open_server(seed, io);
  memset(seed, 0, sizeof(seed));
  if (slot < 0) {
    rt::set_error_message(capos_tls_error_name(slot));
    rt::printf("tlsd: {} handshake failed: {}\n", server_name ? "client" : "server", capos_tls_error_name(slot));
    drop(*idx);
    rt::release_cap(g_made_client);
    g_made = -1;
    end_socket(sock, false);
    return fail(slot == -CAPOS_TLS_ERR_NO_ROOM ? Err::Overloaded : Err::Failed);
  }
  o.slot = slot;
  return *idx;
}

// ---- Servers.

class ConnectorServer final : public wire::TlsConnector::Server {
 public:
  Status connect(wire::TlsConnector::ConnectParams::Reader p, wire::TlsConnector::ConnectResults::Builder r) override {
    StrView name = CAPOS_TRY(p.getServerName());
    char cname[wire::MAX_SERVER_NAME_BYTES + 1];
    if (name.empty() || name.size() > wire::MAX_SERVER_NAME_BYTES) {
      rt::set_error_message("serverName must be 1 to maxServerNameBytes bytes");
      return fail(Err::InvalidArgument);
    }
    for (size_t i = 0; i < name.size(); ++i) {
      if (name[i] == '\0') {
        rt::set_error_message("serverName contains NUL");
        return fail(Err::InvalidArgument);
      }
      cname[i] = name[i];
    }
    cname[name.size()] = '\0';
    uint32_t sock = CAPOS_TRY(take_socket(p.getSocket()));
    uint32_t idx = CAPOS_TRY(open_stream(sock, cname));
    r.setStream(CAPOS_TRY(rt::add_result_cap(g_made_client, abi::XFER_MOVE)));
    uint16_t v, s;
    const char* sni;
    capos_tls_info(g_objects[idx].slot, &v, &s, &sni);
    rt::printf("tlsd: client session to {} (TLS 1.{}, suite {:#x})\n", name, (v & 0xff) - 1, s);
    return {};
  }
};

class AcceptorServer final : public wire::TlsAcceptor::Server {
 public:
  Status accept(wire::TlsAcceptor::AcceptParams::Reader p, wire::TlsAcceptor::AcceptResults::Builder r) override {
    uint32_t sock = CAPOS_TRY(take_socket(p.getSocket()));
    uint32_t idx = CAPOS_TRY(open_stream(sock, nullptr));
    r.setStream(CAPOS_TRY(rt::add_result_cap(g_made_client, abi::XFER_MOVE)));
    uint16_t v, s;
    const char* sni;
    capos_tls_info(g_objects[idx].slot, &v, &s, &sni);
    CAPOS_TRY_STATUS(r.setServerName(StrView(sni)));
    rt::printf("tlsd: server session for \"{}\" (TLS 1.{}, suite {:#x})\n", StrView(sni), (v & 0xff) - 1, s);
    return {};
  }
};

uint8_t g_data[wire::MAX_TLS_READ_BYTES];

class StreamServer final : public wire::TlsStream::Server {
 public:
  Status read(wire::TlsStream::ReadParams::Reader p, wire::TlsStream::ReadResults::Builder r) override {
    Object& o = *CAPOS_TRY(live());
    uint32_t max = p.getMaxBytes();
    if (max == 0 || max > wire::MAX_TLS_READ_BYTES) return fail(Err::InvalidArgument);
    long n = capos_tls_read(o.slot, g_data, max);
    if (n < 0) return broken(o, static_cast<int>(n));
    if (n == 0) {
      r.setEof(true);
      return {};
    }
    if (!r.setData(Bytes(g_data, static_cast<size_t>(n)))) return fail(Err::OutOfMemory);
    return {};
  }

  Status write(wire::TlsStream::WriteParams::Reader p, wire::TlsStream::WriteResults::Builder r) override {
    Object& o = *CAPOS_TRY(live());
    Bytes data = CAPOS_TRY(p.getData());
    if (data.empty() || data.size() > wire::MAX_TLS_WRITE_BYTES) return fail(Err::InvalidArgument);
    int rc = capos_tls_write(o.slot, data.data(), data.size());
    if (rc < 0) return broken(o, rc);
    r.setAccepted(static_cast<uint32_t>(data.size()));
    return {};
  }

  Status close(wire::TlsStream::CloseParams::Reader, wire::TlsStream::CloseResults::Builder) override {
    Object& o = *CAPOS_TRY(live());
    capos_tls_close(o.slot);
    o.slot = -1;
    end_socket(o.sock, true);
    o.sock = 0;
    o.closing = true;
    return {};
  }

  Status info(wire::TlsStream::InfoParams::Reader, wire::TlsStream::InfoResults::Builder r) override {
    Object& o = *CAPOS_TRY(live());
    uint16_t v, s;
    const char* sni;
    capos_tls_info(o.slot, &v, &s, &sni);
    r.setVersion(v);
    r.setCipherSuite(s);
    return r.setServerName(StrView(sni));
  }

 private:
  static Result<Object*> live() {
    Object& o = g_objects[g_current];
    if (o.slot < 0) return fail(Err::Disconnected);
    return &o;
  }
  // The session failed: it ends here (reset below), later calls fail
  // `disconnected`.
  static Status broken(Object& o, int err) {
    rt::set_error_message(capos_tls_error_name(err));
    capos_tls_close(o.slot);
    o.slot = -1;
    end_socket(o.sock, false);
    o.sock = 0;
    return fail(Err::Failed);
  }
};

Status serve(capnp::Server& connector, capnp::Server& acceptor, capnp::Server& stream) {
  for (;;) {
    uint64_t posted[kMaxObjects] = {};
    for (uint32_t i = 0; i < kMaxObjects; ++i) {
      Object& o = g_objects[i];
      if (o.kind != Kind::Free && !o.armed) {
        o.recv_ud = rt::post_recv(o.ep, g_recv[i], sizeof(g_recv[i]));
        o.armed = true;
      }
      if (o.armed) posted[i] = o.recv_ud;
    }
    const rt::RecvDone done_recv = CAPOS_TRY(rt::wait_any_recv(posted));
    const uint32_t ready = done_recv.index;
    const abi::CapCqe c = done_recv.cqe;
    Object& o = g_objects[ready];
    o.armed = false;
    if (c.result < 0) {
      if (!rt::recv_error_is_per_call(c.result) && o.kind != Kind::Stream) return fail(Err::Disconnected);
      if (!rt::recv_error_is_per_call(c.result)) {  // a stream's endpoint is gone
        if (o.slot >= 0) capos_tls_close(o.slot);
        if (o.sock) end_socket(o.sock, false);
        drop(ready);
      }
      continue;
    }
    if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) continue;
    g_current = ready;
    g_made = -1;
    const auto call = *reinterpret_cast<const abi::EndpointMessageHeader*>(g_recv[ready]);
    capnp::Server& server = o.kind == Kind::Connector ? connector : o.kind == Kind::Acceptor ? acceptor : stream;
    abi::CapSqe ret = rt::handle_call(o.ep, g_recv[ready], c.result, server);
    ret.user_data = rt::ring().next_user_data();
    abi::CapCqe done = rt::ring().call(ret);
    (void)rt::finish_return(ret, call, done);  // a caller that vanished is no reason to stop
    if (g_made >= 0 && (done.result < 0 || ret.flags & abi::SQE_F_EXCEPTION)) {
      // The caller never got the stream: undo it.
      Object& m = g_objects[g_made];
      capos_tls_close(m.slot);
      end_socket(m.sock, false);
      rt::release_cap(g_made_client);
      drop(static_cast<uint32_t>(g_made));
    }
    if (g_objects[ready].closing) drop(ready);
  }
}

// ---- Start: keys and trust store from the boot package.

alignas(8) uint8_t g_trust[16384];
alignas(8) uint8_t g_chain[8192];
alignas(8) uint8_t g_key[2048];

Result<Bytes> read_blob(rt::Cap<wire::BootPackage> boot, StrView name, MutBytes buf) {
  uint64_t size = CAPOS_TRY(rt::boot_binary_size(boot, name));
  if (size == 0 || size > buf.size()) return fail(Err::LimitExceeded);
  CAPOS_TRY_STATUS(rt::boot_read_binary(boot, name, 0, MutBytes(buf.data(), size)));
  return Bytes(buf.data(), size);
}

Status engine_status(int err) { return err == 0 ? Status() : Status(fail(Err::Corrupt)); }

Status load_trust(rt::Cap<wire::BootPackage> boot) {
  Bytes trust = CAPOS_TRY(read_blob(boot, "tls.trust", MutBytes(g_trust, sizeof(g_trust))));
  return tls::der_for_each(trust, [](Bytes cert) {
    int err = capos_tls_trust_add(cert.data(), cert.size());
    if (err) rt::printf("tlsd: trust anchor refused: {}\n", capos_tls_error_name(err));
    return engine_status(err);
  });
}

Status load_identity(rt::Cap<wire::BootPackage> boot) {
  Bytes chain = CAPOS_TRY(read_blob(boot, "tls.chain", MutBytes(g_chain, sizeof(g_chain))));
  Bytes key = CAPOS_TRY(read_blob(boot, "tls.key", MutBytes(g_key, sizeof(g_key))));
  CAPOS_TRY_STATUS(tls::der_for_each(chain, [](Bytes cert) {
    int err = capos_tls_identity_add_cert(cert.data(), cert.size());
    if (err) rt::printf("tlsd: certificate refused: {}\n", capos_tls_error_name(err));
    return engine_status(err);
  }));
  int err = capos_tls_identity_set_key(key.data(), key.size());
  if (err) rt::printf("tlsd: key refused: {}\n", capos_tls_error_name(err));
  return engine_status(err);
}

Status add_granted(StrView name, Kind kind) {
  auto ep = rt::capset_find<wire::Endpoint>(name);
  if (!ep) return fail(Err::NotFound);
  int32_t i = free_object();
  if (i < 0) return fail(Err::Overloaded);
  g_objects[i] = Object{kind, ep->id(), false, false, 0, 0, -1};
  return {};
}

}  // namespace

int main() {
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  auto random = rt::capset_find<wire::EntropySource>("random");
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  if (!eps || !random || !boot) {
    rt::print("tlsd: needs `eps` EndpointFactory, `random` EntropySource and `boot` BootPackage\n");
    return 2;
  }
  g_eps = *eps;
  g_random = *random;
  capos_tls_set_time(CAPOS_TLS_CLOCK_FLOOR);
  if (auto t = load_trust(*boot); !t) rt::printf("tlsd: no trust store (tls.trust): {}\n", err_name(t.error()));
  bool connector = static_cast<bool>(add_granted("connector", Kind::Connector));
  bool acceptor = false;
  if (rt::capset_find<wire::Endpoint>("acceptor")) {
    auto id = load_identity(*boot);
    if (!id) {
      rt::printf("tlsd: no server identity (tls.chain, tls.key): {}; not serving TlsAcceptor\n", err_name(id.error()));
    } else {
      acceptor = static_cast<bool>(add_granted("acceptor", Kind::Acceptor));
    }
  }
  rt::printf("tlsd: {} trust anchors; TlsConnector {}, TlsAcceptor {}\n", capos_tls_trust_count(),
             connector ? "served" : "not granted", acceptor ? "served" : "not served");
  if (!connector && !acceptor) return 3;
  ConnectorServer cs;
  AcceptorServer as;
  StreamServer ss;
  auto st = serve(cs, as, ss);
  rt::printf("tlsd: serving failed: {}\n", err_name(st.error()));
  return 4;
}
