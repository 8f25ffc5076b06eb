// netbench: TCP figures through netd (reported, never asserted;
// tools/bench/net_bench.py, docs/net.md). One persistent connection to
// the bench server on the host loopback, reached through SLIRP's
// guestfwd as 10.0.2.100:5001 (TcpConnector "bench"), in three phases —
// the same protocol and sizes as the Linux guest's bench/linux/net_bench.cpp:
//   'D' + N (4 bytes, big-endian): the host sends N bytes; KiB/s host→guest.
//   'U' + N: we send N bytes, the host answers 'K' once it has them all;
//            KiB/s guest→host.
//   'R' + N: N round trips of a 64-byte request echoed by the host; median
//            and p99 TSC cycles per round trip and requests/s.
// Under `-icount shift=0,sleep=off` the TSC counts retired instructions
// (client, netd and kernel together; a wait for the host counts the idle
// time skipped as well), so median_cycles is instructions per request.
#include "lib/core/cstring.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/net/tcp_shared.h"
#include "user/tests/net_lease.h"

using namespace capos;
namespace wire = capos::schema::wire;
using Sock = wire::TcpSocket::Client;

namespace {

constexpr uint32_t BULK_BYTES = 2u << 20;
constexpr uint32_t RR_ITERS = 200;
constexpr uint32_t RR_BYTES = 64;
uint64_t g_samples[RR_ITERS];
alignas(8) uint8_t g_pbuf[wire::MAX_TCP_WRITE_BYTES + 512];
alignas(8) uint8_t g_rbuf[wire::MAX_TCP_READ_BYTES + 512];
uint8_t g_chunk[wire::MAX_TCP_WRITE_BYTES];

inline uint64_t tsc() {
  uint32_t lo, hi;
  asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
  return (uint64_t{hi} << 32) | lo;
}

uint64_t now(rt::Cap<wire::Timer> timer) { return net_test::now_ns(timer); }

// Writes all of `data` (the socket accepts what fits in its send buffer).
// Set when netd gave the socket shared buffers (TcpSocket.buffers): data
// then moves through them instead of read/write messages.
net_client::TcpShared* g_shared = nullptr;

Status write_all(Sock& s, const uint8_t* data, uint32_t n) {
  if (g_shared) return g_shared->write(Bytes(data, n));
  while (n > 0) {
    capnp::FixedMessageBuilder params{MutBytes(g_pbuf, sizeof(g_pbuf))};
    capnp::Response resp{MutBytes(g_rbuf, sizeof(g_rbuf))};
    auto p = CAPOS_TRY(Sock::writeParams(params));
    uint32_t len = n < wire::MAX_TCP_WRITE_BYTES ? n : wire::MAX_TCP_WRITE_BYTES;
    if (!p.setData(Bytes(data, len))) return fail(Err::Failed);
    auto r = CAPOS_TRY(s.write(params, resp));
    uint32_t took = r.getAccepted();
    if (took == 0 || took > len) return fail(Err::Corrupt);
    data += took;
    n -= took;
  }
  return {};
}

// Reads exactly `n` bytes, into `out` when it is not null.
Status read_exact(Sock& s, uint8_t* out, uint32_t n) {
  if (g_shared) {
    while (n > 0) {
      size_t got = CAPOS_TRY(g_shared->read(MutBytes(out ? out : g_rbuf, n < sizeof(g_rbuf) ? n : sizeof(g_rbuf))));
      if (got == 0) return fail(Err::Disconnected);
      if (out) out += got;
      n -= static_cast<uint32_t>(got);
    }
    return {};
  }
  while (n > 0) {
    capnp::FixedMessageBuilder params{MutBytes(g_pbuf, sizeof(g_pbuf))};
    capnp::Response resp{MutBytes(g_rbuf, sizeof(g_rbuf))};
    auto p = CAPOS_TRY(Sock::readParams(params));
    p.setMaxBytes(n < wire::MAX_TCP_READ_BYTES ? n : wire::MAX_TCP_READ_BYTES);
    auto r = CAPOS_TRY(s.read(params, resp));
    if (r.getEof()) return fail(Err::Disconnected);
    auto data = CAPOS_TRY(r.getData());
    if (data.size() == 0 || data.size() > n) return fail(Err::Corrupt);
    if (out) {
      memcpy(out, data.data(), data.size());
      out += data.size();
    }
    n -= static_cast<uint32_t>(data.size());
  }
  return {};
}

Status command(Sock& s, char op, uint32_t n) {
  const uint8_t cmd[5] = {uint8_t(op), uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  return write_all(s, cmd, sizeof(cmd));
}

void sort(uint64_t* a, uint32_t n) {  // insertion sort: 200 samples
  for (uint32_t i = 1; i < n; ++i)
    for (uint32_t j = i; j > 0 && a[j - 1] > a[j]; --j) {
      uint64_t t = a[j];
      a[j] = a[j - 1];
      a[j - 1] = t;
    }
}

// netd's counters, printed around each phase: frames per direction show
// the ACK ratio, retransmits show loss recovery (docs/net.md).
void print_stats(wire::NetworkManager::Client& m, const char* phase) {
  alignas(8) uint8_t pbuf[64], rbuf[512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  if (!wire::NetworkManager::Client::statsParams(params)) return;
  auto r = m.stats(params, resp);
  auto st = r ? r->getStats() : fail(r.error());
  if (!st) return;
  rt::printf("netbench: stats after {}: frames in {} out {} malformed {} retransmits {}\n", phase, st->getFramesIn(),
             st->getFramesOut(), st->getMalformed(), st->getRetransmits());
}

// TSC cycles charged to non-idle threads since boot, all CPUs (0 without
// a `status` grant). Under `-icount shift=0,sleep=off` these are retired
// guest instructions without the idle time QEMU skips while waiting for
// the host: the work the receive took (client, netd, vnetd, kernel).
uint64_t busy(rt::Cap<wire::SystemStatus>* status) {
  if (!status) return 0;
  alignas(8) uint8_t pb[64], rb[1024];
  capnp::FixedMessageBuilder p(MutBytes(pb, sizeof(pb)));
  if (!wire::SystemStatus::Client::cpusParams(p)) return 0;
  capnp::Response r(MutBytes(rb, sizeof(rb)));
  auto res = wire::SystemStatus::Client(&rt::transport(), *status).cpus(p, r);
  auto cpus = res ? res->getCpus() : fail(res.error());
  if (!cpus) return 0;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < cpus->size(); ++i) sum += (*cpus)[i].getBusyCycles();
  return sum;
}

uint64_t kib_per_s(uint64_t bytes, uint64_t ns) { return ns ? bytes * 1000000000ull / ns / 1024 : 0; }

int fail_with(const char* what, Err e) {
  rt::printf("netbench: FAILED: {}: {} ({})\n", what, err_name(e), rt::call_exception());
  return 1;
}

}  // namespace

int main() {
  auto mgr = rt::capset_find<wire::NetworkManager>("netmgr");
  auto connector = rt::capset_find<wire::TcpConnector>("bench");
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!mgr || !connector || !timer) {
    rt::print("netbench: needs netmgr, bench and timer\n");
    return 2;
  }
  if (auto l = net_test::wait_lease(*mgr, *timer); !l) return fail_with("DHCP lease", l.error());
  capnp::FixedMessageBuilder params{MutBytes(g_pbuf, sizeof(g_pbuf))};
  capnp::Response resp{MutBytes(g_rbuf, sizeof(g_rbuf))};
  auto p = wire::TcpConnector::Client::connectParams(params);
  auto remote = p ? p->initRemote() : fail(Err::Failed);
  if (!remote) return fail_with("connect params", Err::Failed);
  remote->setAddress(0x0A000264);  // 10.0.2.100
  remote->setPort(5001);
  p->setTimeoutMs(10000);
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  Status st = rt::call_with_caps(*connector, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                 Span<abi::CapTransferRecord>(rec, 1), &n);
  if (!st) return fail_with("connect", st.error());
  auto root = resp.root();
  if (!root || !wire::TcpConnector::ConnectResult::Reader(*root).isConnected() || n != 1)
    return fail_with("connect 10.0.2.100:5001", Err::Disconnected);
  auto sock = rt::record_cap<wire::TcpSocket>(rec[0]);
  if (!sock) return fail_with("socket cap", sock.error());
  Sock s(&rt::transport(), *sock);
  auto shared = net_client::open_tcp_shared(*sock);
  alignas(net_client::TcpShared) static uint8_t shared_storage[sizeof(net_client::TcpShared)];
  // One thread: a write's wake-up of netd also waits for the answer.
  static net_client::RingSyncArm arm;
  if (shared)
    g_shared = new (shared_storage) net_client::TcpShared(rt::transport(), sock->id(), *shared->rings, nullptr, nullptr, &arm);
  else if (shared.error() != Err::Unsupported) return fail_with("shared buffers", shared.error());
  rt::printf("netbench: data through {}\n", g_shared ? "shared buffers" : "messages");

