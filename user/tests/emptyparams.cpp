// Empty params (docs/abi.md "Empty params") against the kernel's own
// capabilities: every kernel-cap method with a fieldless params struct this
// init is granted is called twice, once with no params message
// (params_len = 0, params_addr pointing nowhere) and once with the full
// empty-struct message; both must complete alike (same CQE result and
// flags, the same reply bytes where the answer cannot change between the
// two calls). A method with fields reads the default struct from no params
// (EndpointFactory.create: an untyped endpoint; FrameAllocator.allocate:
// zero pages, refused exactly as an explicit zero is). Bad calls still
// fail as before: a wrong method id, a wrong interface id, truncated
// non-empty params, a result buffer too small. Prints the checks; exit
// status 0 when every check passed, else the failed check.
#include "lib/abi/errors.h"
#include "lib/abi/ipc.h"
#include "lib/core/cstring.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/manifest.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
using namespace capos::abi;
namespace wire = capos::schema::wire;

namespace {

constexpr uint64_t kNowhere = 0xdead0000;  // params_addr of a zero-length call: never read

struct Reply {
  CapCqe cqe{};
  alignas(8) uint8_t buf[512];
};

// One CALL: `empty` sends no params message, otherwise the framed empty
// struct (16 bytes: segment table, root pointer).
Reply call(uint32_t cap, uint64_t iface, uint16_t method, bool empty, uint32_t result_len = sizeof(Reply::buf)) {
  alignas(8) static uint8_t pmsg[64];
  capnp::FixedMessageBuilder mb(MutBytes(pmsg, sizeof pmsg));
  (void)mb.init_root(0, 0);
  Bytes framed = mb.framed();
  Reply r;
  memset(r.buf, 0xEE, sizeof r.buf);
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.cap_id = cap;
  s.method_id = method;
  s.interface_id = iface;
  s.params_addr = empty ? kNowhere : reinterpret_cast<uint64_t>(framed.data());
  s.params_len = empty ? 0 : static_cast<uint32_t>(framed.size());
  s.result_addr = reinterpret_cast<uint64_t>(r.buf);
  s.result_len = result_len;
  s.user_data = rt::ring().next_user_data();
  r.cqe = rt::ring().call(s);
  return r;
}

bool same_completion(const Reply& a, const Reply& b) {
  return a.cqe.result == b.cqe.result && a.cqe.flags == b.cqe.flags && a.cqe.cap_count == b.cqe.cap_count;
}
bool same_bytes(const Reply& a, const Reply& b) {
  return a.cqe.result >= 0 && memcmp(a.buf, b.buf, static_cast<size_t>(a.cqe.result)) == 0;
}

// The transfer records after the payload of a reply that carried caps.
const CapTransferRecord* records(const Reply& r) {
  return reinterpret_cast<const CapTransferRecord*>(r.buf + r.cqe.result);
}

int g_checks = 0;
#define CHECK(cond, code)                                       \
  do {                                                          \
    ++g_checks;                                                 \
    if (!(cond)) {                                              \
      rt::printf("emptyparams: check {} failed\n", code);       \
      return code;                                              \
    }                                                           \
  } while (0)

// Both forms of a read-only method: same completion, and the same bytes
// when `bytes` (the answer cannot move between the two calls).
int both(const char* what, uint32_t cap, uint64_t iface, uint16_t method, bool bytes, int code) {
  Reply a = call(cap, iface, method, true), b = call(cap, iface, method, false);
  CHECK(a.cqe.result >= 0, code);
  CHECK(same_completion(a, b), code + 1);
  if (bytes) CHECK(same_bytes(a, b), code + 2);
  rt::printf("emptyparams: {} answered alike with and without a params message ({} bytes)\n", what, a.cqe.result);
  return 0;
}

#define BOTH(...)                         \
  do {                                    \
    if (int rc = both(__VA_ARGS__)) return rc; \
  } while (0)

// The kernel-cap fast path (kernel/objects/kernel_fast_call.h) takes a
// lone Timer.now CALL without params whose result buffer lies in one
// present page; the full empty message always goes the generic way. Both
// must answer alike byte for byte (the framing; the clock words only in
// order), touch nothing past the reply, and refuse alike what the fast
// path leaves to the generic one.
alignas(4096) uint8_t g_page[2][4096];

CapCqe call_at(uint32_t cap, uint64_t iface, uint16_t method, bool empty, uint8_t* buf, uint32_t result_len,
               uint8_t flags = 0) {
  alignas(8) static const uint8_t pmsg[16] = {0, 0, 0, 0, 1, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.flags = flags;
  s.cap_id = cap;
  s.method_id = method;
  s.interface_id = iface;
  s.params_addr = empty ? kNowhere : reinterpret_cast<uint64_t>(pmsg);
  s.params_len = empty ? 0 : sizeof pmsg;
  s.result_addr = reinterpret_cast<uint64_t>(buf);
  s.result_len = result_len;
  s.user_data = rt::ring().next_user_data();
  return rt::ring().call(s);
}

int fast_path_checks(uint32_t timer) {
  constexpr uint32_t kReply = 32;  // segment table, root pointer, monotonicNs, tick
  uint8_t* fa = g_page[0] + 64;
  uint8_t* gb = g_page[1] + 64;
  uint64_t last = 0;
  // Exact, larger and interface-wildcard result buffers; page-contained.
  const uint32_t lens[] = {kReply, 64, 4000};
  const uint64_t ifaces[] = {wire::Timer::kInterfaceId, 0};
  for (uint32_t len : lens) {
    for (uint64_t iface : ifaces) {
      memset(g_page, 0xEE, sizeof g_page);
      CapCqe a = call_at(timer, iface, 0, true, fa, len);
      CapCqe b = call_at(timer, iface, 0, false, gb, len);
      CHECK(a.result == static_cast<int32_t>(kReply) && a.result == b.result && a.flags == b.flags &&
                a.cap_count == b.cap_count && a.flags == 0,
            70);
      CHECK(memcmp(fa, gb, 16) == 0, 71);  // header and root pointer, byte for byte
      uint64_t ta, tb;
      memcpy(&ta, fa + 16, 8);
      memcpy(&tb, gb + 16, 8);
      CHECK(ta >= last && ta <= tb, 72);
      last = tb;
      for (uint32_t i = kReply; i < 4000; ++i) CHECK(fa[i] == 0xEE && gb[i] == 0xEE, 73);
      CHECK(fa[-1] == 0xEE && gb[-1] == 0xEE, 73);
    }
  }
  // Left to the generic path, refused alike with and without params, the
  // buffer untouched: one byte short, longer than a kernel call fills, an
  // unknown method, another interface, unknown flags, a released cap.
  struct Bad {
    uint32_t cap;
    uint64_t iface;
    uint16_t method;
    uint32_t len;
    uint8_t flags;
    int32_t want;
  };
  const Bad bad[] = {
      {timer, wire::Timer::kInterfaceId, 0, kReply - 1, 0, CAP_ERR_INVALID_RESULT_BUFFER},
      {timer, wire::Timer::kInterfaceId, 0, 8, 0, CAP_ERR_INVALID_RESULT_BUFFER},
      {timer, wire::Timer::kInterfaceId, 0, 16384 + 1024 + 1, 0, CAP_ERR_INVALID_RESULT_BUFFER},
      {timer, wire::Timer::kInterfaceId, 7, 64, 0, CAP_ERR_APPLICATION_EXCEPTION},
      {timer, wire::Console::kInterfaceId, 0, 64, 0, CAP_ERR_INTERFACE_MISMATCH},
      {timer, wire::Timer::kInterfaceId, 0, 64, 0x80, CAP_ERR_INVALID_REQUEST},
      {0xFFFF, 0, 0, 64, 0, CAP_ERR_INVALID_CAP},
  };
  for (const Bad& x : bad) {
    memset(g_page, 0xEE, sizeof g_page);
    uint8_t* pa = x.len > 4000 ? g_page[0] : fa;  // the long one spans both pages and more
    CapCqe a = call_at(x.cap, x.iface, x.method, true, pa, x.len, x.flags);
    CapCqe b = call_at(x.cap, x.iface, x.method, false, pa, x.len, x.flags);
    CHECK(a.result == x.want && a.result == b.result && a.flags == b.flags, 74);
    if (x.want != CAP_ERR_APPLICATION_EXCEPTION)
      for (uint32_t i = 0; i < sizeof g_page; ++i) CHECK(g_page[0][i] == 0xEE, 75);
  }
  // A result buffer across a page boundary (not one translation): generic,
  // the same answer.
  {
    memset(g_page, 0xEE, sizeof g_page);
    uint8_t* across = g_page[1] - 16;
    CapCqe a = call_at(timer, wire::Timer::kInterfaceId, 0, true, across, 64);
    CHECK(a.result == static_cast<int32_t>(kReply) && across[kReply] == 0xEE, 76);
    uint8_t head[16];
    memcpy(head, across, 16);
    CapCqe b = call_at(timer, wire::Timer::kInterfaceId, 0, false, fa, 64);
    CHECK(b.result == a.result && memcmp(head, fa, 16) == 0, 77);
  }
  rt::print("emptyparams: the Timer.now fast path answers as the generic dispatch does\n");
  return 0;
}

// A Timer wrapped by a Revoker (a wrapped cap: generic, both ways) answers
// as the Timer does until revoked, then fails DISCONNECTED both ways with
// the buffer untouched.
int revoked_checks(uint32_t timer, rt::Cap<wire::EndpointFactory> eps) {
  alignas(8) uint8_t pb[256], rb[256];
  capnp::FixedMessageBuilder p(MutBytes(pb, sizeof pb));
  capnp::Response resp(MutBytes(rb, sizeof rb));
  CHECK(wire::EndpointFactory::Client::createRevokerParams(p), 80);
  auto rv = rt::call_for_cap<wire::Revoker>(eps, 1, p, resp);
  CHECK(rv, 80);
  capnp::FixedMessageBuilder wp(MutBytes(pb, sizeof pb));
  auto w = wire::Revoker::Client::wrapParams(wp);
  CHECK(w, 81);
  w->getTarget().set_capability(0);
  CapTransferDesc x{timer, XFER_COPY, {0, 0, 0}};
  CapTransferRecord rec[1];
  uint32_t n = 0;
  capnp::Response wr(MutBytes(rb, sizeof rb));
  CHECK(rt::call_with_caps(*rv, 0, wp, wr, Span<const CapTransferDesc>(&x, 1), Span<CapTransferRecord>(rec, 1), &n) &&
            n == 1,
        81);
  uint32_t wrapped = rec[0].cap_id;
  uint8_t* fa = g_page[0] + 64;
  uint8_t* gb = g_page[1] + 64;
  memset(g_page, 0xEE, sizeof g_page);
  CapCqe a = call_at(wrapped, wire::Timer::kInterfaceId, 0, true, fa, 64);
  CapCqe b = call_at(wrapped, wire::Timer::kInterfaceId, 0, false, gb, 64);
  CHECK(a.result == 32 && a.result == b.result && a.flags == b.flags && memcmp(fa, gb, 16) == 0, 82);
  capnp::FixedMessageBuilder rp(MutBytes(pb, sizeof pb));
  capnp::Response rr(MutBytes(rb, sizeof rb));
  CHECK(wire::Revoker::Client::revokeParams(rp) && wire::Revoker::Client(&rt::transport(), *rv).revoke(rp, rr), 83);
  memset(g_page, 0xEE, sizeof g_page);
  a = call_at(wrapped, wire::Timer::kInterfaceId, 0, true, fa, 64);
  b = call_at(wrapped, wire::Timer::kInterfaceId, 0, false, gb, 64);
  CHECK(a.result == CAP_ERR_DISCONNECTED && a.result == b.result && a.flags == b.flags, 84);
  for (uint32_t i = 0; i < sizeof g_page; ++i) CHECK(g_page[0][i] == 0xEE, 85);
  // The Timer itself still answers through the fast path.
  a = call_at(timer, wire::Timer::kInterfaceId, 0, true, fa, 64);
  CHECK(a.result == 32, 86);
  rt::release_cap(wrapped);
  rt::release_cap(*rv);
  rt::print("emptyparams: a wrapped Timer answers alike both ways, and alike DISCONNECTED once revoked\n");
  return 0;
}

int run() {
  auto timer = rt::capset_find<wire::Timer>("timer");
  auto status = rt::capset_find<wire::SystemStatus>("status");
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  auto sched = rt::capset_find<wire::SchedulingContext>("sched");
  auto tctl = rt::capset_find<wire::ThreadControl>("tctl");
  auto frames = rt::capset_find<wire::FrameAllocator>("frames");
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  CHECK(timer && status && boot && sched && tctl && frames && eps, 1);

  // Timer.now: the clock moves, so only the completion and the order.
  {
    Reply a = call(timer->id(), wire::Timer::kInterfaceId, 0, true);
    Reply b = call(timer->id(), wire::Timer::kInterfaceId, 0, false);
    CHECK(a.cqe.result > 0 && same_completion(a, b), 10);
    capnp::StreamReader<2> ra, rb;
    CHECK(ra.init(Bytes(a.buf, a.cqe.result)) && rb.init(Bytes(b.buf, b.cqe.result)), 11);
    auto na = wire::Timer::NowResults::readRoot(ra), nb = wire::Timer::NowResults::readRoot(rb);
    CHECK(na && nb && na->getMonotonicNs() > 0 && na->getMonotonicNs() <= nb->getMonotonicNs(), 12);
    // The generated one-argument call sends no message and reads the same.
    wire::Timer::Client t(&rt::transport(), *timer);
    alignas(8) uint8_t rbuf[64];
    capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
    auto nc = t.now(resp);
    CHECK(nc && nc->getMonotonicNs() >= nb->getMonotonicNs(), 13);
    rt::print("emptyparams: Timer.now answered alike with and without a params message\n");
  }
  if (int rc = fast_path_checks(timer->id())) return rc;
  if (int rc = revoked_checks(timer->id(), *eps)) return rc;
  BOTH("SystemStatus.memory", status->id(), wire::SystemStatus::kInterfaceId, 0, false, 20);
  BOTH("SystemStatus.selfLedger", status->id(), wire::SystemStatus::kInterfaceId, 2, true, 23);
  BOTH("SystemStatus.cpus", status->id(), wire::SystemStatus::kInterfaceId, 3, false, 26);
  BOTH("BootPackage.manifestSize", boot->id(), wire::BootPackage::kInterfaceId, 0, true, 30);
  BOTH("SchedulingContext.info", sched->id(), wire::SchedulingContext::kInterfaceId, 0, false, 33);
  BOTH("ThreadControl.currentThread", tctl->id(), wire::ThreadControl::kInterfaceId, 2, true, 36);

  // FrameAllocator.allocate with no params is pageCount 0: refused exactly
  // as the explicit zero (the full empty message) is.
  {
    Reply a = call(frames->id(), wire::FrameAllocator::kInterfaceId, 0, true);
    Reply b = call(frames->id(), wire::FrameAllocator::kInterfaceId, 0, false);
    CHECK(a.cqe.result == CAP_ERR_APPLICATION_EXCEPTION && same_completion(a, b), 40);
    rt::print("emptyparams: FrameAllocator.allocate without params is pageCount 0, refused alike\n");
  }
  // A MemoryObject to ask for its info both ways.
  {
    alignas(8) uint8_t pbuf[64];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof pbuf));
    auto ap = wire::FrameAllocator::Client::allocateParams(p);
    CHECK(ap, 41);
    ap->setPageCount(1);
    Reply r;
    CapSqe s{};
    s.opcode = CAP_OP_CALL;
    s.cap_id = frames->id();
    s.interface_id = wire::FrameAllocator::kInterfaceId;
    Bytes f = p.framed();
    s.params_addr = reinterpret_cast<uint64_t>(f.data());
    s.params_len = static_cast<uint32_t>(f.size());
    s.result_addr = reinterpret_cast<uint64_t>(r.buf);
    s.result_len = sizeof r.buf;
    s.user_data = rt::ring().next_user_data();
    r.cqe = rt::ring().call(s);
    CHECK(r.cqe.result >= 0 && r.cqe.cap_count == 1, 42);
    BOTH("MemoryObject.info", records(r)[0].cap_id, wire::MemoryObject::kInterfaceId, 0, true, 43);
  }

