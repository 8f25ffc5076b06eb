// TCP sockets of the POSIX layer (os/sock_api.h) over the network
// capabilities netd serves (schema/net.capnp). A socket is an fd of kind
// Socket; it gets a capability only through a grant the program holds:
// connect() through `connect` (TcpConnector: only destinations in its
// scope), listen() through `listen` (TcpListenAuthority: only its ports),
// names through `dns` (Resolver). The state machine is os/sock_state.h.
// Blocking calls run outside g_fd_lock; the result is stored only if the
// fd still names the same socket afterwards. docs/posix.md.
#include "lib/net/dns.h"
#include "schema/net.capnp.capos.h"
#include "user/libc/os/fd_state.h"
#include "user/libc/os/sock_api.h"
#include "user/libc/os/sock_state.h"
#include "user/libc/os/sockets.h"
#include "user/libc/os/tcp_io.h"
#include "user/net/tcp_shared.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace capos::libc {

namespace wire = schema::wire;

namespace {

// How long connect() waits for the handshake (TcpConnector's maximum is
// 60 s; Linux gives up after about two minutes).
constexpr uint32_t kConnectTimeoutMs = 30000;

Result<OpenFile, Errno> socket_of(int fd) CAPOS_REQUIRES(g_fd_lock) {
  OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
  if (f->kind != FdKind::Socket) return fail(CAPOS_ENOTSOCK);
  return *f;
}

Result<OpenFile, Errno> lookup_socket(int fd) CAPOS_EXCLUDES(g_fd_lock) {
  FdGuard g(g_fd_lock);
  return socket_of(fd);
}

// After a blocking call: the fd's description if it is still the socket
// `was` (same state, no capability yet), else EBADF.
Result<OpenFile*, Errno> still_same(int fd, const OpenFile& was) CAPOS_REQUIRES(g_fd_lock) {
  OpenFile* f = CAPOS_TRY(fd_state().table.get(fd));
  if (f->kind != FdKind::Socket || f->sock != was.sock || f->cap != was.cap || f->port != was.port)
    return fail(CAPOS_EBADF);
  return f;
}

SockState state(const OpenFile& f) { return static_cast<SockState>(f.sock); }

// A call's failure on a connection: reset, timed out or netd gone.
Errno conn_errno(Err e) { return e == Err::InvalidArgument ? CAPOS_EPIPE : CAPOS_ECONNRESET; }

// Shared socket buffers (user/net/tcp_shared.h): the readers of all
// sockets take turns on one lock and the writers on another, only for the
// ring operations themselves (a thread waiting for data holds neither).
class MutexRingLock final : public net_client::RingLock {
 public:
  void lock() override { m_.lock(); }
  void unlock() override { m_.unlock(); }

 private:
  rt::Mutex m_;
};
MutexRingLock g_rx_lock, g_tx_lock;

net_client::TcpShared shared_of(const OpenFile& f) {
  return net_client::TcpShared(rt::transport(), f.cap, *reinterpret_cast<net::StreamRings*>(f.shared), &g_rx_lock,
                               &g_tx_lock);
}

// Data of a new connection through shared buffers when netd offers them.
// Unsupported (netd has no memory for them): messages; anything else
// fails the connect or accept (netd may already have switched).
Result<net_client::SharedMapping, Errno> share(rt::Cap<wire::TcpSocket> sock) {
  auto m = net_client::open_tcp_shared(sock);
  if (m) return *m;
  if (m.error() == Err::Unsupported) return net_client::SharedMapping{};
  return fail(CAPOS_EIO);
}

}  // namespace

Result<size_t, Errno> socket_read(const OpenFile& f, uint8_t* buf, size_t n) {
  CAPOS_TRY(sock_next(state(f), SockOp::Transfer));
  if (f.rd_shut) return size_t{0};
  if (f.shared) {
    auto r = shared_of(f).read(MutBytes(buf, n));
    if (!r) return fail(r.error() == Err::Corrupt ? CAPOS_EIO : CAPOS_ECONNRESET);
    return *r;
  }
  return tcp_read(rt::transport(), f.cap, buf, n);
}

