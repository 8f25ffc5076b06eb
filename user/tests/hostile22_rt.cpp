// Helpers shared by the issue-22 roles (typed calls through the generated
// clients, raw SQEs for ring-level abuse) and the role dispatch: the role
// is chosen by the caps the kernel self test granted (kernel/selftest_
// issue22.cpp, kernel/selftest_liveness.cpp).
#include "user/tests/hostile22.h"

namespace capos::h22 {

Result<Now> timer_now(rt::Cap<wire::Timer> timer) {
  Call c;
  (void)wire::Timer::Client::nowParams(c.params);
  auto r = CAPOS_TRY(wire::Timer::Client(&rt::transport(), timer).now(c.params, c.resp));
  return Now{r.getMonotonicNs(), r.getTick()};
}

Result<uint64_t> timer_sleep(rt::Cap<wire::Timer> timer, uint64_t ns) {
  Call c;
  auto p = CAPOS_TRY(wire::Timer::Client::sleepParams(c.params));
  p.setDurationNs(ns);
  return CAPOS_TRY(wire::Timer::Client(&rt::transport(), timer).sleep(c.params, c.resp)).getMonotonicNs();
}

using VM = wire::VirtualMemory::Client;

Result<uint64_t> vm_map(rt::Cap<wire::VirtualMemory> vm, uint64_t hint, uint64_t size, bool write) {
  Call c;
  auto p = CAPOS_TRY(VM::mapParams(c.params));
  p.setHint(hint);
  p.setSize(size);
  auto prot = CAPOS_TRY(p.initProt());
  prot.setRead(true);
  prot.setWrite(write);
  return CAPOS_TRY(VM(&rt::transport(), vm).map(c.params, c.resp)).getAddr();
}

Status vm_unmap(rt::Cap<wire::VirtualMemory> vm, uint64_t addr, uint64_t size) {
  Call c;
  auto p = CAPOS_TRY(VM::unmapParams(c.params));
  p.setAddr(addr);
  p.setSize(size);
  return st(VM(&rt::transport(), vm).unmap(c.params, c.resp));
}

Result<rt::Cap<wire::MemoryObject>> allocate(rt::Cap<wire::FrameAllocator> fa, uint32_t pages) {
  Call c;
  auto p = CAPOS_TRY(wire::FrameAllocator::Client::allocateParams(c.params));
  p.setPageCount(pages);
  // Through call_with_caps: the MemoryObject arrives as a transfer record,
  // typed by record_cap after its interface id is checked.
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(fa, static_cast<uint16_t>(wire::FrameAllocator::Method::ALLOCATE), c.params,
                                      c.resp, Span<const abi::CapTransferDesc>(), Span<abi::CapTransferRecord>(rec, 1),
                                      &n));
  wire::FrameAllocator::AllocateResults::Reader res(CAPOS_TRY(c.resp.root()));
  uint32_t idx = CAPOS_TRY(res.getMemory());
  if (idx != 0 || n != 1) return fail(Err::Corrupt);
  return rt::record_cap<wire::MemoryObject>(rec[0]);
}

Result<uint64_t> free_frames(rt::Cap<wire::SystemStatus> status) {
  Call c;
  (void)wire::SystemStatus::Client::memoryParams(c.params);
  return CAPOS_TRY(wire::SystemStatus::Client(&rt::transport(), status).memory(c.params, c.resp)).getFreeFrames();
}

namespace {
Usage usage_of(wire::SystemStatus::LedgerUsage::Reader u) {
  return Usage{u.getFramePagesUsed(),   u.getFramePagesMax(),  u.getPageTablesUsed(),
               u.getPageTablesMax(),    u.getKernelBytesUsed(), u.getKernelBytesMax(),
               u.getOutstandingCallsUsed(), u.getOutstandingCallsMax()};
}
}  // namespace

