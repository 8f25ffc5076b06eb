// Shared helpers of the issue-22 hostile test program (user/tests/
// hostile22_*.cpp; kernel side: kernel/selftest_issue22.cpp and
// kernel/selftest_liveness.cpp). Each role is a function returning its
// exit status: 0 = every check passed, otherwise the failed check.
#pragma once

#include "lib/abi/capid.h"
#include "lib/abi/ipc.h"
#include "lib/abi/layout.h"
#include "lib/capnp/rpc.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

namespace capos::h22 {

namespace wire = capos::schema::wire;

constexpr uint64_t PG = abi::PAGE_SIZE;
constexpr uint64_t TICK_NS = 10'000'000;  // the kernel's 100 Hz tick (docs/concurrency.md)
constexpr uint64_t ECHO_IFACE = 0x4832324543ull;  // the test endpoint's interface ("H22EC")
// The echo endpoint as a type, so its caps are typed like schema ones
// (raw protocol: used through call_sqe, never a generated Client).
struct Echo {
  static constexpr uint64_t kInterfaceId = ECHO_IFACE;
};

#define H22_CHECK(cond, code) \
  do {                        \
    if (!(cond)) return code; \
  } while (0)

// Params and reply storage for one synchronous typed call.
struct Call {
  alignas(8) uint8_t pbuf[256];
  alignas(8) uint8_t rbuf[2048];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

template <class T> Status st(const Result<T>& r) { return r ? Status() : Status(fail(r.error())); }
inline bool is(Status s, Err e) { return !s && s.error() == e; }
template <class T> bool is(const Result<T>& r, Err e) { return !r && r.error() == e; }

// A granted cap by name, typed; empty if absent or of another interface.
template <class Iface>
rt::Cap<Iface> cap(StrView name) {
  return rt::capset_find<Iface>(name).value_or(rt::Cap<Iface>());
}

// Timer (cap from cap("timer"/...)).
struct Now {
  uint64_t ns, tick;
};
Result<Now> timer_now(rt::Cap<wire::Timer> timer);
Result<uint64_t> timer_sleep(rt::Cap<wire::Timer> timer, uint64_t ns);

// VirtualMemory.
Result<uint64_t> vm_map(rt::Cap<wire::VirtualMemory> vm, uint64_t hint, uint64_t size, bool write);
Status vm_unmap(rt::Cap<wire::VirtualMemory> vm, uint64_t addr, uint64_t size);

// FrameAllocator.allocate: the new MemoryObject.
Result<rt::Cap<wire::MemoryObject>> allocate(rt::Cap<wire::FrameAllocator> fa, uint32_t pages);

// SystemStatus.
Result<uint64_t> free_frames(rt::Cap<wire::SystemStatus> status);
struct Usage {
  uint32_t frames, frames_max, tables, tables_max, kbytes, kbytes_max, calls, calls_max;
};
Result<Usage> self_ledger(rt::Cap<wire::SystemStatus> status);

// Raw SQE helpers.
abi::CapSqe call_sqe(uint32_t cap, uint16_t method, const void* params, uint32_t plen, void* result,
                     uint32_t rlen);
template <class Iface>
abi::CapSqe call_sqe(rt::Cap<Iface> cap, uint16_t method, const void* params, uint32_t plen, void* result,
                     uint32_t rlen) {
  return call_sqe(cap.id(), method, params, plen, result, rlen);
}
bool release(uint32_t cap);
template <class Iface>
bool release(rt::Cap<Iface> cap) {
  return release(cap.id());
}

// Endpoint echo server on owner facet `ep` (serves until the ring breaks).
int echo_server(rt::Cap<Echo> ep);

// Roles.
int watchdog();
int stall(bool forever);
int nop_flood();
int endpoint_flood();
int spin_call();
int vm_storm();
int fair_client();
int address_change();
int page_table_storm();
int leaver();
int giver();
int keeper();
int hog();
int guarded();

}  // namespace capos::h22