  // Host -> guest.
  auto status = rt::capset_find<wire::SystemStatus>("status");
  rt::Cap<wire::SystemStatus>* sys = status ? &*status : nullptr;
  uint64_t b0 = busy(sys);
  uint64_t t0 = now(*timer);
  if (auto r = command(s, 'D', BULK_BYTES); !r) return fail_with("D", r.error());
  if (auto r = read_exact(s, nullptr, BULK_BYTES); !r) return fail_with("receive bulk", r.error());
  uint64_t ns = now(*timer) - t0;
  rt::printf("BENCH row=net_tcp_rx bytes={} ns={} kib_per_s={}\n", BULK_BYTES, ns, kib_per_s(BULK_BYTES, ns));
  if (sys) {
    uint64_t used = busy(sys) - b0;
    rt::printf("netbench: receive busy cycles {} ({} per KiB)\n", used, used / (BULK_BYTES / 1024));
  }
  wire::NetworkManager::Client mc(&rt::transport(), *mgr);
  print_stats(mc, "receive");

  // Guest -> host.
  for (uint32_t i = 0; i < sizeof(g_chunk); ++i) g_chunk[i] = uint8_t(i * 7);
  t0 = now(*timer);
  if (auto r = command(s, 'U', BULK_BYTES); !r) return fail_with("U", r.error());
  for (uint32_t left = BULK_BYTES; left > 0;) {
    uint32_t len = left < sizeof(g_chunk) ? left : sizeof(g_chunk);
    if (auto r = write_all(s, g_chunk, len); !r) return fail_with("send bulk", r.error());
    left -= len;
  }
  uint8_t ack = 0;
  if (auto r = read_exact(s, &ack, 1); !r || ack != 'K') return fail_with("bulk ack", r ? Err::Corrupt : r.error());
  ns = now(*timer) - t0;
  rt::printf("BENCH row=net_tcp_tx bytes={} ns={} kib_per_s={}\n", BULK_BYTES, ns, kib_per_s(BULK_BYTES, ns));
  print_stats(mc, "send");

