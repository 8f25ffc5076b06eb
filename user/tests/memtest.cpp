// Memory and entropy capabilities from ring 3 (kernel self test
// capos.test=memory_caps, kernel/selftest_memory.cpp). The role comes from
// the granted cap names:
//   "vm"+"frames"+"entropy"  main: map/unmap, hints, hostile arguments,
//                            reserve/commit/decommit, protect, 1000-round
//                            loops, MemoryObject, EntropySource
//   "vm_fault"               protect to read-only, then write: must fault
//   "quota"+"frames"         (ledger limits lowered) exhaustion answers
//                            overloaded and changes nothing
//   "peer"+"frames"          shares a MemoryObject with the "endpoint" role
//   "endpoint"               maps the received object, answers, releases
// Exit status 0 when every check passed; otherwise the failed check.
#include "lib/abi/errors.h"
#include "lib/abi/ipc.h"
#include "lib/abi/layout.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
using namespace capos::abi;
namespace wire = capos::schema::wire;

namespace {

constexpr uint8_t R = 1, W = 2, X = 4;
constexpr uint64_t SHARE_IFACE = 0x5348415245ull;  // the test's endpoint interface
// That endpoint as a type (raw protocol: raw SQEs, no generated client).
struct Share {
  static constexpr uint64_t kInterfaceId = SHARE_IFACE;
};
constexpr uint64_t PG = PAGE_SIZE;
rt::Cap<wire::VirtualMemory> g_vm;
rt::Cap<wire::FrameAllocator> g_fa;
rt::Cap<wire::EntropySource> g_ent;

struct Call {
  alignas(8) uint8_t pbuf[256];
  alignas(8) uint8_t rbuf[512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

template <class B> Status set_prot(B b, uint8_t prot) {
  auto p = CAPOS_TRY(b.initProt());
  p.setRead(prot & R);
  p.setWrite(prot & W);
  p.setExecute(prot & X);
  return {};
}

template <class T> Status st(const Result<T>& r) { return r ? Status() : Status(fail(r.error())); }
bool is(Status s, Err e) { return !s && s.error() == e; }

wire::VirtualMemory::Client vm() { return wire::VirtualMemory::Client(&rt::transport(), g_vm); }
using VM = wire::VirtualMemory::Client;

Result<uint64_t> vm_map(uint64_t hint, uint64_t size, uint8_t prot) {
  Call c;
  auto p = CAPOS_TRY(VM::mapParams(c.params));
  p.setHint(hint);
  p.setSize(size);
  CAPOS_TRY_STATUS(set_prot(p, prot));
  return CAPOS_TRY(vm().map(c.params, c.resp)).getAddr();
}
Result<uint64_t> vm_reserve(uint64_t hint, uint64_t size) {
  Call c;
  auto p = CAPOS_TRY(VM::reserveParams(c.params));
  p.setHint(hint);
  p.setSize(size);
  return CAPOS_TRY(vm().reserve(c.params, c.resp)).getAddr();
}
// unmap / decommit share a shape; protect / commit too.
Status vm_unmap(uint64_t addr, uint64_t size) {
  Call c;
  auto p = CAPOS_TRY(VM::unmapParams(c.params));
  p.setAddr(addr);
  p.setSize(size);
  return st(vm().unmap(c.params, c.resp));
}
Status vm_decommit(uint64_t addr, uint64_t size) {
  Call c;
  auto p = CAPOS_TRY(VM::decommitParams(c.params));
  p.setAddr(addr);
  p.setSize(size);
  return st(vm().decommit(c.params, c.resp));
}
Status vm_protect(uint64_t addr, uint64_t size, uint8_t prot) {
  Call c;
  auto p = CAPOS_TRY(VM::protectParams(c.params));
  p.setAddr(addr);
  p.setSize(size);
  CAPOS_TRY_STATUS(set_prot(p, prot));
  return st(vm().protect(c.params, c.resp));
}
Status vm_commit(uint64_t addr, uint64_t size, uint8_t prot) {
  Call c;
  auto p = CAPOS_TRY(VM::commitParams(c.params));
  p.setAddr(addr);
  p.setSize(size);
  CAPOS_TRY_STATUS(set_prot(p, prot));
  return st(vm().commit(c.params, c.resp));
}

// FrameAllocator.allocate: the result cap from its transfer record, typed
// by record_cap after its interface id is checked.
Result<rt::Cap<wire::MemoryObject>> allocate(uint32_t pages) {
  Call c;
  auto p = CAPOS_TRY(wire::FrameAllocator::Client::allocateParams(c.params));
  p.setPageCount(pages);
  CapTransferRecord rec[1];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(g_fa, static_cast<uint16_t>(wire::FrameAllocator::Method::ALLOCATE), c.params,
                                      c.resp, Span<const CapTransferDesc>(), Span<CapTransferRecord>(rec, 1), &n));
  wire::FrameAllocator::AllocateResults::Reader res(CAPOS_TRY(c.resp.root()));
  uint32_t idx = CAPOS_TRY(res.getMemory());
  if (idx != 0 || n != 1) return fail(Err::Corrupt);
  return rt::record_cap<wire::MemoryObject>(rec[0]);
}

using MO = wire::MemoryObject::Client;
Result<uint64_t> mo_map(rt::Cap<wire::MemoryObject> cap, uint64_t hint, uint8_t prot) {
  Call c;
  auto p = CAPOS_TRY(MO::mapParams(c.params));
  p.setHint(hint);
  CAPOS_TRY_STATUS(set_prot(p, prot));
  return CAPOS_TRY(MO(&rt::transport(), cap).map(c.params, c.resp)).getAddr();
}
Status mo_unmap(rt::Cap<wire::MemoryObject> cap, uint64_t addr) {
  Call c;
  auto p = CAPOS_TRY(MO::unmapParams(c.params));
  p.setAddr(addr);
  return st(MO(&rt::transport(), cap).unmap(c.params, c.resp));
}

bool release(uint32_t cap) {
  CapSqe s{};
  s.opcode = CAP_OP_RELEASE;
  s.cap_id = cap;
  s.user_data = rt::ring().next_user_data();
  return rt::ring().call(s).result == 0;
}
template <class Iface>
bool release(rt::Cap<Iface> cap) {
  return release(cap.id());
}

Result<size_t> entropy(uint32_t n, uint8_t* out) {
  Call c;
  auto p = CAPOS_TRY(wire::EntropySource::Client::getBytesParams(c.params));
  p.setCount(n);
  wire::EntropySource::Client e(&rt::transport(), g_ent);
  Bytes d = CAPOS_TRY(CAPOS_TRY(e.getBytes(c.params, c.resp)).getData());
  memcpy(out, d.data(), d.size());
  return d.size();
}

template <class T> bool is(const Result<T>& r, Err e) { return !r && r.error() == e; }

volatile uint8_t* at(uint64_t a) { return reinterpret_cast<volatile uint8_t*>(a); }

bool all_bytes(uint64_t a, uint64_t n, uint8_t v) {
  for (uint64_t i = 0; i < n; ++i)
    if (at(a)[i] != v) return false;
  return true;
}

#define CHECK(cond, code) \
  do {                    \
    if (!(cond)) return code; \
  } while (0)

int basic_vm() {
  // map / write / read / unmap; fresh pages are zero.
  auto a = vm_map(0, 4 * PG, R | W);
  CHECK(a && *a >= USER_HEAP_BASE && *a < USER_HEAP_END, 10);
  CHECK(all_bytes(*a, 4 * PG, 0), 11);
  for (uint64_t i = 0; i < 4 * PG; ++i) at(*a)[i] = static_cast<uint8_t>(i * 13);
  for (uint64_t i = 0; i < 4 * PG; ++i) CHECK(at(*a)[i] == static_cast<uint8_t>(i * 13), 12);
  CHECK(vm_unmap(*a, 4 * PG), 13);
  CHECK(is(vm_unmap(*a, 4 * PG), Err::InvalidArgument), 14);  // not mapped any more
  // A free hint is honoured; an occupied one falls back to another range.
  uint64_t hint = USER_HEAP_BASE + 0x100000;
  auto h1 = vm_map(hint, PG, R | W);
  auto h2 = vm_map(hint, PG, R | W);
  CHECK(h1 && *h1 == hint && h2 && *h2 != hint, 15);
  CHECK(vm_unmap(*h1, PG) && vm_unmap(*h2, PG), 16);

  // Hostile arguments: every one invalidArgument, and nothing changes.
  auto before = vm_map(0, PG, R);
  CHECK(before && vm_unmap(*before, PG), 20);
  const uint64_t bad_hints[] = {USER_HEAP_BASE + 1, 0xFFFF800000000000ull, RING_VADDR, CAPSET_VADDR,
                                USER_STACK_TOP - PG, USER_IMAGE_MIN, USER_HEAP_END - PG, USER_TOP};
  for (uint64_t h : bad_hints) CHECK(is(vm_map(h, 2 * PG, R | W), Err::InvalidArgument), 21);
  CHECK(is(vm_map(0, 0, R), Err::InvalidArgument), 22);
  CHECK(is(vm_map(0, PG + 1, R), Err::InvalidArgument), 23);
  CHECK(is(vm_map(0, ~0ull & ~(PG - 1), R), Err::InvalidArgument), 24);
  CHECK(is(vm_map(USER_HEAP_BASE, ~0ull & ~(PG - 1), R), Err::InvalidArgument), 25);
  CHECK(is(vm_map(0, PG, R | W | X), Err::InvalidArgument), 26);  // W^X
  CHECK(is(vm_map(0, PG, W | X), Err::InvalidArgument), 27);
  CHECK(is(vm_reserve(RING_VADDR, PG), Err::InvalidArgument), 28);
  CHECK(is(vm_unmap(RING_VADDR, PG), Err::InvalidArgument), 29);  // kernel-managed page
  CHECK(is(vm_unmap(USER_STACK_TOP - PG, PG), Err::InvalidArgument), 30);
  CHECK(is(vm_unmap(USER_IMAGE_MIN, PG), Err::InvalidArgument), 31);
  CHECK(is(vm_unmap(USER_HEAP_BASE, PG), Err::InvalidArgument), 32);  // nothing there
  CHECK(is(vm_protect(USER_HEAP_BASE, PG, R), Err::InvalidArgument), 33);
  CHECK(is(vm_commit(USER_HEAP_BASE, PG, R), Err::InvalidArgument), 34);
  CHECK(is(vm_decommit(0xFFFF800000000000ull, PG), Err::InvalidArgument), 35);
  CHECK(is(vm_unmap(USER_HEAP_BASE, ~0ull & ~(PG - 1)), Err::InvalidArgument), 36);
  auto after = vm_map(0, PG, R);  // first fit lands where it did before: nothing leaked
  CHECK(after && *after == *before && vm_unmap(*after, PG), 37);

  // reserve -> commit -> decommit -> commit.
  auto r = vm_reserve(0, 16 * PG);
  CHECK(r, 40);
  uint64_t mid = *r + 4 * PG;
  CHECK(vm_commit(mid, 4 * PG, R | W), 41);
  at(mid)[0] = 0x5A;
  at(mid + 3 * PG)[7] = 0xA5;
  CHECK(vm_commit(*r, 12 * PG, R), 42);  // already committed pages are left unchanged
  CHECK(at(mid)[0] == 0x5A && at(mid + 3 * PG)[7] == 0xA5 && all_bytes(*r, PG, 0), 43);
  at(mid)[1] = 1;  // still writable: the overlapping commit kept its protection
  CHECK(is(vm_commit(*r, 17 * PG, R), Err::InvalidArgument), 44);  // past the reservation
  CHECK(is(vm_protect(*r + 12 * PG, PG, R), Err::InvalidArgument), 45);  // reserved, not committed
  CHECK(vm_decommit(mid, 4 * PG), 46);
  CHECK(vm_commit(mid, 4 * PG, R | W) && all_bytes(mid, 4 * PG, 0), 47);  // zero again
  CHECK(vm_unmap(*r, 16 * PG), 48);  // a mixed reserved/committed range

  // protect round trip (the faulting write is the vm_fault role).
  auto p = vm_map(0, 2 * PG, R | W);
  CHECK(p, 50);
  at(*p)[0] = 9;
  CHECK(vm_protect(*p, 2 * PG, R) && at(*p)[0] == 9, 51);
  CHECK(is(vm_protect(*p, PG, W | X), Err::InvalidArgument), 52);
  CHECK(vm_protect(*p, PG, R | W), 53);
  at(*p)[0] = 10;
  CHECK(vm_unmap(*p + PG, PG) && vm_unmap(*p, PG), 54);  // piecewise

  // The kernel remembers recent user-page translations (walk cache) and
  // the last multi-page buffer it checked: after unmap or protect, a CALL
  // whose result buffer is that memory must be refused, never written.
  // The raw CALL has empty params, so a usable buffer receives the
  // kernel's "invalid params" exception (a write through the cache).
  auto raw_call = [](uint64_t result, uint32_t len) {
    CapSqe s{};
    s.opcode = CAP_OP_CALL;
    s.cap_id = g_vm.id();
    s.result_addr = result;
    s.result_len = len;
    s.user_data = rt::ring().next_user_data();
    return rt::ring().call(s).result;
  };
  auto c1 = vm_map(0, 2 * PG, R | W);
  CHECK(c1, 55);
  CHECK(raw_call(*c1, 256) == CAP_ERR_APPLICATION_EXCEPTION, 56);
  CHECK(raw_call(*c1, 2 * PG) == CAP_ERR_APPLICATION_EXCEPTION, 57);  // multi-page check remembered
  CHECK(vm_protect(*c1, 2 * PG, R), 58);
  CHECK(raw_call(*c1, 256) == CAP_ERR_INVALID_RESULT_BUFFER, 59);
  CHECK(raw_call(*c1, 2 * PG) == CAP_ERR_INVALID_RESULT_BUFFER, 62);
  CHECK(vm_protect(*c1, 2 * PG, R | W) && raw_call(*c1, 2 * PG) == CAP_ERR_APPLICATION_EXCEPTION, 63);
  CHECK(vm_unmap(*c1, 2 * PG), 64);
  CHECK(raw_call(*c1, 256) == CAP_ERR_INVALID_RESULT_BUFFER, 65);
  CHECK(raw_call(*c1, 2 * PG) == CAP_ERR_INVALID_RESULT_BUFFER, 66);

  // 1000 rounds of map/unmap: first fit keeps returning the same page.
  for (int i = 0; i < 1000; ++i) {
    auto m = vm_map(0, PG, R | W);
    CHECK(m && *m == *before, 60);
    at(*m)[i % PG] = 1;
    CHECK(vm_unmap(*m, PG), 61);
  }
  return 0;
}

int memory_objects() {
  auto mo = allocate(2);
  CHECK(mo, 70);
  Call c;
  (void)MO::infoParams(c.params);
  auto info = MO(&rt::transport(), *mo).info(c.params, c.resp);
  CHECK(info && info->getPageCount() == 2 && info->getSizeBytes() == 2 * PG, 71);
  auto m1 = mo_map(*mo, 0, R | W);
  auto m2 = mo_map(*mo, 0, R);  // a second mapping of the same frames
  CHECK(m1 && m2 && *m1 != *m2 && all_bytes(*m1, 2 * PG, 0), 72);
  at(*m1)[PG + 5] = 77;
  CHECK(at(*m2)[PG + 5] == 77, 73);
  CHECK(is(mo_map(*mo, 0, R | W | X), Err::InvalidArgument), 74);
  CHECK(is(mo_map(*mo, 0xFFFF800000000000ull, R), Err::InvalidArgument), 75);
  CHECK(is(mo_map(*mo, RING_VADDR, R), Err::InvalidArgument), 76);
  CHECK(is(mo_unmap(*mo, *m1 + PG), Err::InvalidArgument), 77);  // not a mapping start
  CHECK(is(vm_unmap(*m1, PG), Err::InvalidArgument), 78);        // not VirtualMemory's
  CHECK(mo_unmap(*mo, *m1) && mo_unmap(*mo, *m2), 79);
  CHECK(is(mo_unmap(*mo, *m1), Err::InvalidArgument), 80);
  CHECK(release(*mo), 81);
  CHECK(is(allocate(0), Err::InvalidArgument), 82);
  CHECK(is(allocate(0xFFFFFFFFu), Err::Overloaded), 83);
  // 1000 rounds of allocate/map/release.
  for (int i = 0; i < 1000; ++i) {
    auto o = allocate(1);
    CHECK(o, 84);
    if (i % 100 == 0) {
      auto m = mo_map(*o, 0, R | W);
      CHECK(m && all_bytes(*m, PG, 0), 85);
      at(*m)[0] = 1;
      CHECK(mo_unmap(*o, *m), 86);
    }
    CHECK(release(*o), 87);
  }
  return 0;
}

int entropy_checks() {
  uint8_t a[256], b[256];
  const uint32_t sizes[] = {1, 7, 32, 255, 256};
  for (uint32_t n : sizes) {
    auto r = entropy(n, a);
    CHECK(r && *r == n, 90);
  }
  CHECK(is(entropy(0, a), Err::InvalidArgument), 91);
  CHECK(is(entropy(257, a), Err::InvalidArgument), 92);
  CHECK(is(entropy(0xFFFFFFFFu, a), Err::InvalidArgument), 93);
  CHECK(entropy(32, a) && entropy(32, b) && memcmp(a, b, 32) != 0, 94);
  rt::printf("memtest: entropy {} {} {} {} ...\n", a[0], a[1], a[2], a[3]);
  return 0;
}

int quota() {
  // The self test left room for 64 frame pages and 128 virtual pages.
  auto a = vm_map(0, 64 * PG, R | W);
  CHECK(a, 100);
  CHECK(is(vm_map(0, PG, R | W), Err::Overloaded), 101);
  CHECK(is(allocate(1), Err::Overloaded), 102);
  auto r = vm_reserve(0, 64 * PG);
  CHECK(r, 103);
  CHECK(is(vm_reserve(0, PG), Err::Overloaded), 104);
  CHECK(is(vm_commit(*r, PG, R | W), Err::Overloaded), 105);
  CHECK(vm_unmap(*a, PG), 106);  // one frame back
  CHECK(vm_commit(*r, PG, R | W), 107);
  CHECK(is(vm_commit(*r, 2 * PG, R | W), Err::Overloaded), 108);
  CHECK(at(*r)[0] == 0, 109);
  CHECK(vm_unmap(*r, 64 * PG) && vm_unmap(*a + PG, 63 * PG), 110);
  auto b = vm_map(0, 64 * PG, R | W);  // everything came back, at the same place
  CHECK(b && *b == *a && vm_unmap(*b, 64 * PG), 111);
  return 0;
}

int protect_fault() {
  auto a = vm_map(0, PG, R | W);
  if (!a) return 120;
  at(*a)[0] = 1;
  if (!vm_protect(*a, PG, R) || at(*a)[0] != 1) return 121;
  rt::printf("memtest: writing to read-only page {:#x}\n", *a);
  at(*a)[8] = 2;  // page fault: the process dies here
  return 122;
}

constexpr uint16_t M_SHARE = 1;
const char kFromA[] = "written by the sharer", kFromB[] = "written by the peer";

int sharer(rt::Cap<Share> peer) {
  auto mo = allocate(1);
  CHECK(mo, 130);
  auto m = mo_map(*mo, 0, R | W);
  CHECK(m, 131);
  memcpy(reinterpret_cast<void*>(*m), kFromA, sizeof(kFromA));
  CapTransferDesc d{mo->id(), XFER_COPY, {0, 0, 0}};
  uint8_t reply[64];
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.cap_id = peer.id();
  s.method_id = M_SHARE;
  s.result_addr = reinterpret_cast<uint64_t>(reply);
  s.result_len = sizeof(reply);
  s.xfer_addr = reinterpret_cast<uint64_t>(&d);
  s.xfer_count = 1;
  s.user_data = rt::ring().next_user_data();
  CHECK(rt::ring().call(s).result == 0, 132);
  CHECK(memcmp(reinterpret_cast<void*>(*m), kFromB, sizeof(kFromB)) == 0, 133);  // the peer's write
  CHECK(release(*mo), 134);  // released while mapped: the mapping keeps the frames
  CHECK(memcmp(reinterpret_cast<void*>(*m), kFromB, sizeof(kFromB)) == 0, 135);
  at(*m)[100] = 1;
  return 0;  // exit tears the mapping down
}

int peer(rt::Cap<Share> ep) {
  alignas(16) static uint8_t buf[sizeof(EndpointMessageHeader) + 64 + 4 * sizeof(CapTransferRecord)];
  CapSqe r{};
  r.opcode = CAP_OP_RECV;
  r.cap_id = ep.id();
  r.result_addr = reinterpret_cast<uint64_t>(buf);
  r.result_len = sizeof(buf);
  r.user_data = rt::ring().next_user_data();
  CapCqe c = rt::ring().call(r);
  CHECK(c.result > 0, 140);
  auto* h = reinterpret_cast<EndpointMessageHeader*>(buf);
  CHECK(h->method_id == M_SHARE && h->xfer_count == 1, 141);
  auto* rec = reinterpret_cast<CapTransferRecord*>(buf + sizeof(*h) + h->params_len);
  auto mo = rt::record_cap<wire::MemoryObject>(*rec);
  CHECK(mo, 142);
  auto m = mo_map(*mo, 0, R | W);
  CHECK(m, 143);
  CHECK(memcmp(reinterpret_cast<void*>(*m), kFromA, sizeof(kFromA)) == 0, 144);  // the sharer's write
  memcpy(reinterpret_cast<void*>(*m), kFromB, sizeof(kFromB));
  CapSqe ret{};
  ret.opcode = CAP_OP_RETURN;
  ret.cap_id = ep.id();
  ret.call_id = h->call_id;
  ret.user_data = rt::ring().next_user_data();
  CHECK(rt::ring().call(ret).result == 0, 145);
  CHECK(release(*mo), 146);  // while mapped
  CHECK(at(*m)[0] == static_cast<uint8_t>(kFromB[0]), 147);
  return 0;
}

template <class Iface>
Result<rt::Cap<Iface>> find(const char* name) {
  return rt::capset_find<Iface>(StrView(name));
}

}  // namespace

int main() {
  if (auto ep = find<Share>("endpoint")) return peer(*ep);
  auto fa = find<wire::FrameAllocator>("frames");
  if (fa) g_fa = *fa;
  if (auto p = find<Share>("peer")) return fa ? sharer(*p) : 150;
  if (auto v = find<wire::VirtualMemory>("vm_fault")) {
    g_vm = *v;
    return protect_fault();
  }
  if (auto v = find<wire::VirtualMemory>("quota")) {
    g_vm = *v;
    return fa ? quota() : 151;
  }
  auto v = find<wire::VirtualMemory>("vm");
  auto e = find<wire::EntropySource>("entropy");
  if (!v || !fa || !e) return 152;
  g_vm = *v;
  g_ent = *e;
  if (int rc = entropy_checks()) return rc;
  if (int rc = basic_vm()) return rc;
  if (int rc = memory_objects()) return rc;
  rt::print("memtest: all checks passed\n");
  return 0;
}