Result<Usage> self_ledger(rt::Cap<wire::SystemStatus> status) {
  Call c;
  (void)wire::SystemStatus::Client::selfLedgerParams(c.params);
  auto r = CAPOS_TRY(wire::SystemStatus::Client(&rt::transport(), status).selfLedger(c.params, c.resp));
  return usage_of(CAPOS_TRY(r.getUsage()));
}

abi::CapSqe call_sqe(uint32_t cap, uint16_t method, const void* params, uint32_t plen, void* result,
                     uint32_t rlen) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = cap;
  s.method_id = method;
  s.params_addr = reinterpret_cast<uint64_t>(params);
  s.params_len = plen;
  s.result_addr = reinterpret_cast<uint64_t>(result);
  s.result_len = rlen;
  s.user_data = rt::ring().next_user_data();
  return s;
}

bool release(uint32_t c) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_RELEASE;
  s.cap_id = c;
  s.user_data = rt::ring().next_user_data();
  return rt::ring().call(s).result == 0;
}

// Echoes every call's params back (raw bytes, no schema): the shared
// endpoint of the flood and fairness roles.
int echo_server(rt::Cap<Echo> echo) {
  uint32_t ep = echo.id();
  alignas(16) static uint8_t buf[sizeof(abi::EndpointMessageHeader) + 512];
  for (;;) {
    abi::CapSqe r{};
    r.opcode = abi::CAP_OP_RECV;
    r.cap_id = ep;
    r.result_addr = reinterpret_cast<uint64_t>(buf);
    r.result_len = sizeof(buf);
    r.user_data = rt::ring().next_user_data();
    abi::CapCqe c = rt::ring().call(r);
    if (c.result == abi::CAP_ERR_INVALID_RESULT_BUFFER) continue;  // an oversized call: failed for its caller
    if (c.result < 0) return 10;
    auto* h = reinterpret_cast<abi::EndpointMessageHeader*>(buf);
    // A little work per call, so the flooders can outpace the server and
    // keep its queue full.
    for (volatile uint32_t spin = 0; spin < 20000; spin = spin + 1) {
    }
    abi::CapSqe ret{};
    ret.opcode = abi::CAP_OP_RETURN;
    ret.cap_id = ep;
    ret.call_id = c.call_id;
    ret.params_addr = reinterpret_cast<uint64_t>(buf + sizeof(*h));
    ret.params_len = h->params_len;
    ret.user_data = rt::ring().next_user_data();
    if (rt::ring().call(ret).result != 0) return 11;
  }
}

}  // namespace capos::h22

using namespace capos;
using namespace capos::h22;

// Role by granted cap name (each role looks up the rest itself).
int main() {
  struct Role {
    const char* name;
    uint64_t iface;
    int (*run)();
  };
  static const Role roles[] = {
      {"watchdog", wire::Timer::kInterfaceId, watchdog},
      {"stall", wire::Timer::kInterfaceId, [] { return stall(false); }},
      {"stall_forever", wire::Timer::kInterfaceId, [] { return stall(true); }},
      {"nops", wire::Timer::kInterfaceId, nop_flood},
      {"flood", ECHO_IFACE, endpoint_flood},
      {"spin_call", ECHO_IFACE, spin_call},
      {"fair", ECHO_IFACE, fair_client},
      {"storm", wire::VirtualMemory::kInterfaceId, vm_storm},
      {"addr_change", wire::VirtualMemory::kInterfaceId, address_change},
      {"pt_storm", wire::VirtualMemory::kInterfaceId, page_table_storm},
      {"leaver", wire::Timer::kInterfaceId, leaver},
      {"giver", wire::FrameAllocator::kInterfaceId, giver},
      {"keeper", ECHO_IFACE, keeper},
      {"hog", wire::VirtualMemory::kInterfaceId, hog},
      {"guarded", wire::FrameAllocator::kInterfaceId, guarded},
  };
  for (const Role& r : roles)
    if (rt::capset_find_id(r.name, r.iface)) return r.run();
  if (auto ep = cap<Echo>("endpoint")) return echo_server(ep);
  return 99;
}
