// Roles reproducing the old failure shapes of issue 22's findings 2, 3, 5
// and 6, and the two sides of the quota-isolation check.
#include "lib/core/cstring.h"
#include "user/tests/hostile22.h"

namespace capos::h22 {

using namespace abi;
using VM = wire::VirtualMemory::Client;
using MO = wire::MemoryObject::Client;

namespace {

volatile uint8_t* at(uint64_t a) { return reinterpret_cast<volatile uint8_t*>(a); }

// The last call failed with a CapException that names the result buffer
// (the finding-5 refusal), delivered in full: the transport keeps a
// message only for a complete application exception (a truncated one
// fails with Err::Truncated and no message). Callers check the Err.
bool refused_for_result_buffer() {
  StrView m = rt::transport().last_exception();
  const char want[] = "result buffer";
  for (size_t i = 0; i + sizeof(want) - 1 <= m.size(); ++i)
    if (m.substr(i).starts_with(want)) return true;
  return false;
}

template <class P> void set_rw(P p, bool write) {
  auto prot = p.initProt();
  if (!prot) return;
  prot->setRead(true);
  prot->setWrite(write);
}

}  // namespace

// Finding 6: 200 synchronous echo calls while flooders hammer the same
// endpoint; every one must be answered (it used to get OVERLOADED).
int fair_client() {
  auto ep = cap<Echo>("fair");
  for (uint64_t i = 0; i < 200; ++i) {
    uint64_t p[2] = {i * 0x9E3779B97F4A7C15ull, i}, r[2] = {};
    CapCqe c = rt::ring().call(call_sqe(ep, 1, p, sizeof(p), r, sizeof(r)));
    if (c.result != 16) {
      rt::printf("fair: call {} answered {}\n", i, c.result);
      return 60;
    }
    if (r[0] != p[0] || r[1] != p[1]) return 61;
  }
  rt::print("fair: 200 calls answered while the flooders ran\n");
  return 0;
}

// Finding 5: a call that would unmap / decommit / re-protect the page
// holding its own result buffer (or whose result buffer cannot hold the
// reply) is refused before any side effect; the mapping stays intact.
// It used to perform the change and then report INVALID_RESULT_BUFFER.
int address_change() {
  auto vm = cap<wire::VirtualMemory>("addr_change");
  auto fa = cap<wire::FrameAllocator>("frames");
  VM v(&rt::transport(), vm);
  auto a = vm_map(vm, 0, 2 * PG, true);
  H22_CHECK(a, 70);
  at(*a)[0] = 0x5A;
  at(*a + PG)[0] = 0xA5;
  // The reply of each call lands inside the range it would change.
  auto reply_in = [](uint64_t addr) { return capnp::Response(MutBytes(reinterpret_cast<uint8_t*>(addr + 64), 256)); };
  {
    Call c;
    auto p = VM::unmapParams(c.params);
    p->setAddr(*a);
    p->setSize(2 * PG);
    capnp::Response r = reply_in(*a + PG);
    H22_CHECK(is(st(v.unmap(c.params, r)), Err::InvalidArgument), 71);
    H22_CHECK(refused_for_result_buffer(), 72);
    H22_CHECK(at(*a)[0] == 0x5A && at(*a + PG)[0] == 0xA5, 73);  // still mapped
  }
  {
    Call c;
    auto p = VM::protectParams(c.params);
    p->setAddr(*a);
    p->setSize(PG);
    set_rw(*p, false);
    capnp::Response r = reply_in(*a);
    H22_CHECK(is(st(v.protect(c.params, r)), Err::InvalidArgument), 74);
    H22_CHECK(refused_for_result_buffer(), 75);
    at(*a)[1] = 1;  // still writable (a fault here kills the role)
  }
  {
    Call c;
    auto rp = VM::reserveParams(c.params);
    rp->setSize(4 * PG);
    auto res = v.reserve(c.params, c.resp);
    H22_CHECK(res, 76);
    uint64_t r0 = res->getAddr();
    Call d;
    auto cp = VM::commitParams(d.params);
    cp->setAddr(r0);
    cp->setSize(4 * PG);
    set_rw(*cp, true);
    H22_CHECK(st(v.commit(d.params, d.resp)), 77);
    at(r0 + 3 * PG)[9] = 0x33;
    Call e;
    auto dp = VM::decommitParams(e.params);
    dp->setAddr(r0);
    dp->setSize(4 * PG);
    capnp::Response r = reply_in(r0 + 3 * PG);
    H22_CHECK(is(st(v.decommit(e.params, r)), Err::InvalidArgument), 78);
    H22_CHECK(refused_for_result_buffer() && at(r0 + 3 * PG)[9] == 0x33, 79);  // not decommitted (not zeroed)
    H22_CHECK(vm_unmap(vm, r0, 4 * PG), 80);
  }
  {
    // A result buffer too small for even the empty reply: refused, and
    // the refusal itself does not fit either (truncated), range untouched.
    Call c;
    auto p = VM::unmapParams(c.params);
    p->setAddr(*a + PG);
    p->setSize(PG);
    alignas(8) uint8_t tiny[8];
    capnp::Response r(MutBytes(tiny, sizeof(tiny)));
    auto u = v.unmap(c.params, r);
    H22_CHECK(!u, 81);
    H22_CHECK(u.error() == Err::Truncated, 82);  // CAP_ERR_APPLICATION_EXCEPTION_TRUNCATED
    H22_CHECK(at(*a + PG)[0] == 0xA5, 83);
  }
  {
    auto mo = allocate(fa, 1);
    H22_CHECK(mo, 84);
    Call c;
    auto mp = MO::mapParams(c.params);
    set_rw(*mp, true);
    auto m = MO(&rt::transport(), *mo).map(c.params, c.resp);
    H22_CHECK(m, 85);
    uint64_t base = m->getAddr();
    at(base)[0] = 0x77;
    Call d;
    auto up = MO::unmapParams(d.params);
    up->setAddr(base);
    capnp::Response r = reply_in(base);
    H22_CHECK(is(st(MO(&rt::transport(), *mo).unmap(d.params, r)), Err::InvalidArgument), 86);
    H22_CHECK(refused_for_result_buffer() && at(base)[0] == 0x77, 87);
    Call e;
    auto up2 = MO::unmapParams(e.params);
    up2->setAddr(base);
    H22_CHECK(st(MO(&rt::transport(), *mo).unmap(e.params, e.resp)), 88);  // result buffer elsewhere: done
    H22_CHECK(release(*mo), 89);
  }
  // The control: with the result buffer elsewhere the unmap happens.
  H22_CHECK(vm_unmap(vm, *a, 2 * PG), 90);
  H22_CHECK(is(vm_unmap(vm, *a, 2 * PG), Err::InvalidArgument), 91);
  rt::print("addr_change: unmap/protect/decommit/MemoryObject.unmap of their own result buffer refused, "
            "mappings intact\n");
  return 0;
}

// Finding 2 from ring 3: sparse map/unmap rounds across distinct 1 GiB
// regions. Each map is charged page tables (ledger page-tables rises);
// each unmap frees them: ledger and free frames end exactly where they
// started (they used to drain every free frame, charged to nobody).
int page_table_storm() {
  constexpr uint64_t ROUNDS = 40000;
  auto vm = cap<wire::VirtualMemory>("pt_storm");
  auto ss = cap<wire::SystemStatus>("status");
  constexpr uint64_t REGIONS = (USER_HEAP_END - USER_HEAP_BASE) >> 30;
  // Warm the path once (the first kernel calls allocate lasting state).
  auto w = vm_map(vm, 0, PG, true);
  H22_CHECK(w && vm_unmap(vm, *w, PG), 100);
  auto base = self_ledger(ss);
  auto free0 = free_frames(ss);
  H22_CHECK(base && free0, 101);
  for (uint64_t i = 0; i < ROUNDS; ++i) {
    uint64_t hint = USER_HEAP_BASE + ((i * 7919) % REGIONS << 30) + ((i % 512) << 21);
    auto a = vm_map(vm, hint, PG, true);
    H22_CHECK(a && *a == hint, 102);
    if (i % 4000 == 0) {
      auto mid = self_ledger(ss);
      H22_CHECK(mid && mid->tables > base->tables, 103);  // the map's tables are charged
    }
    H22_CHECK(vm_unmap(vm, *a, PG), 104);
  }
  auto end = self_ledger(ss);
  auto free1 = free_frames(ss);
  H22_CHECK(end && free1, 105);
  rt::printf("pt_storm: {} sparse rounds; page-tables {} -> {}; free frames {} -> {}\n", ROUNDS, base->tables,
             end->tables, *free0, *free1);
  H22_CHECK(end->tables == base->tables && end->frames == base->frames, 106);
  H22_CHECK(*free1 == *free0, 107);
  return 0;
}

// Finding 3's shape: leaves sleeps and endpoint calls (queued, never
// received) behind, then waits to be killed. The kernel self test checks
// that nothing it left stays allocated.
int leaver() {
  auto t = cap<wire::Timer>("leaver");
  auto ep = cap<Echo>("ep");
  static uint8_t sp_buf[64];
  capnp::FixedMessageBuilder mb(MutBytes(sp_buf, sizeof(sp_buf)));
  auto p = wire::Timer::Client::sleepParams(mb);
  H22_CHECK(p, 110);
  p->setDurationNs(3600'000'000'000ull);
  Bytes msg = mb.framed();
  static uint8_t results[32][64];
  static uint64_t params[8][4];
  for (uint32_t i = 0; i < 8 && ep; ++i) {
    params[i][0] = i;
    H22_CHECK(rt::ring().push(call_sqe(ep, 1, params[i], sizeof(params[i]), results[24 + i], 64)), 111);
    H22_CHECK(rt::ring().enter(0, CAP_ENTER_NO_WAIT).ok(), 112);
  }
  RingHeader& h = rt::ring().page()->header;
  for (uint32_t i = 0; i < 24; ++i) {  // sleeps until the completion budget is full
    H22_CHECK(rt::ring().push(call_sqe(t, static_cast<uint16_t>(wire::Timer::Method::SLEEP), msg.data(),
                                       static_cast<uint32_t>(msg.size()), results[i], 64)),
              113);
    H22_CHECK(rt::ring().enter(0, CAP_ENTER_NO_WAIT).ok(), 114);
    if (h.sq_head != h.sq_tail) break;
  }
  for (;;) {  // ends by kill; calls a live server answers are reaped and dropped
    if (rt::cap_enter(1, CAP_ENTER_FOREVER) < 0) return 115;
    CapCqe c;
    while (rt::ring().pop(&c)) {
    }
  }
}

// Finding 3's MemoryObject shape, with "keeper": allocates a 4-page
// MemoryObject, sends a copy to the keeper, keeps its own cap and waits to
// be killed. The kernel self test checks that the keeper, which maps the
// object, inherits the charge when the giver dies.
int giver() {
  auto fa = cap<wire::FrameAllocator>("giver");
  auto ep = cap<Echo>("ep");
  auto mo = allocate(fa, 4);
  H22_CHECK(mo, 150);
  CapTransferDesc d{mo->id(), XFER_COPY, {0, 0, 0}};
  uint8_t reply[64];
  CapSqe s = call_sqe(ep, 1, nullptr, 0, reply, sizeof(reply));
  s.xfer_addr = reinterpret_cast<uint64_t>(&d);
  s.xfer_count = 1;
  H22_CHECK(rt::ring().call(s).result == 0, 151);
  rt::cap_enter(1, CAP_ENTER_FOREVER);  // never satisfied: ends by kill
  return 152;
}

// Receives the object, maps it, answers, drops its cap (the mapping alone
// keeps the object) and waits to be killed.
int keeper() {
  auto ep = cap<Echo>("keeper");
  alignas(16) static uint8_t buf[sizeof(EndpointMessageHeader) + 64 + 4 * sizeof(CapTransferRecord)];
  CapSqe r{};
  r.opcode = CAP_OP_RECV;
  r.cap_id = ep.id();
  r.result_addr = reinterpret_cast<uint64_t>(buf);
  r.result_len = sizeof(buf);
  r.user_data = rt::ring().next_user_data();
  H22_CHECK(rt::ring().call(r).result > 0, 160);
  auto* h = reinterpret_cast<EndpointMessageHeader*>(buf);
  H22_CHECK(h->xfer_count == 1, 161);
  auto* rec = reinterpret_cast<CapTransferRecord*>(buf + sizeof(*h) + h->params_len);
  auto mo = rt::record_cap<wire::MemoryObject>(*rec);
  H22_CHECK(mo, 162);
  Call c;
  auto mp = MO::mapParams(c.params);
  set_rw(*mp, true);
  auto m = MO(&rt::transport(), *mo).map(c.params, c.resp);
  H22_CHECK(m, 163);
  at(m->getAddr())[0] = 1;
  CapSqe ret{};
  ret.opcode = CAP_OP_RETURN;
  ret.cap_id = ep.id();
  ret.call_id = h->call_id;
  ret.user_data = rt::ring().next_user_data();
  H22_CHECK(rt::ring().call(ret).result == 0, 164);
  H22_CHECK(release(rec->cap_id), 165);
  rt::cap_enter(1, CAP_ENTER_FOREVER);  // never satisfied: ends by kill
  return 166;
}

}  // namespace capos::h22
