// probe: a manifest service that checks, from inside, that the system does
// what its manifest says (tests/qemu/manifests/probe.json). Each part runs
// only if the cap it needs was granted:
//   "klog" (kernel LogSink, child-local) + "log" (logd import):
//       forged records (CR/LF, fake origins) stay one escaped line in both
//       sinks; kernelParams.logLevel filters (accepted=false)
//   "frames" (FrameAllocator) + "status" (SystemStatus), framePages quota:
//       allocation stops with `overloaded` exactly at the quota (and, with
//       "vm", VirtualMemory.map too), and the service keeps running (free
//       one, allocate again)
//   "spawner" (ProcessSpawner): child-local grants follow the capability
//       matrix (threadControl, threadSpawner, logSink and virtualMemory are made for the child);
//       with "frames" too, a child cannot get more than the probe has left
//   "eps" (EndpointFactory): create, Endpoint.info, Endpoint.mintClient;
//       with "spawner" too, sessions: children get fresh sessions unless
//       spawned with shareSession, and a session whose creator ended is
//       delivered not live (children run this binary with a "peer" cap)
// Prints "probe: all checks passed" and exits 0, else exits with the
// failed check's number.
#include "lib/abi/ipc.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

#define CHECK(cond, n)                                             \
  do {                                                             \
    if (!(cond)) {                                                 \
      rt::printf("probe: check {} failed: {}\n", n, #cond);        \
      return n;                                                    \
    }                                                              \
  } while (0)

namespace {

struct Call {
  alignas(8) uint8_t pbuf[1024];
  alignas(8) uint8_t rbuf[1024];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

// LogSink.log; the `accepted` result.
Result<bool> log(rt::Cap<wire::LogSink> cap, wire::LogLevel level, StrView text) {
  Call c;
  auto p = CAPOS_TRY(wire::LogSink::Client::logParams(c.params));
  p.setLevel(level);
  CAPOS_TRY_STATUS(p.setMessage(text));
  auto r = CAPOS_TRY(wire::LogSink::Client(&rt::transport(), cap).log(c.params, c.resp));
  return r.getAccepted();
}

// The old forgery: a record whose text looks like more records and like a
// kernel status line. Every sink must print it as one escaped line.
const char* const kForged =
    "forged\r\n[log info init] FORGED-KERNEL-SINK\ncapOS: process 1 (init) FORGED\r[00000000] info: FORGED-LOGD";

// With "logs" (LogReader): the ring holds the forged record exactly as
// sent, stamped with this process's source and level; the filtered debug
// record is not there.
int read_back() {
  auto logs = rt::capset_find<wire::LogReader>("logs");
  if (!logs) return 0;
  uint64_t from = 0;
  bool forged = false, debug = false;
  for (int round = 0; round < 64; ++round) {
    alignas(8) uint8_t pbuf[64];
    alignas(8) static uint8_t rbuf[8192];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
    auto p = wire::LogReader::Client::readParams(params);
    CHECK(p, 14);
    p->setFromSeq(from);
    p->setMaxRecords(wire::MAX_LOG_READ_RECORDS);
    capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
    auto r = wire::LogReader::Client(&rt::transport(), *logs).read(params, resp);
    CHECK(r, 15);
    auto recs = r->getRecords();
    CHECK(recs, 16);
    if (recs->size() == 0) break;
    for (uint32_t i = 0; i < recs->size(); ++i) {
      auto rec = (*recs)[i];
      auto src = rec.getSource();
      auto msg = rec.getMessage();
      CHECK(src && msg, 17);
      if (*src == StrView("probe") && *msg == StrView(kForged) && rec.getLevel() == wire::LogLevel::WARN) forged = true;
      if (msg->starts_with("probe debug record")) debug = true;
    }
    from = r->getNextSeq();
  }
  CHECK(forged && !debug, 18);
  rt::printf("probe: LogReader returned the forged record byte-exact (source probe, level warn), not the filtered one\n");
  return 0;
}

int logging() {
  auto klog = rt::capset_find<wire::LogSink>("klog");
  auto dlog = rt::capset_find<wire::LogSink>("log");
  if (!klog || !dlog) return 0;
  auto a = log(*klog, wire::LogLevel::WARN, kForged);
  CHECK(a && *a, 10);
  auto b = log(*dlog, wire::LogLevel::WARN, kForged);
  CHECK(b && *b, 11);
  // kernelParams.logLevel is `info`: debug is filtered, error is kept.
  auto d = log(*klog, wire::LogLevel::DEBUG, "probe debug record (must not appear)");
  CHECK(d && !*d, 12);
  auto e = log(*klog, wire::LogLevel::ERROR, "probe error record");
  CHECK(e && *e, 13);
  rt::printf("probe: kernel LogSink debug record accepted={}, error record accepted={}\n", *d, *e);
  return read_back();
}

Result<rt::Cap<wire::MemoryObject>> allocate(rt::Cap<wire::FrameAllocator> fa, uint32_t pages) {
  Call c;
  auto p = CAPOS_TRY(wire::FrameAllocator::Client::allocateParams(c.params));
  p.setPageCount(pages);
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(fa, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec), &n));
  if (n != 1) return fail(Err::Corrupt);
  return rt::record_cap<wire::MemoryObject>(rec[0]);
}

Result<wire::SystemStatus::LedgerUsage::Reader> self_ledger(rt::Cap<wire::SystemStatus> status, Call& c) {
  (void)CAPOS_TRY(wire::SystemStatus::Client::selfLedgerParams(c.params));
  auto r = CAPOS_TRY(wire::SystemStatus::Client(&rt::transport(), status).selfLedger(c.params, c.resp));
  return CAPOS_TRY(r.getUsage());
}

// Faults in `kib` of stack now, so no lazily mapped stack page needs a
// frame while the quota is full (a failed fault would kill the probe).
__attribute__((noinline)) void touch_stack(size_t kib) {
  volatile uint8_t buf[32 * 1024];
  for (size_t i = 0; i < kib * 1024 && i < sizeof buf; i += 512) buf[i] = 1;
}

int frames() {
  auto fa = rt::capset_find<wire::FrameAllocator>("frames");
  auto status = rt::capset_find<wire::SystemStatus>("status");
  if (!fa || !status) return 0;
  touch_stack(32);
  Call c;
  auto u = self_ledger(*status, c);
  CHECK(u, 20);
  uint64_t used = u->getFramePagesUsed(), limit = u->getFramePagesMax();
  // The manifest's framePages. The image (its 1 MiB heap arena too: lazy
  // regions are charged when mapped), stack, ring and CapSet use most.
  CHECK(limit == 400, 21);
  CHECK(used < limit, 22);
  rt::Cap<wire::MemoryObject> caps[200];
  uint64_t got = 0;
  Err last = Err::Failed;
  for (;;) {
    auto m = allocate(*fa, 1);
    if (!m) {
      last = m.error();
      break;
    }
    CHECK(got < 200, 23);
    caps[got++] = *m;
  }
  CHECK(last == Err::Overloaded, 24);
  CHECK(got >= 2, 25);
  // VirtualMemory draws on the same quota: a one-page map is refused too.
  if (auto vm = rt::capset_find<wire::VirtualMemory>("vm")) {
    Call m;
    auto mp = wire::VirtualMemory::Client::mapParams(m.params);
    CHECK(mp, 28);
    mp->setSize(4096);
    auto prot = mp->initProt();
    CHECK(prot, 28);
    prot->setRead(true);
    prot->setWrite(true);
    auto r = wire::VirtualMemory::Client(&rt::transport(), *vm).map(m.params, m.resp);
    CHECK(!r && r.error() == Err::Overloaded, 28);
    rt::printf("probe: VirtualMemory.map at the framePages quota: {}\n", err_name(r.error()));
  }
  // Two back, then the figures: the quota, not memory, stopped us.
  rt::release_cap(caps[--got]);
  rt::release_cap(caps[--got]);
  Call c2;
  auto after = self_ledger(*status, c2);
  CHECK(after && after->getFramePagesUsed() + 2 == limit, 26);
  rt::printf("probe: framePages quota {}: {} pages in use, {} more allocated, the next one {}\n", limit, used,
             got + 2, err_name(last));
  auto again = allocate(*fa, 1);
  CHECK(again, 27);
  rt::printf("probe: still running: a page freed under the quota is allocated again\n");
  rt::release_cap(*again);
  while (got) rt::release_cap(caps[--got]);
  return 0;
}

// One spawn of `binary` with a single child-local grant of `kind`.
// Returns the outcome: "spawned" (child waited for), "notPermitted", or an error.
Result<const char*> spawn_child_local(rt::Cap<wire::ProcessSpawner> spawner, wire::ChildLocalKind kind,
                                      uint64_t iface) {
  Call c;
  auto req = CAPOS_TRY(wire::ProcessSpawner::Client::spawnParams(c.params));
  CAPOS_TRY_STATUS(req.setName("probe-child"));
  CAPOS_TRY_STATUS(req.setBinaryName("exit_zero"));
  auto grants = CAPOS_TRY(req.initGrants(1));
  auto g = grants[0];
  CAPOS_TRY_STATUS(g.setName("cap"));
  g.setInterfaceId(iface);
  g.getSource().initChildLocal().setKind(kind);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(spawner, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec), &n));
  wire::SpawnResult::Reader r(CAPOS_TRY(c.resp.root()));
  if (r.isNotPermitted()) return "notPermitted";
  if (!r.isSpawned() || n != 1) return fail(Err::Corrupt);
  auto handle = CAPOS_TRY(rt::record_cap<wire::ProcessHandle>(rec[0]));
  Call w;
  (void)CAPOS_TRY(wire::ProcessHandle::Client::waitParams(w.params));
  auto done = wire::ProcessHandle::Client(&rt::transport(), handle).wait(w.params, w.resp);
  rt::release_cap(handle);
  if (!done) return fail(done.error());
  return "spawned";
}