Result<size_t, Errno> socket_write(const OpenFile& f, const uint8_t* buf, size_t n) {
  CAPOS_TRY(sock_next(state(f), SockOp::Transfer));
  if (f.wr_shut) return fail(CAPOS_EPIPE);  // no SIGPIPE: signals fail closed
  if (f.shared) {
    if (auto st = shared_of(f).write(Bytes(buf, n)); !st)
      return fail(st.error() == Err::Corrupt ? CAPOS_EIO : conn_errno(st.error()));
    return n;
  }
  return tcp_write(rt::transport(), f.cap, buf, n);
}

void socket_release(const OpenFile& f) {
  if (state(f) == SockState::Connected && !f.wr_shut) {
    // close() on a connection sends FIN after what is queued (like Linux
    // without SO_LINGER); a dead peer or netd is no reason to fail close.
    alignas(8) uint8_t pbuf[64], rbuf[128];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
    (void)wire::TcpSocket::Client::shutdownParams(params);
    capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
    wire::TcpSocket::Client c(&rt::transport(), rt::Cap<wire::TcpSocket>::unchecked(f.cap));
    (void)c.shutdown(params, resp);
  }
  if (f.shared) {
    net_client::SharedMapping m{rt::Cap<wire::MemoryObject>::unchecked(f.shared_mem),
                                reinterpret_cast<net::StreamRings*>(f.shared)};
    net_client::close_tcp_shared(m);
  }
  if (f.cap) rt::release_cap(f.cap);
}

}  // namespace capos::libc

using namespace capos;
using namespace capos::libc;

extern "C" int capos_sock_open(int* out) {
  FdGuard g(g_fd_lock);
  OpenFile f;
  f.kind = FdKind::Socket;
  f.flags = CAPOS_OPEN_READ | CAPOS_OPEN_WRITE;
  f.sock = static_cast<uint8_t>(SockState::Fresh);
  auto fd = fd_state().table.open(f);
  if (!fd) return fd.error();
  *out = *fd;
  return 0;
}

extern "C" int capos_sock_check(int fd) {
  FdGuard g(g_fd_lock);
  auto f = socket_of(fd);
  return f ? 0 : static_cast<int>(f.error());
}

extern "C" int capos_sock_bind(int fd, const void* sa, uint32_t len) {
  auto a = decode_sockaddr_in(sa, len);
  if (!a) return a.error();
  // The address is not checked: netd listens on every local address.
  if (a->port == 0) return CAPOS_EINVAL;  // no ephemeral ports to listen on
  FdGuard g(g_fd_lock);
  auto f = fd_state().table.get(fd);
  if (!f) return f.error();
  if ((*f)->kind != FdKind::Socket) return CAPOS_ENOTSOCK;
  auto next = sock_next(state(**f), SockOp::Bind);
  if (!next) return next.error();
  (*f)->sock = static_cast<uint8_t>(*next);
  (*f)->port = a->port;
  return 0;
}

extern "C" int capos_sock_listen(int fd, int backlog) {
  auto was = lookup_socket(fd);
  if (!was) return was.error();
  auto next = sock_next(state(*was), SockOp::Listen);
  if (!next) return next.error();
  if (*next == state(*was)) return 0;  // already listening
  auto auth = rt::capset_find<wire::TcpListenAuthority>("listen");
  if (!auth) return CAPOS_EACCES;  // no authority to listen at all
  if (backlog < 1) backlog = 1;
  if (backlog > static_cast<int>(wire::MAX_LISTEN_BACKLOG)) backlog = static_cast<int>(wire::MAX_LISTEN_BACKLOG);
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  auto p = wire::TcpListenAuthority::Client::listenParams(params);
  if (!p) return CAPOS_EIO;
  p->setPort(was->port);
  p->setBacklog(static_cast<uint32_t>(backlog));
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  auto listener = rt::call_for_cap<wire::TcpListener>(*auth, 0, params, resp);
  if (!listener) {
    // invalidArgument: a port outside the authority's range (like a
    // privileged port on Linux); overloaded: the port is taken.
    if (listener.error() == Err::InvalidArgument) return CAPOS_EACCES;
    if (listener.error() == Err::Overloaded) return CAPOS_EADDRINUSE;
    return CAPOS_EIO;
  }
  FdGuard g(g_fd_lock);
  auto f = still_same(fd, *was);
  if (!f) return rt::release_cap(*listener), f.error();
  (*f)->cap = listener->id();
  (*f)->sock = static_cast<uint8_t>(SockState::Listening);
  return 0;
}

