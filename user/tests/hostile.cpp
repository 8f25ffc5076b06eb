// A hostile process: throws malformed SQEs, forged CapIds, bad pointers,
// corrupted ring indexes and SQ floods at the kernel. Every bad SQE must
// come back as an error CQE, nothing may be lost, and the kernel must stay
// up. Caps: "dead" = client facet of an endpoint whose server is gone.
// Exit status 0 = every check passed, else the number of the failed one.
#include "lib/abi/capid.h"
#include "lib/abi/layout.h"
#include "user/rt/rt.h"

using namespace capos;
using namespace capos::abi;

namespace {

uint64_t g_rng = 0x9E3779B97F4A7C15ull;
uint64_t rnd() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

alignas(4096) uint8_t g_buf[8192];
RingPage* page() { return rt::ring().page(); }

int32_t one(CapSqe s) {
  s.user_data = rt::ring().next_user_data();
  return rt::ring().call(s).result;
}

CapSqe call_sqe(uint32_t cap, uint64_t p, uint32_t plen, uint64_t r, uint32_t rlen) {
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.cap_id = cap;
  s.params_addr = p;
  s.params_len = plen;
  s.result_addr = r;
  s.result_len = rlen;
  return s;
}

uint64_t interesting_addr() {
  static const uint64_t addrs[] = {0, 8, 0x1000, 0x400000, 0xFFFF800000000000ull, 0xFFFFFFFF80101000ull,
                                   0x00007FFFFFFFFFF0ull, 0x0000800000000000ull, USER_STACK_TOP - 8,
                                   CAPSET_VADDR, RING_VADDR, 0xDEADBEEF000ull,
                                   reinterpret_cast<uint64_t>(g_buf), reinterpret_cast<uint64_t>(g_buf) + 4090};
  return addrs[rnd() % (sizeof(addrs) / sizeof(addrs[0]))];
}

// Random SQEs in batches; every CQE must be an error or a clean NOP.
int flood(uint32_t dead, uint32_t rounds) {
  uint64_t submitted = 0, completed = 0;
  for (uint32_t r = 0; r < rounds; ++r) {
    uint32_t batch = 1 + rnd() % SQ_ENTRIES;
    for (uint32_t i = 0; i < batch; ++i) {
      CapSqe s{};
      uint64_t x = rnd();
      s.opcode = static_cast<uint8_t>(x % 4 == 0 ? x >> 8 : (x >> 8) % 9);
      s.flags = (x >> 16) % 3 == 0 ? static_cast<uint8_t>(x >> 24) : 0;
      s.method_id = static_cast<uint16_t>(x >> 32);
      s.cap_id = (x >> 40) % 3 == 0 ? dead : static_cast<uint32_t>(rnd());
      s.params_addr = interesting_addr();
      s.params_len = (x >> 48) % 4 == 0 ? static_cast<uint32_t>(rnd()) : static_cast<uint32_t>(rnd() % 64);
      s.result_addr = interesting_addr();
      s.result_len = (x >> 52) % 4 == 0 ? static_cast<uint32_t>(rnd()) : static_cast<uint32_t>(rnd() % 64);
      s.call_id = static_cast<uint32_t>(rnd());
      s.xfer_count = (x >> 56) % 4 == 0 ? static_cast<uint16_t>(rnd()) : 0;
      s.xfer_addr = interesting_addr();
      s.interface_id = (x >> 60) % 2 ? rnd() : 0;
      s.user_data = 0x100000000ull + submitted;
      if (!rt::ring().push(s)) return 1;
      ++submitted;
    }
    uint32_t n = rt::ring().enter(batch, 0).value_or(0);  // all of these complete synchronously
    if (n < batch) return 2;
    CapCqe c;
    while (rt::ring().pop(&c)) {
      if (c.user_data != 0x100000000ull + completed) return 3;  // in order, none lost
      ++completed;
      if (c.result >= 0 && c.result != 0) return 4;  // only NOP/RELEASE succeed, with 0
    }
  }
  return completed == submitted ? 0 : 5;
}

int targeted(uint32_t dead) {
  uint64_t buf = reinterpret_cast<uint64_t>(g_buf);
  struct Case {
    uint64_t p;
    uint32_t plen;
    uint64_t r;
    uint32_t rlen;
    int32_t expect;
  } cases[] = {
      {0xFFFF800000000000ull, 8, buf, 8, CAP_ERR_INVALID_PARAMS_BUFFER},   // kernel half
      {0xFFFFFFFF80101000ull, 8, buf, 8, CAP_ERR_INVALID_PARAMS_BUFFER},   // kernel text
      {0x10000000, 8, buf, 8, CAP_ERR_INVALID_PARAMS_BUFFER},              // unmapped
      {USER_STACK_TOP - 8, 64, buf, 8, CAP_ERR_INVALID_PARAMS_BUFFER},     // straddles into unmapped
      {buf, 0xFFFFFFFFu, buf, 8, CAP_ERR_INVALID_PARAMS_BUFFER},           // huge
      {0x00007FFFFFFFFFF8ull, 64, buf, 8, CAP_ERR_INVALID_PARAMS_BUFFER},  // wraps past the user half
      {buf, 8, CAPSET_VADDR, 8, CAP_ERR_INVALID_RESULT_BUFFER},            // read-only page
      {buf, 8, 0x400000, 8, CAP_ERR_INVALID_RESULT_BUFFER},                // text
      {buf, 8, 0xFFFF800000001000ull, 8, CAP_ERR_INVALID_RESULT_BUFFER},   // kernel half
      {buf, 8, buf + 4096, 0xFFFFFFu, CAP_ERR_INVALID_RESULT_BUFFER},      // huge
      {buf, 8, buf, 8, CAP_ERR_DISCONNECTED},                             // valid, server gone
  };
  int n = 10;
  for (const Case& c : cases) {
    ++n;
    if (one(call_sqe(dead, c.p, c.plen, c.r, c.rlen)) != c.expect) return n;
  }
  CapSqe s{};
  s.opcode = 200;
  if (one(s) != CAP_ERR_INVALID_REQUEST) return 30;
  s.opcode = CAP_OP_FINISH;
  if (one(s) != CAP_ERR_UNSUPPORTED_OPCODE) return 31;
  s.opcode = CAP_OP_NOP;
  s.flags = 0x80;
  if (one(s) != CAP_ERR_INVALID_REQUEST) return 32;
  CapSqe f = call_sqe(capid_make(999, 1), buf, 8, buf, 8);
  if (one(f) != CAP_ERR_INVALID_CAP) return 33;
  f.cap_id = capid_make(capid_index(dead), static_cast<uint16_t>(capid_generation(dead) + 5));
  if (one(f) != CAP_ERR_STALE_CAP) return 34;
  f = call_sqe(dead, buf, 8, buf, 8);
  f.interface_id = 0xBAD;
  if (one(f) != CAP_ERR_INTERFACE_MISMATCH) return 35;
  f.interface_id = 0;
  f.reserved0 = 1;
  if (one(f) != CAP_ERR_INVALID_REQUEST) return 36;
  if (rt::cap_enter(CQ_ENTRIES + 1, 0) != CAP_ERR_INVALID_REQUEST) return 37;
  int64_t bad;
  asm volatile("syscall" : "=a"(bad) : "a"(77) : "rcx", "r11", "memory");
  if (bad != CAP_ERR_INVALID_REQUEST) return 38;
  return 0;
}

// Full SQ batches of NOPs (the kernel completes plain NOPs without its
// dispatcher, docs/abi.md "NOP fast path") with flagged NOPs at the head,
// in the middle and at the end: every flagged one is refused on its own,
// every plain one completes with 0, in submission order, none lost.
int nop_batches() {
  static const uint32_t bad_at[][2] = {{0, 0}, {0, SQ_ENTRIES - 1}, {5, 6}, {SQ_ENTRIES - 1, SQ_ENTRIES - 1}};
  for (const auto& b : bad_at) {
    for (uint32_t i = 0; i < SQ_ENTRIES; ++i) {
      CapSqe* s = rt::ring().sqe_slot(i);
      if (!s) return 60;
      s->user_data = 0x200000000ull + i;
      if (i == b[0] || i == b[1]) s->flags = static_cast<uint8_t>(1u << (i % 8));
    }
    rt::ring().publish(SQ_ENTRIES);
    if (rt::ring().enter(SQ_ENTRIES, 0).value_or(0) < SQ_ENTRIES) return 61;
    for (uint32_t i = 0; i < SQ_ENTRIES; ++i) {
      const CapCqe* c = rt::ring().cqe_at(i);
      if (!c || c->user_data != 0x200000000ull + i) return 62;
      int32_t want = (i == b[0] || i == b[1]) ? CAP_ERR_INVALID_REQUEST : 0;
      if (c->result != want || c->flags || c->cap_count || c->aux || c->call_id) return 63;
    }
    rt::ring().consume(SQ_ENTRIES);
  }
  return 0;
}

int ring_abuse() {
  auto& h = page()->header;
  // Corrupted SQ tail: nothing is consumed, the status says why.
  uint32_t saved = h.sq_tail;
  h.sq_tail = h.sq_head + 1000;
  if (rt::cap_enter(0, 0) != CAP_ERR_RING_CORRUPT) return 40;
  if (!(h.status & RING_STATUS_SQ_CORRUPT) || h.corrupt_events == 0) return 41;
  h.sq_tail = saved;  // repair from the kernel-published head
  CapSqe nop{};
  if (one(nop) != 0) return 42;
  if (h.status & RING_STATUS_SQ_CORRUPT) return 43;
  // Kernel-owned words are rewritten, whatever we scribble there.
  uint32_t head = h.sq_head, tail = h.cq_tail;
  h.sq_head = 0xDEAD;
  h.cq_tail = 0xBEEF;
  rt::cap_enter(0, 0);
  if (h.sq_head != head || h.cq_tail != tail) return 44;
  // A bogus CQ head is ignored and flagged.
  uint32_t cqh = h.cq_head;
  h.cq_head = h.cq_tail + 100;
  rt::cap_enter(0, 0);
  if (!(h.status & RING_STATUS_CQ_CORRUPT)) return 45;
  h.cq_head = cqh;
  rt::cap_enter(0, 0);
  if (h.status & RING_STATUS_CQ_CORRUPT) return 46;
  // SQ flood with an unreaped CQ: the kernel stalls, never overwrites.
  uint32_t stalls = h.cq_full_stalls;
  uint64_t base = 0x200000000ull;
  // Enough full SQ batches to fill the CQ, then one more that must stall.
  constexpr uint32_t ROUNDS = CQ_ENTRIES / SQ_ENTRIES + 1;
  for (uint32_t round = 0; round < ROUNDS; ++round) {
    for (uint32_t i = 0; i < SQ_ENTRIES; ++i) {
      CapSqe s{};
      s.user_data = base + round * SQ_ENTRIES + i;
      if (!rt::ring().push(s)) return 47;
    }
    rt::cap_enter(0, 0);
  }
  if (h.cq_full_stalls == stalls) return 48;
  bool seen[ROUNDS * SQ_ENTRIES] = {};
  uint32_t got = 0;
  for (int pass = 0; pass < 4 && got < ROUNDS * SQ_ENTRIES; ++pass) {
    CapCqe c;
    while (rt::ring().pop(&c)) {
      uint64_t k = c.user_data - base;
      if (k >= ROUNDS * SQ_ENTRIES || seen[k] || c.result != 0) return 49;
      seen[k] = true;
      ++got;
    }
    rt::cap_enter(0, 0);
  }
  return got == ROUNDS * SQ_ENTRIES ? 0 : 50;
}

// The cases cap_enter's NOP shortcut (docs/abi.md "NOP fast path") must
// leave to the generic path, each with plain NOPs queued, and one it must
// handle with scribbled kernel words: every NOP still completes once, with
// 0, and the ring says what the generic path would say.
int nop_shortcut_fallbacks() {
  auto& h = page()->header;
  CapSqe nop{};
  nop.user_data = 0x300000000ull;
  // Kernel-owned words scribbled before a NOP-only batch: the shortcut
  // publishes the true ones.
  uint32_t head = h.sq_head, tail = h.cq_tail;
  if (!rt::ring().push(nop)) return 51;
  h.sq_head = 0xDEAD;
  h.cq_tail = 0xBEEF;
  if (rt::cap_enter(1, CAP_ENTER_FOREVER) != 1) return 52;
  if (h.sq_head != head + 1 || h.cq_tail != tail + 1) return 52;
  CapCqe c;
  if (!rt::ring().pop(&c) || c.user_data != nop.user_data || c.result != 0) return 52;
  // A bogus CQ head with a NOP queued: the generic drain flags it and still
  // completes the NOP (into the slot the last valid head left free).
  if (!rt::ring().push(nop)) return 53;
  uint32_t cqh = h.cq_head;
  h.cq_head = h.cq_tail + 100;
  rt::cap_enter(0, 0);
  if (!(h.status & RING_STATUS_CQ_CORRUPT) || h.sq_head != head + 2) return 53;
  h.cq_head = cqh;
  if (!rt::ring().pop(&c) || c.user_data != nop.user_data || c.result != 0) return 54;
  // The status bit is cleared by the next pass, a NOP batch included.
  if (!rt::ring().push(nop)) return 55;
  if (rt::cap_enter(1, CAP_ENTER_FOREVER) != 1 || (h.status & RING_STATUS_CQ_CORRUPT)) return 55;
  if (!rt::ring().pop(&c) || c.result != 0) return 55;
  // More completions asked for than the NOPs give: the call waits (here
  // until its 1 ms timeout) instead of returning early.
  if (!rt::ring().push(nop)) return 56;
  if (rt::cap_enter(2, 1000000) != 1) return 56;
  if (!rt::ring().pop(&c) || c.result != 0) return 56;
  // min_complete above CQ_ENTRIES is refused before any NOP is consumed.
  if (!rt::ring().push(nop)) return 57;
  uint32_t before = h.sq_head;
  if (rt::cap_enter(CQ_ENTRIES + 1, 0) != CAP_ERR_INVALID_REQUEST || h.sq_head != before) return 57;
  if (rt::cap_enter(1, CAP_ENTER_FOREVER) != 1 || !rt::ring().pop(&c) || c.result != 0) return 58;
  return 0;
}

}  // namespace

int main() {
  auto found = rt::capset_find<rt::AnyInterface>("dead");  // any interface: only raw SQEs target it
  if (!found) return 90;
  uint32_t dead = found->id();
  if (int r = targeted(dead)) return r;
  if (int r = nop_batches()) return r;
  if (int r = ring_abuse()) return r;
  if (int r = nop_shortcut_fallbacks()) return r;
  if (int r = flood(dead, 20000)) return 60 + r;
  return 0;
}