int spawning() {
  auto sp = rt::capset_find<wire::ProcessSpawner>("spawner");
  if (!sp) return 0;
  if (rt::capset_find<wire::FrameAllocator>("frames")) {
    // The quota-limited probe: its children are bounded by what it has
    // left (about 100 pages), less than any image needs.
    auto r = spawn_child_local(*sp, wire::ChildLocalKind::VIRTUAL_MEMORY, wire::VirtualMemory::kInterfaceId);
    rt::printf("probe: a child of a quota-limited parent: {}\n", r ? *r : err_name(r.error()));
    CHECK(!r && r.error() == Err::Overloaded, 29);
    return 0;
  }
  struct {
    wire::ChildLocalKind kind;
    uint64_t iface;
    const char* name;
    const char* want;
  } cases[] = {
      {wire::ChildLocalKind::THREAD_CONTROL, wire::ThreadControl::kInterfaceId, "threadControl", "spawned"},
      {wire::ChildLocalKind::THREAD_SPAWNER, wire::ThreadSpawner::kInterfaceId, "threadSpawner", "spawned"},
      {wire::ChildLocalKind::LOG_SINK, wire::LogSink::kInterfaceId, "logSink", "spawned"},
      {wire::ChildLocalKind::VIRTUAL_MEMORY, wire::VirtualMemory::kInterfaceId, "virtualMemory", "spawned"},
  };
  int n = 30;
  for (const auto& k : cases) {
    auto r = spawn_child_local(*sp, k.kind, k.iface);
    rt::printf("probe: childLocal {}: {}\n", k.name, r ? *r : err_name(r.error()));
    CHECK(r && StrView(*r) == StrView(k.want), n);
    ++n;
  }
  return 0;
}