  // Request/response on the same connection.
  if (auto r = command(s, 'R', RR_ITERS); !r) return fail_with("R", r.error());
  uint8_t req[RR_BYTES], answer[RR_BYTES];
  b0 = busy(sys);
  t0 = now(*timer);
  for (uint32_t i = 0; i < RR_ITERS; ++i) {
    for (uint32_t k = 0; k < RR_BYTES; ++k) req[k] = uint8_t(i + k);
    uint64_t c0 = tsc();
    if (auto r = write_all(s, req, RR_BYTES); !r) return fail_with("request", r.error());
    if (auto r = read_exact(s, answer, RR_BYTES); !r) return fail_with("response", r.error());
    g_samples[i] = tsc() - c0;
    if (memcmp(req, answer, RR_BYTES) != 0) return fail_with("echo", Err::Corrupt);
  }
  ns = now(*timer) - t0;
  // The work of a round trip without the idle time skipped while the host
  // answers (see busy()): the figure to compare across builds and with
  // Linux (the row's busy_cycles_per_op).
  uint64_t rr_busy = sys ? busy(sys) - b0 : 0;
  if (sys) rt::printf("netbench: request/response busy cycles {} ({} per round trip)\n", rr_busy, rr_busy / RR_ITERS);
  // Under -icount sleep=off a guest that goes idle before the host
  // answers has its clock jump to the next timer deadline (ms, i.e.
  // millions of instructions): count those round trips (docs/net.md).
  uint32_t jumps = 0;
  for (uint32_t i = 0; i < RR_ITERS; ++i) jumps += g_samples[i] > 1'000'000;
  rt::printf("netbench: round trips over 1M cycles: {} of {}\n", jumps, RR_ITERS);
  sort(g_samples, RR_ITERS);
  rt::printf("BENCH row=net_tcp_rr iters={} median_cycles={} p99_cycles={} ns_per_req={} req_per_s={}", RR_ITERS,
             g_samples[RR_ITERS / 2], g_samples[RR_ITERS * 99 / 100], ns / RR_ITERS,
             ns ? uint64_t{RR_ITERS} * 1000000000ull / ns : 0);
  if (sys) rt::printf(" busy_cycles_per_op={}", rr_busy / RR_ITERS);
  rt::print("\n");
  rt::release_cap(*sock);
  rt::print("BENCH done\n");
  return 0;
}