  // EndpointFactory.create with no params: servedInterfaceId 0, an untyped
  // endpoint, as the full empty message makes one.
  uint32_t owner[2] = {};
  for (int form = 0; form < 2; ++form) {
    Reply r = call(eps->id(), wire::EndpointFactory::kInterfaceId, 0, form == 0);
    CHECK(r.cqe.result >= 0 && (r.cqe.flags & CQE_F_CAPS) && r.cqe.cap_count == 2, 50 + form);
    for (uint32_t i = 0; i < 2; ++i)
      if (records(r)[i].interface_id == wire::Endpoint::kInterfaceId) owner[form] = records(r)[i].cap_id;
    CHECK(owner[form] != 0, 52 + form);
  }
  rt::print("emptyparams: EndpointFactory.create without params makes an untyped endpoint\n");
  {
    // Endpoint.info on each: the same answer both ways, and the same for both endpoints.
    Reply a = call(owner[0], wire::Endpoint::kInterfaceId, 0, true);
    Reply b = call(owner[1], wire::Endpoint::kInterfaceId, 0, false);
    CHECK(a.cqe.result > 0 && same_completion(a, b) && same_bytes(a, b), 55);
    rt::print("emptyparams: Endpoint.info answered alike with and without a params message\n");
    // Endpoint.mintClient: one client facet either way.
    Reply m0 = call(owner[0], wire::Endpoint::kInterfaceId, 1, true);
    Reply m1 = call(owner[0], wire::Endpoint::kInterfaceId, 1, false);
    CHECK(m0.cqe.result >= 0 && m0.cqe.cap_count == 1 && same_completion(m0, m1), 56);
    rt::print("emptyparams: Endpoint.mintClient answered alike with and without a params message\n");
  }