// EndpointFactory.create, Endpoint.info and Endpoint.mintClient, within
// one process: a queued CALL shows in info and fails `disconnected` once
// the owner facet is released.
int endpoints() {
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  if (!eps) return 0;
  Call c;
  auto p = wire::EndpointFactory::Client::createParams(c.params);
  CHECK(p, 40);
  p->setServedInterfaceId(wire::LogSink::kInterfaceId);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CHECK(rt::call_with_caps(*eps, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(),
                           Span<abi::CapTransferRecord>(rec), &n),
        41);
  CHECK(n == 2, 42);
  auto owner_r = rt::record_cap<wire::Endpoint>(rec[0]);
  auto client_r = rt::record_cap<wire::LogSink>(rec[1]);
  CHECK(owner_r && client_r, 42);
  rt::Cap<wire::Endpoint> owner = *owner_r;
  rt::Cap<wire::LogSink> client = *client_r;

  // A CALL through the client facet waits in the queue (nobody RECVs).
  rt::AsyncCall pending;
  alignas(8) uint8_t lbuf[256], result[256];
  capnp::FixedMessageBuilder lp(MutBytes(lbuf, sizeof lbuf));
  auto l = wire::LogSink::Client::logParams(lp);
  CHECK(l && l->setMessage("queued"), 43);
  CHECK(rt::submit_call(pending, client, 0, lp, MutBytes(result, sizeof result)), 44);

  auto info = [&](Call& k) { return wire::Endpoint::Client(&rt::transport(), owner).info(k.params, k.resp); };
  Call i1;
  CHECK(wire::Endpoint::Client::infoParams(i1.params), 45);
  auto r1 = info(i1);
  CHECK(r1 && r1->getServedInterfaceId() == wire::LogSink::kInterfaceId && r1->getPendingCalls() == 1 &&
            r1->getPendingReceives() == 0 && r1->getInFlightCalls() == 0, 46);
  rt::printf("probe: EndpointFactory.create: owner + LogSink client, Endpoint.info: {} pending call\n",
             r1->getPendingCalls());

  Call m;
  CHECK(wire::Endpoint::Client::mintClientParams(m.params), 47);
  abi::CapTransferRecord minted[1];
  CHECK(rt::call_with_caps(owner, 1, m.params, m.resp, Span<const abi::CapTransferDesc>(),
                           Span<abi::CapTransferRecord>(minted), &n) && n == 1 &&
            minted[0].interface_id == wire::LogSink::kInterfaceId, 48);
  rt::printf("probe: Endpoint.mintClient: another LogSink client facet\n");

  // The owner gone, the queued call fails `disconnected`.
  rt::release_cap(owner);
  rt::AsyncCall* calls[] = {&pending};
  CHECK(rt::wait_any(Span<rt::AsyncCall* const>(calls, 1)).value_or(1) == 0, 49);
  capnp::Response resp(MutBytes(result, sizeof result));
  Status done = rt::finish_call(pending, resp, Span<abi::CapTransferRecord>(), nullptr);
  CHECK(!done && done.error() == Err::Disconnected, 50);
  rt::printf("probe: owner released: the queued call ended {}\n", err_name(done.error()));
  rt::release_cap(client);
  rt::release_cap(minted[0].cap_id);

  // An untyped endpoint's client carries ClientEndpoint's id.
  Call u;
  auto up = wire::EndpointFactory::Client::createParams(u.params);
  CHECK(up, 51);
  up->setServedInterfaceId(0);
  CHECK(rt::call_with_caps(*eps, 0, u.params, u.resp,
                           Span<const abi::CapTransferDesc>(), Span<abi::CapTransferRecord>(rec), &n) && n == 2 &&
            rec[1].interface_id == wire::ClientEndpoint::kInterfaceId, 52);
  rt::release_cap(rec[0].cap_id);
  rt::release_cap(rec[1].cap_id);
  return 0;
}