extern "C" int capos_sock_connect(int fd, const void* sa, uint32_t len) {
  auto a = decode_sockaddr_in(sa, len);
  if (!a) return a.error();
  auto was = lookup_socket(fd);
  if (!was) return was.error();
  auto next = sock_next(state(*was), SockOp::Connect);
  if (!next) return next.error();
  auto conn = rt::capset_find<wire::TcpConnector>("connect");
  if (!conn) return CAPOS_EACCES;  // no authority to connect anywhere
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  auto p = wire::TcpConnector::Client::connectParams(params);
  if (!p) return CAPOS_EIO;
  auto remote = p->initRemote();
  if (!remote) return CAPOS_EIO;
  remote->setAddress(a->addr);
  remote->setPort(a->port);
  p->setTimeoutMs(kConnectTimeoutMs);
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  Status st = rt::call_with_caps(*conn, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                 Span<abi::CapTransferRecord>(rec, 1), &n);
  if (!st) return st.error() == Err::Overloaded ? CAPOS_EAGAIN : CAPOS_EIO;
  auto root = resp.root();
  auto release = [&] {
    for (uint32_t i = 0; i < n; ++i) rt::release_cap(rec[i].cap_id);
  };
  if (!root) return release(), CAPOS_EIO;
  wire::TcpConnector::ConnectResult::Reader res(*root);
  if (res.isOutOfScope()) return release(), CAPOS_EACCES;  // outside the grant: nothing was sent
  if (res.isRefused()) return release(), CAPOS_ECONNREFUSED;
  if (res.isTimedOut()) return release(), CAPOS_ETIMEDOUT;
  if (!res.isConnected() || n != 1) return release(), CAPOS_EIO;
  auto sock = rt::record_cap<wire::TcpSocket>(rec[0]);
  if (!sock) return release(), CAPOS_EIO;
  auto shared = share(*sock);
  if (!shared) return rt::release_cap(*sock), shared.error();
  FdGuard g(g_fd_lock);
  auto f = still_same(fd, *was);
  if (!f) return net_client::close_tcp_shared(*shared), rt::release_cap(*sock), f.error();
  (*f)->cap = sock->id();
  (*f)->shared = reinterpret_cast<uint64_t>(shared->rings);
  (*f)->shared_mem = shared->memory.id();
  (*f)->sock = static_cast<uint8_t>(SockState::Connected);
  (*f)->peer = a->addr;
  (*f)->peer_port = a->port;
  return 0;
}

extern "C" int capos_sock_accept(int fd, int* out, void* sa, uint32_t* len) {
  auto was = lookup_socket(fd);
  if (!was) return was.error();
  auto next = sock_next(state(*was), SockOp::Accept);
  if (!next) return next.error();
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  (void)wire::TcpListener::Client::acceptParams(params);
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  Status st = rt::call_with_caps(rt::Cap<wire::TcpListener>::unchecked(was->cap), 0, params, resp,
                                 Span<const abi::CapTransferDesc>(), Span<abi::CapTransferRecord>(rec, 1), &n);
  if (!st) return CAPOS_EIO;
  auto release = [&] {
    for (uint32_t i = 0; i < n; ++i) rt::release_cap(rec[i].cap_id);
  };
  auto root = resp.root();
  if (!root || n != 1) return release(), CAPOS_EIO;
  wire::TcpListener::AcceptResults::Reader res(*root);
  auto peer = res.getPeer();
  auto sock = rt::record_cap<wire::TcpSocket>(rec[0]);
  if (!sock || !peer) return release(), CAPOS_EIO;
  auto shared = share(*sock);
  if (!shared) return release(), shared.error();
  OpenFile c;
  c.shared = reinterpret_cast<uint64_t>(shared->rings);
  c.shared_mem = shared->memory.id();
  c.kind = FdKind::Socket;
  c.flags = CAPOS_OPEN_READ | CAPOS_OPEN_WRITE;
  c.sock = static_cast<uint8_t>(SockState::Connected);
  c.cap = sock->id();
  c.port = was->port;
  c.peer = peer->getAddress();
  c.peer_port = peer->getPort();
  FdGuard g(g_fd_lock);
  auto nfd = fd_state().table.open(c);
  if (!nfd) return net_client::close_tcp_shared(*shared), rt::release_cap(*sock), nfd.error();
  *out = *nfd;
  if (len != nullptr) encode_sockaddr_in(Inet4{c.peer, c.peer_port}, sa, len);
  return 0;
}

