// capos.test=memory_caps: VirtualMemory, FrameAllocator/MemoryObject and
// EntropySource. Part 1 drives AddressSpace directly on a process that is
// never started, so every failure can be checked for "changes nothing"
// exactly (ledger, free frames, range count). Part 2 runs
// user/tests/memtest.cpp in its roles and judges their exit statuses.
// The whole scenario runs twice; the second round must return free
// frames, heap allocations and live MemoryObjects exactly to baseline.
#include "kernel/objects/console_cap.h"
#include "kernel/objects/entropy_cap.h"
#include "kernel/objects/frame_alloc_cap.h"
#include "kernel/objects/memory_object_cap.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/entropy.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/selftest_internal.h"
#include "lib/abi/layout.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"

namespace capos::selftest {

// Named (not anonymous) so symbol names stay unique across self tests (ksyms).
namespace memcaps {

namespace wire = schema::wire;
using abi::PAGE_SIZE;
constexpr uint64_t SHARE_IFACE = 0x5348415245ull;  // memtest's endpoint interface
constexpr uint8_t R = mm::kProtRead, W = mm::kProtWrite, X = mm::kProtExec;

Bytes g_image;

struct Snapshot {
  uint64_t frames, fused, freserved, vused, vreserved, ranges, objects, tables;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snap(Process& p) {
  ResourceLedger& l = p.ledger();
  return Snapshot{frames::free_count(), l.used(Res::FramePages), l.reserved(Res::FramePages),
                  l.used(Res::VirtualPages), l.reserved(Res::VirtualPages), p.address_space().heap_ranges(),
                  MemoryObjectCap::live_count(), l.used(Res::PageTables)};
}

void expect_err(Status s, Err want, Process& p, const Snapshot& base, const char* what) {
  if (s || s.error() != want) panic("selftest memory_caps: {}: got {} (wanted {})", what, s ? "ok" : err_name(s.error()), err_name(want));
  if (!(snap(p) == base)) panic("selftest memory_caps: {}: failed call changed state", what);
}
template <class T> void expect_err(const Result<T>& r, Err want, Process& p, const Snapshot& base, const char* what) {
  expect_err(r ? Status() : Status(fail(r.error())), want, p, base, what);
}

// Issue 22 finding 2: map/unmap across many distinct 1 GiB regions used to
// leave every intermediate page table behind, charged to nobody, until
// the free frames ran out. Tables are now charged (PageTables) and freed
// when empty: the storm ends exactly where it started, and a map that
// needs more tables than the quota allows is refused with nothing changed.
void page_table_storm(Process& p, const Snapshot& base) {
  AddressSpace& as = p.address_space();
  constexpr uint64_t REGIONS = (abi::USER_HEAP_END - abi::USER_HEAP_BASE) >> 30;
  for (uint64_t i = 0; i < 40000; ++i) {
    uint64_t hint = abi::USER_HEAP_BASE + ((i * 7919) % REGIONS << 30) + ((i % 512) << 21);
    auto a = as.vm_map(UserAddr(hint), PAGE_SIZE, R | W);
    if (!a || a->raw() != hint) panic("selftest memory_caps: storm map {} at {:#x}", i, hint);
    if (p.ledger().used(Res::PageTables) <= base.tables) panic("selftest memory_caps: storm map {} charged no table", i);
    if (!as.vm_unmap(*a, PAGE_SIZE)) panic("selftest memory_caps: storm unmap {}", i);
    if (!(snap(p) == base)) panic("selftest memory_caps: storm round {} kept page tables (ledger {} vs {})", i,
                                  p.ledger().used(Res::PageTables), base.tables);
  }
  uint64_t limit = p.ledger().limit(Res::PageTables);
  p.ledger().set_limit(Res::PageTables, base.tables + 2);  // a fresh 512 GiB slot needs 3 tables
  expect_err(as.vm_map(UserAddr(abi::USER_HEAP_BASE + (1ull << 39) * 3), PAGE_SIZE, R | W), Err::Overloaded, p, base,
             "page-table quota");
  p.ledger().set_limit(Res::PageTables, limit);
  klog("selftest memory_caps: page-table storm: 40000 sparse map/unmap rounds, tables charged and freed\n");
}

// Issue 13: a demand-zero page the machine has no frame for is reported as
// out of memory, not as a bad address (it used to be the same `false`).
// Takes every free frame, touches an untouched stack page through the
// user-copy path, gives the frames back, and touches it again.
void demand_zero_out_of_memory(Process& p) CAPOS_REQUIRES(g_kernel_lock) {
  AddressSpace& as = p.address_space();
  // Lazy and never touched (the process never ran; the loader wrote only
  // the top page, the initial TLS block and TCB).
  UserAddr va(abi::USER_STACK_TOP - 8 * PAGE_SIZE);
  UserOut one(va, 1);
  uint64_t held = 0, count = 0;                     // a list threaded through the frames themselves
  while (auto pa = frames::alloc()) {
    *static_cast<uint64_t*>(frames::phys_to_virt(*pa)) = held;
    held = *pa;
    ++count;
  }
  const uint8_t byte = 0x5A;
  Status starved_copy = as.copy_to_user(one, &byte);
  Status starved = as.fault_in(va);
  Err starved_why = as.why_unusable(one);
  Err wild = as.why_unusable(UserIn(UserAddr(abi::USER_HEAP_BASE + PAGE_SIZE), 1));  // nothing mapped there
  while (held) {
    uint64_t next = *static_cast<uint64_t*>(frames::phys_to_virt(held));
    frames::free(held);
    held = next;
  }
  if (starved_copy || starved || starved.error() != Err::OutOfMemory || starved_why != Err::OutOfMemory)
    panic("selftest memory_caps: demand-zero page without memory: fault_in {}, why {} (wanted out-of-memory)",
          starved ? "ok" : err_name(starved.error()), err_name(starved_why));
  if (wild != Err::Fault) panic("selftest memory_caps: unmapped address not reported as a fault");
  if (!as.copy_to_user(one, &byte)) panic("selftest memory_caps: demand-zero page with memory back");
  klog("selftest memory_caps: demand-zero page with all {} frames taken: out-of-memory, not a fault\n", count);
}

Process* create(const char* name) CAPOS_REQUIRES(g_kernel_lock) {
  auto p = Process::create(name, g_image);
  if (!p) panic("selftest memory_caps: cannot create {}: {} ({})", name, err_name(p.error().code), p.error().detail);
  return *p;
}

// Part 1: AddressSpace semantics, exact "failure changes nothing".
void direct() CAPOS_REQUIRES(g_kernel_lock) {
  Process* p = create("direct");
  AddressSpace& as = p->address_space();
  // Warm the page-table path once so table pages do not disturb the counts.
  UserAddr warm = *as.vm_map(UserAddr(0), PAGE_SIZE, R | W);
  if (!as.vm_unmap(warm, PAGE_SIZE)) panic("selftest memory_caps: warm-up unmap");
  Snapshot base = snap(*p);
  const uint64_t B = abi::USER_HEAP_BASE, P = PAGE_SIZE, top = ~0ull & ~(P - 1);
  expect_err(as.vm_map(UserAddr(0), 0, R), Err::InvalidArgument, *p, base, "zero size");
  expect_err(as.vm_map(UserAddr(0), P + 1, R), Err::InvalidArgument, *p, base, "unaligned size");
  expect_err(as.vm_map(UserAddr(B + 8), P, R), Err::InvalidArgument, *p, base, "unaligned hint");
  expect_err(as.vm_map(UserAddr(0), top, R), Err::InvalidArgument, *p, base, "huge size");
  expect_err(as.vm_map(UserAddr(top), 2 * P, R), Err::InvalidArgument, *p, base, "overflowing hint+size");
  expect_err(as.vm_map(UserAddr(0xFFFF800000000000ull), P, R), Err::InvalidArgument, *p, base, "kernel-half hint");
  expect_err(as.vm_map(UserAddr(abi::RING_VADDR), P, R), Err::InvalidArgument, *p, base, "ring-page hint");
  expect_err(as.vm_map(UserAddr(abi::CAPSET_VADDR), P, R), Err::InvalidArgument, *p, base, "CapSet hint");
  expect_err(as.vm_map(UserAddr(abi::USER_STACK_TOP - P), P, R), Err::InvalidArgument, *p, base, "stack hint");
  expect_err(as.vm_map(UserAddr(0), P, R | W | X), Err::InvalidArgument, *p, base, "W+X map");
  expect_err(as.vm_unmap(UserAddr(abi::RING_VADDR), P), Err::InvalidArgument, *p, base, "unmap ring page");
  expect_err(as.vm_unmap(UserAddr(B), P), Err::InvalidArgument, *p, base, "unmap nothing");
  expect_err(as.vm_commit(UserAddr(B), P, R), Err::InvalidArgument, *p, base, "commit outside a reservation");

  // Quota: 8 frame pages left; 9 are refused and nothing moves.
  uint64_t flimit = p->ledger().limit(Res::FramePages), vlimit = p->ledger().limit(Res::VirtualPages);
  p->ledger().set_limit(Res::FramePages, p->ledger().used(Res::FramePages) + 8);
  expect_err(as.vm_map(UserAddr(0), 9 * P, R | W), Err::Overloaded, *p, base, "frame quota (map)");
  uint64_t r = as.vm_reserve(UserAddr(0), 16 * P)->raw();
  Snapshot reserved = snap(*p);
  expect_err(as.vm_commit(UserAddr(r), 9 * P, R | W), Err::Overloaded, *p, reserved, "frame quota (commit)");
  if (!as.vm_commit(UserAddr(r + 4 * P), 8 * P, R | W)) panic("selftest memory_caps: commit within quota");
  Snapshot committed = snap(*p);
  expect_err(as.vm_commit(UserAddr(r), 5 * P, R), Err::Overloaded, *p, committed, "frame quota (partly committed)");
  expect_err(as.vm_protect(UserAddr(r), 5 * P, R), Err::InvalidArgument, *p, committed, "protect over reserved pages");
  // protect to read-only really clears the PTE's write bit.
  if (!as.check_user(UserOut(UserAddr(r + 4 * P), P))) panic("selftest memory_caps: committed page not writable");
  if (!as.vm_protect(UserAddr(r + 4 * P), 8 * P, R)) panic("selftest memory_caps: protect");
  if (as.check_user(UserOut(UserAddr(r + 4 * P), 8 * P)) || !as.check_user(UserIn(UserAddr(r + 4 * P), 8 * P)))
    panic("selftest memory_caps: read-only protect left a writable PTE");
  if (!as.vm_decommit(UserAddr(r), 16 * P) || p->ledger().used(Res::FramePages) != base.fused)
    panic("selftest memory_caps: decommit kept frames");
  if (as.check_user(UserIn(UserAddr(r + 4 * P), P))) panic("selftest memory_caps: decommitted page still mapped");
  if (!as.vm_unmap(UserAddr(r), 16 * P)) panic("selftest memory_caps: unmap reservation");
  p->ledger().set_limit(Res::VirtualPages, p->ledger().used(Res::VirtualPages) + 4);
  expect_err(as.vm_reserve(UserAddr(0), 5 * P), Err::Overloaded, *p, base, "virtual quota");
  p->ledger().set_limit(Res::FramePages, flimit);
  p->ledger().set_limit(Res::VirtualPages, vlimit);
  if (!(snap(*p) == base)) panic("selftest memory_caps: quota scenario left state behind");

  // 1000 map/unmap and 1000 MemoryObject allocate/release rounds.
  for (int i = 0; i < 1000; ++i) {
    auto a = as.vm_map(UserAddr(0), 2 * P, R | W);
    if (!a || !as.vm_unmap(*a, 2 * P)) panic("selftest memory_caps: map/unmap round {}", i);
  }
  for (int i = 0; i < 1000; ++i) {
    auto mo = MemoryObjectCap::create(2);
    if (!mo) panic("selftest memory_caps: allocate round {}", i);
    auto c = p->ledger().reserve(Res::FramePages, 2);
    if (!c) panic("selftest memory_caps: ledger round {}", i);
    c->commit();
    (*mo)->set_payer(as);
    MemoryObjectCap* obj = mo->get();
    Ref<KObject> ref = move(*mo);
    if (i % 10 == 0) {  // the mapping outlives the last capability reference
      auto m = as.map_object(ref, obj->frames(), UserAddr(0), R | W);
      if (!m) panic("selftest memory_caps: map_object round {}", i);
      ref.reset();
      if (MemoryObjectCap::live_count() != base.objects + 1) panic("selftest memory_caps: mapped object freed early");
      if (!as.unmap_object(obj, *m)) panic("selftest memory_caps: unmap_object round {}", i);
    }
  }
  if (!(snap(*p) == base)) panic("selftest memory_caps: loops did not return to baseline");
  page_table_storm(*p, base);
  demand_zero_out_of_memory(*p);
  klog("selftest memory_caps: direct checks passed ({} free frames)\n", base.frames);
  Process::discard(p);
}

// Issue 22 finding 3: a MemoryObject's charge used to vanish when the
// allocating process exited while another process kept it mapped. The
// charge now moves to a holder: the mapper's ledger carries the frames
// until the object dies, then returns exactly to where it was.
void charge_hand_over() CAPOS_REQUIRES(g_kernel_lock) {
  Process* payer = create("payer");
  Process* heir = create("heir");
  uint64_t heir_before = heir->ledger().used(Res::FramePages), live_before = MemoryObjectCap::live_count();
  auto mo = MemoryObjectCap::create(5);
  if (!mo) panic("selftest memory_caps: hand-over allocate");
  auto c = payer->ledger().reserve(Res::FramePages, 5);
  if (!c) panic("selftest memory_caps: hand-over charge");
  c->commit();
  (*mo)->set_payer(payer->address_space());
  MemoryObjectCap* obj = mo->get();
  Ref<KObject> ref = move(*mo);
  auto m = heir->address_space().map_object(ref, obj->frames(), UserAddr(0), R | W);
  if (!m) panic("selftest memory_caps: hand-over map");
  ref.reset();  // only the heir's mapping holds the object now
  Process::discard(payer);
  if (heir->ledger().used(Res::FramePages) != heir_before + 5 || obj->payer() != &heir->address_space())
    panic("selftest memory_caps: the mapper did not inherit the frames ({} used, {} before)",
          heir->ledger().used(Res::FramePages), heir_before);
  if (!heir->address_space().unmap_object(obj, *m)) panic("selftest memory_caps: hand-over unmap");
  if (heir->ledger().used(Res::FramePages) != heir_before) panic("selftest memory_caps: inherited charge kept");
  Process::discard(heir);
  if (MemoryObjectCap::live_count() != live_before) panic("selftest memory_caps: hand-over leaked the object");
  klog("selftest memory_caps: shared MemoryObject charge handed to its mapper when the payer exits\n");
}

Ref<KObject> vm_for(Process* p) { return VmCap::create(p->pid()); }

void grant(Process* p, const char* name, Ref<KObject> o, uint64_t iface) {
  if (!o || !p->grant(name, move(o), iface)) panic("selftest memory_caps: grant {} failed", name);
}

void expect(Ref<ExitWatch> w, const char* who, ExitStatus::Kind kind, int64_t code) CAPOS_REQUIRES(g_kernel_lock) {
  w->wait();
  const ExitStatus& st = w->status();
  if (st.kind != kind || (kind == ExitStatus::Kind::Exited && st.code != code))
    panic("selftest memory_caps: {} ended with kind {} code {} (expected kind {} code {})", who,
          static_cast<int>(st.kind), st.code, static_cast<int>(kind), code);
  klog("selftest memory_caps: {} ended as expected\n", who);
}

void user_roles() CAPOS_REQUIRES(g_kernel_lock) {
  Process* m = create("memtest");
  grant(m, "vm", vm_for(m), wire::VirtualMemory::kInterfaceId);
  grant(m, "frames", FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  grant(m, "entropy", EntropyCap::create(), wire::EntropySource::kInterfaceId);
  grant(m, "console", ConsoleCap::create(), wire::Console::kInterfaceId);
  Ref<ExitWatch> wm = m->share_watch();
  m->start();
  expect(wm, "memtest (map, hints, hostile args, reserve/commit, loops, MemoryObject, entropy)",
         ExitStatus::Kind::Exited, 0);

  Process* f = create("vm_fault");
  grant(f, "vm_fault", vm_for(f), wire::VirtualMemory::kInterfaceId);
  grant(f, "console", ConsoleCap::create(), wire::Console::kInterfaceId);
  Ref<ExitWatch> wf = f->share_watch();
  f->start();
  expect(wf, "vm_fault (write after protect to read-only)", ExitStatus::Kind::Faulted, 0);
  const ExitStatus& fs = wf->status();
  if (fs.vector != 14 || fs.fault_addr < abi::USER_HEAP_BASE || fs.fault_addr >= abi::USER_HEAP_END ||
      !(fs.error_code & 2))
    panic("selftest memory_caps: vm_fault died of the wrong fault (vector {} addr {:#x})", fs.vector, fs.fault_addr);

  Process* q = create("quota");
  grant(q, "quota", vm_for(q), wire::VirtualMemory::kInterfaceId);
  grant(q, "frames", FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  q->ledger().set_limit(Res::FramePages, q->ledger().used(Res::FramePages) + 64);
  q->ledger().set_limit(Res::VirtualPages, q->ledger().used(Res::VirtualPages) + 128);
  Ref<ExitWatch> wq = q->share_watch();
  uint32_t qpid = q->pid();  // q is freed once it has exited
  q->start();
  expect(wq, "quota (exhaustion answers overloaded, changes nothing)", ExitStatus::Kind::Exited, 0);

  // A VirtualMemory bound to another process grants nothing.
  Process* s = create("stolen_vm");
  grant(s, "vm", VmCap::create(qpid), wire::VirtualMemory::kInterfaceId);  // bound to q (dead)
  grant(s, "frames", FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  grant(s, "entropy", EntropyCap::create(), wire::EntropySource::kInterfaceId);
  Ref<ExitWatch> wst = s->share_watch();
  s->start();
  expect(wst, "memtest with another process's VirtualMemory (fails its first map)", ExitStatus::Kind::Exited, 10);

  Ref<EndpointCore> core = EndpointCore::create(SHARE_IFACE);
  Process* b = create("share_peer");
  grant(b, "endpoint", Ref<KObject>(EndpointOwner::create(core)), SHARE_IFACE);
  Process* a = create("share_owner");
  grant(a, "peer", Ref<KObject>(ClientEndpoint::create(core)), SHARE_IFACE);
  grant(a, "frames", FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  Ref<ExitWatch> wa = a->share_watch(), wb = b->share_watch();
  b->start();
  // The peer must be waiting in RECV before the owner calls, so both
  // rounds take the same IPC path (the warm-up then fills the same pools).
  while (b->thread_in(0)->state != ThreadState::Blocked) sched::yield();
  a->start();
  expect(wb, "share_peer (maps the received MemoryObject, sees and answers writes, releases while mapped)",
         ExitStatus::Kind::Exited, 0);
  expect(wa, "share_owner (sees the peer's write, releases while mapped)", ExitStatus::Kind::Exited, 0);
}

void scenario() CAPOS_REQUIRES(g_kernel_lock) {
  direct();
  charge_hand_over();
  user_roles();
  settle_processes();
}

void memory_thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  if (!entropy::seeded()) panic("selftest memory_caps: the kernel CSPRNG is not seeded (no RDRAND/RDSEED?)");
  scenario();  // warms the heap and IPC record pools
  uint64_t frames_before = frames::free_count();
  size_t heap_before = heap::stats().allocations;
  scenario();
  uint64_t frames_after = frames::free_count();
  size_t heap_after = heap::stats().allocations;
  klog("selftest memory_caps: second round: free frames {} -> {}; heap allocations {} -> {}; live MemoryObjects {}\n",
       frames_before, frames_after, heap_before, heap_after, MemoryObjectCap::live_count());
  if (frames_after != frames_before || heap_after != heap_before || MemoryObjectCap::live_count() != 0)
    panic("selftest memory_caps: leak detected");
  klog("capOS: selftest memory_caps ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

}  // namespace memcaps

void run_memory_caps(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest memory_caps: needs the memtest program as the boot module");
  memcaps::g_image = module;
  auto t = Thread::create_kernel("selftest-memory", memcaps::memory_thread, nullptr);
  if (!t) panic("selftest memory_caps: no thread");
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