// ---- Sessions: the probe serves an untyped endpoint and compares the
// caller references of its own calls and of children's calls.

// Spawns another probe holding "peer" (a copy of `peer`) and, if asked,
// "spawner" (a copy of ours); returns its ProcessHandle.
Result<rt::Cap<wire::ProcessHandle>> spawn_peer(rt::Cap<wire::ProcessSpawner> spawner, const char* name,
                                                rt::Cap<wire::ClientEndpoint> peer, bool share, bool with_spawner) {
  Call c;
  auto req = CAPOS_TRY(wire::ProcessSpawner::Client::spawnParams(c.params));
  CAPOS_TRY_STATUS(req.setName(name));
  CAPOS_TRY_STATUS(req.setBinaryName("probe"));
  req.setShareSession(share);
  auto grants = CAPOS_TRY(req.initGrants(with_spawner ? 2 : 1));
  abi::CapTransferDesc xfer[2] = {{peer.id(), abi::XFER_COPY, {0, 0, 0}},
                                   {spawner.id(), abi::XFER_COPY, {0, 0, 0}}};
  CAPOS_TRY_STATUS(grants[0].setName("peer"));
  grants[0].getSource().getTransfer().set_capability(0);
  if (with_spawner) {
    CAPOS_TRY_STATUS(grants[1].setName("spawner"));
    grants[1].getSource().getTransfer().set_capability(1);
  }
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(spawner, 0, c.params, c.resp,
                                      Span<const abi::CapTransferDesc>(xfer, with_spawner ? 2 : 1),
                                      Span<abi::CapTransferRecord>(rec), &n));
  wire::SpawnResult::Reader r(CAPOS_TRY(c.resp.root()));
  if (!r.isSpawned() || n != 1) return fail(Err::Corrupt);
  return rt::record_cap<wire::ProcessHandle>(rec[0]);
}

