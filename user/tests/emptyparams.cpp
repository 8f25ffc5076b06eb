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
