// Definitions behind tests/host/ipc/ipc_env_host.h, and the few kernel
// services ipc.cpp and endpoint.cpp link against: the heap (malloc), the
// kernel lock, the randomness for endpoint scopes (fixed values: the tests
// check routing, not secrecy).
#include "tests/host/ipc/ipc_env_host.h"

#include <stdlib.h>
#include <string.h>

#include <cstdio>

#include "kernel/dev/hwrng.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/kernel_lock.h"

namespace capos {

void AddressSpace::map(uint64_t base, uint64_t len, bool writable) {
  Region r;
  r.bytes = std::make_unique<uint8_t[]>(len);
  memset(r.bytes.get(), 0, len);
  r.len = len;
  r.writable = writable;
  regions_[base] = std::move(r);
}

void AddressSpace::unmap(uint64_t base) {
  regions_.erase(base);
  ++generation_;
}

uint8_t* AddressSpace::direct_at(uint64_t va, uint64_t len, bool write) const {
  if (len == 0) return nullptr;
  uint64_t off;
  const Region* r = find(va, len, &off);
  if (!r || r->unbackable || (write && !r->writable)) return nullptr;
  return r->bytes.get() + off;
}

const AddressSpace::Region* AddressSpace::find(uint64_t va, uint64_t len, uint64_t* offset) const {
  auto it = regions_.upper_bound(va);
  if (it == regions_.begin()) return nullptr;
  --it;
  uint64_t off = va - it->first;
  if (off > it->second.len || len > it->second.len - off) return nullptr;
  *offset = off;
  return &it->second;
}

uint8_t* AddressSpace::at(uint64_t va, uint64_t len) {
  uint64_t off;
  const Region* r = find(va, len, &off);
  return r ? r->bytes.get() + off : nullptr;
}

Status AddressSpace::check(uint64_t va, uint64_t len, bool write) const {
  if (len == 0) return {};
  uint64_t off;
  const Region* r = find(va, len, &off);
  if (!r || r->unbackable || (write && !r->writable)) return fail(Err::Fault);
  return {};
}

Err AddressSpace::why(uint64_t va, uint64_t len) const {
  uint64_t off;
  const Region* r = find(va, len, &off);
  return r && r->unbackable ? Err::OutOfMemory : Err::Fault;
}

void AddressSpace::set_unbackable(uint64_t base, bool on) {
  regions_.at(base).unbackable = on;
  ++generation_;
}

Status AddressSpace::copy_from_user(void* dst, UserIn src) const {
  uint64_t va = src.addr.raw(), len = src.len;
  if (len == 0) return {};
  uint64_t off;
  const Region* r = find(va, len, &off);
  if (!r || r->unbackable) return fail(Err::Fault);
  memcpy(dst, r->bytes.get() + off, len);
  return {};
}

Status AddressSpace::copy_to_user(UserOut dst, const void* src) const {
  uint64_t va = dst.addr.raw(), len = dst.len;
  if (len == 0) return {};
  uint64_t off;
  const Region* r = find(va, len, &off);
  if (!r || r->unbackable || !r->writable) return fail(Err::Fault);
  memcpy(r->bytes.get() + off, src, len);
  return {};
}

Status AddressSpace::copy_between(const AddressSpace& src, UserIn from, const AddressSpace& dst, UserOut to) {
  uint64_t src_va = from.addr.raw(), dst_va = to.addr.raw(), len = from.len;
  if (to.len < len) return fail(Err::Fault);  // as the kernel's: the destination must hold the source
  if (len == 0) return {};
  uint64_t so, doff;
  const Region* s = src.find(src_va, len, &so);
  const Region* d = dst.find(dst_va, len, &doff);
  if (!s || !d || s->unbackable || d->unbackable || !d->writable) return fail(Err::Fault);
  memmove(d->bytes.get() + doff, s->bytes.get() + so, len);
  return {};
}

Process::Process(uint64_t session_id, const ResourceLedger::Limits& limits)
    : ledger_(limits),
      slots_(std::make_unique<CapSlot[]>(CAP_SLOTS)),
      caps_(Span<CapSlot>(slots_.get(), CAP_SLOTS), &ledger_),
      session_id_(session_id) {
  for (uint32_t i = 0; i < SLOTS; ++i) {
    pages_[i] = std::make_unique<abi::RingPage>();
    rings_[i] = RingEngine(pages_[i].get());
    rings_[i].init_page();
  }
}

namespace ipc::env {
uint8_t g_current_slot = 0;
uint64_t g_fast_sqes = 0;
uint64_t g_fused_sqes = 0;
}

Process::~Process() = default;

KernelLock g_kernel_lock;
void KernelLock::misuse(const char* what) {
  fprintf(stderr, "kernel lock: %s\n", what);
  abort();
}
void KernelLock::assert_held() const {
  if (!held()) misuse("required but not held");
}
void KernelLock::contended() { misuse("contended (host tests run one thread)"); }

namespace heap {
void* alloc(size_t size) { return malloc(size); }
void free(void* p) { ::free(p); }
}  // namespace heap

namespace hwrng {
uint64_t best_effort64() {
  static uint64_t next = 0x1234;
  return next += 0x9e3779b97f4a7c15ull;
}
const SipKey& scoped_ref_key() {
  static const SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  return key;
}
}  // namespace hwrng

// The owner facet's own methods (Endpoint.info, mintClient) run through
// the kernel's capnp dispatcher (kernel/objects/endpoint_cap.cpp), which is
// not part of this build; the IPC paths never invoke them.
void EndpointOwner::invoke(CallContext&) { abort(); }
Status EndpointOwner::info(schema::wire::Endpoint::InfoParams::Reader, schema::wire::Endpoint::InfoResults::Builder) {
  abort();
}
Status EndpointOwner::mintClient(schema::wire::Endpoint::MintClientParams::Reader,
                                 schema::wire::Endpoint::MintClientResults::Builder) {
  abort();
}

}  // namespace capos