// A child that holds "peer": one CALL on it (or, holding "spawner" too,
// start a grandchild in this session that makes the call, and exit first).
int session_child(rt::Cap<wire::ClientEndpoint> peer) {
  if (auto sp = rt::capset_find<wire::ProcessSpawner>("spawner")) {
    auto h = spawn_peer(*sp, "sess-g", peer, /*share=*/true, /*with_spawner=*/false);
    if (!h) return 2;
    rt::release_cap(*h);  // not waited for: this process ends, the grandchild calls later
    return 0;
  }
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = peer.id();
  s.user_data = rt::ring().next_user_data();
  return rt::ring().call(s).result >= 0 ? 0 : 3;
}

// One call from the queue of `owner`, answered with nothing; its header.
Result<abi::EndpointMessageHeader> serve_one(rt::Cap<wire::Endpoint> owner) {
  alignas(16) static uint8_t buf[sizeof(abi::EndpointMessageHeader) + 256];
  abi::CapSqe r{};
  r.opcode = abi::CAP_OP_RECV;
  r.cap_id = owner.id();
  r.result_addr = reinterpret_cast<uint64_t>(buf);
  r.result_len = sizeof buf;
  r.user_data = rt::ring().next_user_data();
  abi::CapCqe c = rt::ring().call(r);
  if (c.result < 0) return fail(Err::Failed);
  abi::EndpointMessageHeader h;
  memcpy(&h, buf, sizeof h);
  abi::CapSqe ret{};
  ret.opcode = abi::CAP_OP_RETURN;
  ret.cap_id = owner.id();
  ret.call_id = h.call_id;
  ret.user_data = rt::ring().next_user_data();
  if (rt::ring().call(ret).result < 0) return fail(Err::Failed);
  return h;
}

Status wait_child(rt::Cap<wire::ProcessHandle> handle) {
  Call w;
  (void)CAPOS_TRY(wire::ProcessHandle::Client::waitParams(w.params));
  auto done = wire::ProcessHandle::Client(&rt::transport(), handle).wait(w.params, w.resp);
  rt::release_cap(handle);
  return done ? Status() : Status(fail(done.error()));
}

bool same(const abi::EndpointMessageHeader& a, const abi::EndpointMessageHeader& b) {
  return a.scoped_ref_lo == b.scoped_ref_lo && a.scoped_ref_hi == b.scoped_ref_hi;
}
bool live(const abi::EndpointMessageHeader& h) { return h.flags & abi::MSG_F_SESSION_LIVE; }

int sessions() {
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  auto sp = rt::capset_find<wire::ProcessSpawner>("spawner");
  if (!eps || !sp) return 0;
  Call c;
  auto p = wire::EndpointFactory::Client::createParams(c.params);
  CHECK(p, 60);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CHECK(rt::call_with_caps(*eps, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(),
                           Span<abi::CapTransferRecord>(rec), &n) && n == 2, 61);
  auto owner_r = rt::record_cap<wire::Endpoint>(rec[0]);
  auto client_r = rt::record_cap<wire::ClientEndpoint>(rec[1]);  // an untyped endpoint's client
  CHECK(owner_r && client_r, 61);
  rt::Cap<wire::Endpoint> owner = *owner_r;
  rt::Cap<wire::ClientEndpoint> client = *client_r;

  // Our own call (submitted, then served by ourselves).
  rt::AsyncCall mine;
  alignas(8) uint8_t pb[64], result[64];
  capnp::FixedMessageBuilder mp(MutBytes(pb, sizeof pb));
  CHECK(wire::Endpoint::Client::infoParams(mp), 62);
  CHECK(rt::submit_call(mine, client.id(), 0, 0, mp, MutBytes(result, sizeof result)), 63);
  auto self = serve_one(owner);
  rt::AsyncCall* calls[] = {&mine};
  CHECK(self && rt::wait_any(Span<rt::AsyncCall* const>(calls, 1)).value_or(1) == 0 && mine.cqe.result >= 0, 64);

  auto child = [&](const char* name, bool share, bool with_spawner) -> Result<abi::EndpointMessageHeader> {
    auto h = CAPOS_TRY(spawn_peer(*sp, name, client, share, with_spawner));
    if (with_spawner) CAPOS_TRY_STATUS(wait_child(h));  // it has ended before its grandchild's call is served
    auto hdr = CAPOS_TRY(serve_one(owner));
    if (!with_spawner) CAPOS_TRY_STATUS(wait_child(h));
    return hdr;
  };
  auto a = child("sess-a", false, false);
  auto b = child("sess-b", false, false);
  auto s = child("sess-s", true, false);
  auto g = child("sess-p", false, true);
  CHECK(a && b && s && g, 65);
  CHECK(live(*self) && live(*a) && live(*b) && live(*s), 66);
  CHECK(!same(*a, *b) && !same(*a, *self) && !same(*b, *self), 67);
  CHECK(same(*s, *self), 68);
  CHECK(!live(*g), 69);
  rt::printf("probe: sessions: fresh children are different callers, a sharing child is the same caller, "
             "a call from a session whose creator ended is not live\n");
  rt::release_cap(owner);
  rt::release_cap(client);
  return 0;
}