extern "C" int capos_sock_shutdown(int fd, int how) {
  if (how < 0 || how > 2) return CAPOS_EINVAL;
  OpenFile f;
  {
    FdGuard g(g_fd_lock);
    auto d = fd_state().table.get(fd);
    if (!d) return d.error();
    if ((*d)->kind != FdKind::Socket) return CAPOS_ENOTSOCK;
    if (auto next = sock_next(state(**d), SockOp::Shutdown); !next) return next.error();
    if (how != 1) (*d)->rd_shut = true;
    if (how != 0) {
      if ((*d)->wr_shut) return 0;  // FIN already sent
      (*d)->wr_shut = true;
    }
    f = **d;
  }
  if (how == 0) return 0;
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  (void)wire::TcpSocket::Client::shutdownParams(params);
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  wire::TcpSocket::Client c(&rt::transport(), rt::Cap<wire::TcpSocket>::unchecked(f.cap));
  if (auto r = c.shutdown(params, resp); !r) return conn_errno(r.error());
  return 0;
}

extern "C" int capos_sock_name(int fd, int peer, void* sa, uint32_t* len) {
  if (len == nullptr) return CAPOS_EINVAL;
  OpenFile f;
  {
    FdGuard g(g_fd_lock);
    auto d = socket_of(fd);
    if (!d) return d.error();
    f = *d;
  }
  if (peer) {
    if (auto next = sock_next(state(f), SockOp::PeerName); !next) return next.error();
    encode_sockaddr_in(Inet4{f.peer, f.peer_port}, sa, len);
    return 0;
  }
  if (state(f) != SockState::Connected) {
    encode_sockaddr_in(Inet4{0, f.port}, sa, len);  // every local address
    return 0;
  }
  alignas(8) uint8_t pbuf[64], rbuf[512];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  (void)wire::TcpSocket::Client::infoParams(params);
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  wire::TcpSocket::Client c(&rt::transport(), rt::Cap<wire::TcpSocket>::unchecked(f.cap));
  auto r = c.info(params, resp);
  if (!r) return conn_errno(r.error());
  auto local = r->getLocal();
  if (!local) return CAPOS_EIO;
  encode_sockaddr_in(Inet4{local->getAddress(), local->getPort()}, sa, len);
  return 0;
}

extern "C" int capos_sock_resolve(const char* name, uint32_t* addrs, uint32_t max, uint32_t* n) {
  auto dns = rt::capset_find<wire::Resolver>("dns");
  if (!dns) return CAPOS_EACCES;
  alignas(8) uint8_t pbuf[512], rbuf[512];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  auto p = wire::Resolver::Client::resolveParams(params);
  if (!p || !p->setName(StrView(name))) return CAPOS_EINVAL;
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  auto r = wire::Resolver::Client(&rt::transport(), *dns).resolve(params, resp);
  if (!r) return r.error() == Err::InvalidArgument ? CAPOS_EINVAL : CAPOS_EAGAIN;
  if (r->isNotFound()) return CAPOS_ENOENT;
  if (r->isTimedOut()) return CAPOS_EAGAIN;
  auto list = r->getFound().getAddresses();
  if (!list) return CAPOS_EIO;
  *n = 0;
  for (uint32_t i = 0; i < list->size() && *n < max; ++i) addrs[(*n)++] = (*list)[i];
  return *n ? 0 : CAPOS_ENOENT;
}

extern "C" int capos_sock_parse_service(const char* text, uint16_t* port) {
  auto p = parse_service(text);
  if (!p) return p.error();
  *port = *p;
  return 0;
}

extern "C" int capos_sock_parse_ip4(const char* text, uint32_t* addr) {
  auto a = net::parse_ip4_literal(text, strlen(text));
  if (!a) return CAPOS_EINVAL;
  *addr = *a;
  return 0;
}
