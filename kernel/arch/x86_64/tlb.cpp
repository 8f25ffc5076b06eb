#include "kernel/arch/x86_64/tlb.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/mm/paging.h"

namespace capos::arch::tlb {

namespace {

constexpr uint64_t PAGE = 4096;
// Beyond this many pages one CR3 reload (or a CR4.PGE toggle for the
// kernel half) is cheaper than page-by-page invlpg.
constexpr uint64_t MAX_INVLPG = 32;

enum class Kind : uint8_t { User, Leave };

// The one request in flight; written by the kernel-lock holder before it
// raises the targets' pending flags (release) and read by the targets
// after they take theirs (acquire).
struct Request {
  Kind kind = Kind::User;
  uint64_t root = 0, start = 0, end = 0;
  uint32_t remaining = 0;  // targets yet to answer (atomic)
};
Request g_req;
uint64_t g_requests = 0, g_ipis = 0;

void flush_range_here(uint64_t start, uint64_t end) {
  if ((end - start) / PAGE > MAX_INVLPG) {
    write_cr3(read_cr3());
    return;
  }
  for (uint64_t va = start; va < end; va += PAGE) invlpg(va);
}

void flush_kernel_here(uint64_t start, uint64_t end) {
  if ((end - start) / PAGE > MAX_INVLPG) {
    uint64_t cr4 = read_cr4();  // global pages survive a CR3 reload; toggling PGE drops them
    write_cr4(cr4 & ~(1ull << 7));
    write_cr4(cr4);
    return;
  }
  for (uint64_t va = start; va < end; va += PAGE) invlpg(va);
}

// Sends the current request to every CPU in `targets` and waits for all.
void broadcast(uint32_t targets) {
  uint32_t n = 0;
  for (uint32_t m = targets; m; m &= m - 1) ++n;
  if (!n) return;
  ++g_requests;
  __atomic_store_n(&g_req.remaining, n, __ATOMIC_RELEASE);
  for (uint32_t m = targets; m; m &= m - 1) {
    PerCpu& c = cpu(static_cast<uint32_t>(__builtin_ctz(m)));
    __atomic_store_n(&c.tlb_pending, 1, __ATOMIC_RELEASE);
    lapic_send_fixed(c.apic_id, VEC_TLB);
    ++g_ipis;
  }
  while (__atomic_load_n(&g_req.remaining, __ATOMIC_ACQUIRE) != 0) pause();
}

// Every other CPU that runs the scheduler.
uint32_t others() {
  uint32_t me = this_cpu_id(), mask = 0;
  for (uint32_t i = 0; i < cpu_count(); ++i)
    if (i != me && __atomic_load_n(&cpu(i).online, __ATOMIC_ACQUIRE)) mask |= 1u << i;
  return mask;
}

void on_ipi(InterruptFrame&) {
  service();
  lapic_eoi();
}

}  // namespace

void service() {
  PerCpu& c = this_cpu();
  if (!__atomic_exchange_n(&c.tlb_pending, 0, __ATOMIC_ACQUIRE)) return;
  switch (g_req.kind) {
    case Kind::User:
      if (c.loaded_root == g_req.root) flush_range_here(g_req.start, g_req.end);
      break;
    case Kind::Leave:
      if (c.loaded_root == g_req.root) drop_user_tables(c);
      break;
  }
  __atomic_sub_fetch(&g_req.remaining, 1, __ATOMIC_RELEASE);
}

void flush_user(uint64_t root, const CpuMask& resident, uint64_t start, uint64_t end) {
  PerCpu& c = this_cpu();
  if (c.loaded_root == root) flush_range_here(start, end);
  uint32_t targets = resident.load() & ~(1u << c.cpu_id);
  if (!targets) return;
  g_req.kind = Kind::User;
  g_req.root = root;
  g_req.start = start;
  g_req.end = end;
  broadcast(targets);
}

void leave(uint64_t root, CpuMask& resident) {
  PerCpu& c = this_cpu();
  if (c.loaded_root == root) drop_user_tables(c);
  uint32_t targets = resident.load() & ~(1u << c.cpu_id);
  if (targets) {
    g_req.kind = Kind::Leave;
    g_req.root = root;
    broadcast(targets);
  }
  resident.bits = 0;  // nobody has it loaded any more
}

void drop_user_tables(PerCpu& c) {
  if (!c.loaded_root) return;
  write_cr3(paging::kernel_table().root());
  if (c.loaded_mask) c.loaded_mask->clear(c.cpu_id);
  c.loaded_root = 0;
  c.loaded_mask = nullptr;
}

void flush_kernel(uint64_t start, uint64_t end) {
  flush_kernel_here(start, end);
  uint32_t mask = others();
  if (mask) ++g_requests;
  for (; mask; mask &= mask - 1)
    __atomic_store_n(&cpu(static_cast<uint32_t>(__builtin_ctz(mask))).kernel_flush, 1, __ATOMIC_RELEASE);
}

void kernel_flush_now() {
  PerCpu& c = this_cpu();
  if (__atomic_exchange_n(&c.kernel_flush, 0, __ATOMIC_ACQUIRE)) flush_kernel_here(0, ~0ull);  // all, globals too
}

void init() { set_irq_handler(VEC_TLB, on_ipi); }

uint64_t requests() { return g_requests; }
uint64_t ipis_sent() { return g_ipis; }

}  // namespace capos::arch::tlb
