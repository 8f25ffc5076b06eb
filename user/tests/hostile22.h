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
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

namespace capos::h22 {

namespace wire = capos::schema::wire;

constexpr uint64_t PG = abi::PAGE_SIZE;
constexpr uint64_t TICK_NS = 10'000'000;  // the kernel's 100 Hz tick (docs/concurrency.md)
constexpr uint64_t ECHO_IFACE = 0x4832324543ull;  // the test endpoint's interface ("H22EC")

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

// A granted cap by name, or CAPID_INVALID.
uint32_t cap(StrView name, uint64_t iface);

// Timer (cap from cap("timer"/...)).
struct Now {
  uint64_t ns, tick;
};
Result<Now> timer_now(uint32_t timer);
Result<uint64_t> timer_sleep(uint32_t timer, uint64_t ns);

// VirtualMemory.
Result<uint64_t> vm_map(uint32_t vm, uint64_t hint, uint64_t size, bool write);
Status vm_unmap(uint32_t vm, uint64_t addr, uint64_t size);

// FrameAllocator.allocate: the new MemoryObject's CapId.
Result<uint32_t> allocate(uint32_t fa, uint32_t pages);

// SystemStatus.
Result<uint64_t> free_frames(uint32_t status);
struct Usage {
  uint32_t frames, frames_max, tables, tables_max, kbytes, kbytes_max, calls, calls_max;
};
Result<Usage> self_ledger(uint32_t status);

// Raw SQE helpers.
abi::CapSqe call_sqe(uint32_t cap, uint16_t method, const void* params, uint32_t plen, void* result,
                     uint32_t rlen);
bool release(uint32_t cap);

// Endpoint echo server on owner facet `ep` (serves until the ring breaks).
int echo_server(uint32_t ep);

// Roles.
int watchdog();
int stall(bool forever);
int nop_flood();
int endpoint_flood();
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