  // Bad calls still fail, with or without params.
  {
    // An unknown method: a CapException (unsupported) both ways.
    Reply a = call(timer->id(), wire::Timer::kInterfaceId, 9, true);
    Reply b = call(timer->id(), wire::Timer::kInterfaceId, 9, false);
    CHECK(a.cqe.result == CAP_ERR_APPLICATION_EXCEPTION && (a.cqe.flags & CQE_F_EXCEPTION) && same_completion(a, b), 60);
    // The wrong interface id is refused before any method runs.
    Reply c = call(timer->id(), wire::Console::kInterfaceId, 0, true);
    CHECK(c.cqe.result == CAP_ERR_INTERFACE_MISMATCH, 61);
    // A result buffer too small for the reply: refused, no params or not.
    Reply d = call(timer->id(), wire::Timer::kInterfaceId, 0, true, 8);
    Reply e = call(timer->id(), wire::Timer::kInterfaceId, 0, false, 8);
    CHECK(d.cqe.result == CAP_ERR_INVALID_RESULT_BUFFER && same_completion(d, e), 62);
    // Non-empty params that are not a message (4 bytes, a truncated
    // segment table): invalidArgument, not the default struct.
    alignas(8) static uint8_t junk[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    CapSqe s{};
    s.opcode = CAP_OP_CALL;
    s.cap_id = timer->id();
    s.interface_id = wire::Timer::kInterfaceId;
    s.params_addr = reinterpret_cast<uint64_t>(junk);
    s.params_len = 4;
    Reply f;
    s.result_addr = reinterpret_cast<uint64_t>(f.buf);
    s.result_len = sizeof f.buf;
    s.user_data = rt::ring().next_user_data();
    f.cqe = rt::ring().call(s);
    CHECK(f.cqe.result == CAP_ERR_APPLICATION_EXCEPTION, 63);
    // An unreadable params buffer is still refused when its length is not 0.
    s.params_addr = kNowhere;
    s.params_len = 16;
    s.user_data = rt::ring().next_user_data();
    f.cqe = rt::ring().call(s);
    CHECK(f.cqe.result == CAP_ERR_INVALID_PARAMS_BUFFER, 64);
    rt::print("emptyparams: bad calls fail as before (method, interface, result buffer, truncated or unreadable params)\n");
  }
  return 0;
}

}  // namespace

int main() {
  int rc = run();
  if (rc == 0) rt::printf("emptyparams: all {} checks passed\n", g_checks);
  return rc;
}