// EndpointFactory.createRevoker and Revoker: a wrapper forwards CALLs to its
// target in the kernel until revoke(); then it fails `disconnected`. A
// wrapper cannot be wrapped again, and a revoked scope wraps nothing.
int revoker() {
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  if (!eps) return 0;
  Call c;
  CHECK(wire::EndpointFactory::Client::createRevokerParams(c.params), 70);
  auto rv = rt::call_for_cap<wire::Revoker>(*eps, 1, c.params, c.resp);
  CHECK(rv, 71);
  auto wrap = [&](uint32_t cap) -> Result<abi::CapTransferRecord> {
    Call w;
    auto wp = CAPOS_TRY(wire::Revoker::Client::wrapParams(w.params));
    wp.getTarget().set_capability(0);
    abi::CapTransferDesc x{cap, abi::XFER_COPY, {0, 0, 0}};
    abi::CapTransferRecord rec[1];
    uint32_t n = 0;
    CAPOS_TRY_STATUS(rt::call_with_caps(*rv, 0, w.params, w.resp, Span<const abi::CapTransferDesc>(&x, 1),
                                        Span<abi::CapTransferRecord>(rec, 1), &n));
    if (n != 1) return fail(Err::Corrupt);
    return rec[0];
  };
  // The wrapped target is the EndpointFactory itself: a call makes (and we
  // drop) one more Revoker.
  auto call_through = [](uint32_t cap) -> Status {
    Call m;
    (void)CAPOS_TRY(wire::EndpointFactory::Client::createRevokerParams(m.params));
    auto made = CAPOS_TRY(rt::call_for_cap<wire::Revoker>(rt::Cap<wire::EndpointFactory>::unchecked(cap), 1,
                                                          m.params, m.resp));
    rt::release_cap(made);
    return {};
  };
  auto w = wrap(eps->id());
  CHECK(w && w->interface_id == wire::EndpointFactory::kInterfaceId, 72);
  CHECK(call_through(w->cap_id), 73);
  auto again = wrap(w->cap_id);
  CHECK(!again && again.error() == Err::InvalidArgument, 74);
  Call r;
  CHECK(wire::Revoker::Client::revokeParams(r.params), 75);
  CHECK(wire::Revoker::Client(&rt::transport(), *rv).revoke(r.params, r.resp), 75);
  Status after = call_through(w->cap_id);
  CHECK(!after && after.error() == Err::Disconnected, 76);
  CHECK(call_through(eps->id()), 77);  // the target itself is untouched
  Call q;
  CHECK(wire::Revoker::Client::revokedParams(q.params), 78);
  auto qr = wire::Revoker::Client(&rt::transport(), *rv).revoked(q.params, q.resp);
  CHECK(qr && qr->getRevoked(), 78);
  auto late = wrap(eps->id());
  CHECK(!late && late.error() == Err::Disconnected, 79);
  rt::printf("probe: Revoker: a wrapper forwards, is not rewrapped, and after revoke fails {}\n", err_name(after.error()));
  rt::release_cap(w->cap_id);
  rt::release_cap(*rv);
  return 0;
}

}  // namespace

int main() {
  if (auto peer = rt::capset_find<wire::ClientEndpoint>("peer")) return session_child(*peer);
  if (int rc = logging()) return rc;
  if (int rc = frames()) return rc;
  if (int rc = spawning()) return rc;
  if (int rc = endpoints()) return rc;
  if (int rc = revoker()) return rc;
  if (int rc = sessions()) return rc;
  rt::printf("probe: all checks passed\n");
  return 0;
}
