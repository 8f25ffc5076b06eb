#include "user/rt/tls.h"

#include "lib/abi/layout.h"
#include "lib/core/cstring.h"

extern "C" char __capos_tdata_start[], __capos_tdata_end[], __capos_tbss_end[], __capos_tls_align[];

namespace capos::rt::tls {

namespace {
uint64_t up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
uint64_t fs_word(uint64_t off) {
  uint64_t v;
  asm volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(off));
  return v;
}
}  // namespace

Layout layout();
namespace {
// The TCB is aligned to the TLS alignment and to at least 16 bytes.
uint64_t tcb_align(const Layout& l) { return l.align > 16 ? l.align : 16; }
}  // namespace

Layout layout() {
  Layout l;
  l.file_size = static_cast<uint64_t>(__capos_tdata_end - __capos_tdata_start);
  l.mem_size = static_cast<uint64_t>(__capos_tbss_end - __capos_tdata_start);
  uint64_t a = reinterpret_cast<uint64_t>(__capos_tls_align);
  l.align = a > 1 ? a : 1;
  l.block = up(l.mem_size, l.align);  // the linker's offsets assume exactly this
  return l;
}

size_t block_bytes() {
  Layout l = layout();
  return l.block + abi::TCB_BYTES + tcb_align(l);
}

uint64_t build(void* mem) {
  Layout l = layout();
  uint64_t tp = up(reinterpret_cast<uint64_t>(mem) + l.block, tcb_align(l));
  auto* start = reinterpret_cast<uint8_t*>(tp - l.block);
  memcpy(start, __capos_tdata_start, l.file_size);
  memset(start + l.file_size, 0, l.block - l.file_size);
  auto* tcb = reinterpret_cast<uint64_t*>(tp);
  memset(tcb, 0, abi::TCB_BYTES);
  tcb[abi::TCB_SELF / 8] = tp;
  tcb[abi::TCB_CANARY / 8] = fs_word(abi::TCB_CANARY);
  return tp;
}

bool initial_matches() {
  Layout l = layout();
  return fs_word(abi::TCB_SELF) == ((abi::USER_STACK_TOP - abi::TCB_BYTES) & ~(tcb_align(l) - 1));
}

}  // namespace capos::rt::tls
