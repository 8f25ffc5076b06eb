// Threads, TLS and PARK/UNPARK from ring 3 (issue 14), run by the kernel
// self test `capos.test=threads` (kernel/selftest_threads.cpp) in a role
// chosen by the name its timer is granted under:
//   functional  thread_local per thread, mutex counter, condvar queue,
//               once, join values, hostile PARK/UNPARK, unmap cancels a park
//   quota       the Threads quota answers quotaExceeded; the program lives on
//   victim      threads blocked in PARK, endpoint CALL and RECV; the self
//               test kills the process and checks the baselines
//   exiter      main returns while threads are parked: the process exits
//               with main's code
//   spin        burns CPU until killed (scheduling weights)
#include "lib/abi/layout.h"
#include "lib/abi/ring.h"
#include "lib/capnp/message.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/park.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/sync.h"
#include "user/rt/thread.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = schema::wire;

namespace {

#define CHECK(cond, code)                                          \
  do {                                                             \
    if (!(cond)) {                                                 \
      rt::printf("threads: check failed: {} (line {})\n", #cond, __LINE__); \
      return code;                                                 \
    }                                                              \
  } while (0)

struct Call {
  alignas(8) uint8_t pbuf[256];
  alignas(8) uint8_t rbuf[512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

rt::Cap<wire::Timer> g_timer;

void sleep_ms(uint64_t ms) {
  Call c;
  auto p = wire::Timer::Client::sleepParams(c.params);
  if (p) p->setDurationNs(ms * 1000000);
  (void)wire::Timer::Client(&rt::transport(), g_timer).sleep(c.params, c.resp);
}

// ---- thread_local ----
thread_local int t_value = 7;        // .tdata: every thread starts with 7
thread_local uint64_t t_zero[32];    // .tbss: every thread starts with zeros

int64_t tls_worker(void* arg) {
  int64_t i = reinterpret_cast<int64_t>(arg);
  if (t_value != 7) return -1;
  for (uint64_t z : t_zero)
    if (z) return -2;
  t_value = static_cast<int>(100 + i);
  t_zero[5] = static_cast<uint64_t>(i);
  sleep_ms(5);  // others run and write theirs meanwhile
  if (t_value != 100 + i || t_zero[5] != static_cast<uint64_t>(i)) return -3;
  return 1000 + i;
}

int tls_and_join() {
  t_value = 1;
  rt::Thread ts[4];
  for (int64_t i = 0; i < 4; ++i) {
    auto t = rt::Thread::start(tls_worker, reinterpret_cast<void*>(i));
    CHECK(t, 10);
    ts[i] = move(*t);
  }
  CHECK(ts[0].id() != ts[1].id() && ts[1].id() != ts[2].id(), 11);
  for (int64_t i = 0; i < 4; ++i) {
    auto code = ts[i].join();
    CHECK(code && *code == 1000 + i, 12);
  }
  CHECK(t_value == 1, 13);
  rt::printf("threads: thread_local differs per thread, join returned 1000..1003\n");
  return 0;
}

// ---- mutex ----
rt::Mutex g_mutex;
volatile uint64_t g_counter = 0;
constexpr int COUNT_THREADS = 4, COUNT_EACH = 3000;

int64_t count_worker(void*) {
  for (int i = 0; i < COUNT_EACH; ++i) {
    rt::LockGuard g(g_mutex);
    uint64_t v = g_counter;
    for (int k = 0; k < 20; ++k) asm volatile("" ::: "memory");  // widen the window
    g_counter = v + 1;
  }
  return 0;
}

int mutex_counter() {
  rt::Thread ts[COUNT_THREADS];
  for (auto& t : ts) {
    auto s = rt::Thread::start(count_worker, nullptr);
    CHECK(s, 20);
    t = move(*s);
  }
  count_worker(nullptr);  // the initial thread takes part
  for (auto& t : ts) CHECK(t.join(), 21);
  CHECK(g_counter == uint64_t{COUNT_THREADS + 1} * COUNT_EACH, 22);
  rt::printf("threads: {} threads x {} increments under rt::Mutex = {}\n", COUNT_THREADS + 1, COUNT_EACH,
             g_counter);
  return 0;
}

// ---- condvar: bounded queue ----
struct Queue {
  rt::Mutex m;
  rt::CondVar not_empty, not_full;
  uint32_t items[4];
  uint32_t head = 0, count = 0;
};
Queue g_q;
constexpr uint32_t ITEMS = 300;

int64_t producer(void*) {
  for (uint32_t v = 1; v <= ITEMS; ++v) {
    rt::LockGuard g(g_q.m);
    while (g_q.count == 4) g_q.not_full.wait(g_q.m);
    g_q.items[(g_q.head + g_q.count) % 4] = v;
    ++g_q.count;
    g_q.not_empty.signal();
  }
  return 0;
}

int64_t consumer(void*) {
  uint64_t sum = 0;
  for (uint32_t n = 0; n < ITEMS; ++n) {
    rt::LockGuard g(g_q.m);
    while (g_q.count == 0) g_q.not_empty.wait(g_q.m);
    sum += g_q.items[g_q.head];
    g_q.head = (g_q.head + 1) % 4;
    --g_q.count;
    g_q.not_full.signal();
  }
  return static_cast<int64_t>(sum);
}

int condvar_queue() {
  auto c = rt::Thread::start(consumer, nullptr);
  auto p = rt::Thread::start(producer, nullptr);
  CHECK(c && p, 30);
  auto sum = c->join();
  CHECK(p->join(), 31);
  CHECK(sum && *sum == int64_t{ITEMS} * (ITEMS + 1) / 2, 32);
  rt::printf("threads: producer/consumer over rt::CondVar moved {} items, sum {}\n", ITEMS, *sum);
  return 0;
}

// ---- once ----
rt::Once g_once;
uint32_t g_once_runs = 0;
int64_t once_worker(void*) {
  g_once.call([](void*) { ++g_once_runs; sleep_ms(2); }, nullptr);
  return g_once_runs;
}

int once() {
  rt::Thread ts[3];
  for (auto& t : ts) {
    auto s = rt::Thread::start(once_worker, nullptr);
    CHECK(s, 40);
    t = move(*s);
  }
  for (auto& t : ts) {
    auto r = t.join();
    CHECK(r && *r == 1, 41);
  }
  CHECK(g_once_runs == 1, 42);
  return 0;
}

// ---- hostile PARK / UNPARK: raw SQEs, each must fail with its code ----
int32_t raw(uint8_t op, uint64_t addr, uint32_t value, uint64_t timeout, uint32_t cap = 0) {
  abi::CapSqe s{};
  s.opcode = op;
  s.params_addr = addr;
  s.params_len = value;
  s.result_addr = timeout;
  s.cap_id = cap;
  s.user_data = rt::ring().next_user_data();
  return rt::ring().call(s).result;
}

uint32_t g_word = 5;

int hostile() {
  using namespace abi;
  const uint64_t w = reinterpret_cast<uint64_t>(&g_word);
  struct {
    uint8_t op;
    uint64_t addr;
    uint32_t value;
    uint64_t timeout;
    uint32_t cap;
    int32_t want;
    const char* what;
  } cases[] = {
      {CAP_OP_PARK, 0xFFFF800000001000ull, 5, ~0ull, 0, CAP_ERR_INVALID_PARAMS_BUFFER, "kernel address"},
      {CAP_OP_PARK, w + 1, 5, ~0ull, 0, CAP_ERR_INVALID_PARAMS_BUFFER, "unaligned word"},
      {CAP_OP_PARK, 0x0000200000000000ull, 5, ~0ull, 0, CAP_ERR_INVALID_PARAMS_BUFFER, "unmapped word"},
      {CAP_OP_PARK, 0, 0, ~0ull, 0, CAP_ERR_INVALID_PARAMS_BUFFER, "null word"},
      {CAP_OP_PARK, w, 5, 3601ull * 1000000000ull, 0, CAP_ERR_INVALID_REQUEST, "timeout past one hour"},
      {CAP_OP_PARK, w, 5, ~0ull, 3, CAP_ERR_INVALID_REQUEST, "cap id set"},
      {CAP_OP_PARK, w, 6, ~0ull, 0, CAP_ERR_PARK_VALUE_CHANGED, "value already changed"},
      {CAP_OP_PARK, w, 5, 1000000, 0, CAP_ERR_TIMED_OUT, "1 ms timeout"},
      {CAP_OP_PARK, w, 5, 0, 0, CAP_ERR_TIMED_OUT, "zero timeout"},
      {CAP_OP_UNPARK, w, 0, 0, 0, CAP_ERR_INVALID_REQUEST, "count 0"},
      {CAP_OP_UNPARK, w, 1u << 20, 0, 0, CAP_ERR_INVALID_REQUEST, "huge count"},
      {CAP_OP_UNPARK, 0xFFFF800000001000ull, 1, 0, 0, CAP_ERR_INVALID_PARAMS_BUFFER, "kernel address"},
      {CAP_OP_UNPARK, w + 2, 1, 0, 0, CAP_ERR_INVALID_PARAMS_BUFFER, "unaligned word"},
      {CAP_OP_UNPARK, w, 1, 0, 0, 0, "nobody parked: 0 woken"},
  };
  for (const auto& c : cases) {
    int32_t r = raw(c.op, c.addr, c.value, c.timeout, c.cap);
    if (r != c.want) {
      rt::printf("threads: hostile {} {}: got {}, want {}\n", c.op == CAP_OP_PARK ? "PARK" : "UNPARK", c.what, r,
                 c.want);
      return 50;
    }
  }
  rt::printf("threads: hostile PARK/UNPARK: {} cases answered with their error\n", sizeof(cases) / sizeof(cases[0]));
  return 0;
}

// ---- unmapping the page of a parked word cancels the park ----
rt::Cap<wire::VirtualMemory> g_vm;
uint32_t* g_mapped_word = nullptr;
volatile uint32_t g_about_to_park = 0;

int64_t parker(void*) {
  g_about_to_park = 1;
  Status s = rt::park(g_mapped_word, 0, 5ull * 1000000000ull);
  if (s) return 1;
  return s.error() == Err::Cancelled ? 0 : 2 + static_cast<int64_t>(s.error());
}

int unmap_cancels() {
  using VM = wire::VirtualMemory::Client;
  Call c;
  auto p = VM::mapParams(c.params);
  CHECK(p, 60);
  p->setSize(abi::PAGE_SIZE);
  auto prot = p->initProt();
  CHECK(prot, 61);
  prot->setRead(true);
  prot->setWrite(true);
  auto m = VM(&rt::transport(), g_vm).map(c.params, c.resp);
  CHECK(m, 62);
  uint64_t addr = m->getAddr();
  g_mapped_word = reinterpret_cast<uint32_t*>(addr);
  *g_mapped_word = 0;
  auto t = rt::Thread::start(parker, nullptr);
  CHECK(t, 63);
  while (!g_about_to_park) sleep_ms(1);
  sleep_ms(20);  // it parks right after the flag
  Call u;
  auto up = VM::unmapParams(u.params);
  CHECK(up, 64);
  up->setAddr(addr);
  up->setSize(abi::PAGE_SIZE);
  CHECK(VM(&rt::transport(), g_vm).unmap(u.params, u.resp), 65);
  auto code = t->join();
  CHECK(code && *code == 0, 66);
  rt::printf("threads: unmapping a parked word's page cancelled the park\n");
  return 0;
}

// ---- a wake-up made stale by a sibling: cap_enter checks and waits on ----
// The kernel's wake-up test counts a waiter's CQEs against the ring head
// the waiter validated before it blocked (RingEngine::cq_ready_bound,
// docs/ipc.md "Direct switch"). Here a sibling consumes a CQE from the
// waiter's ring meanwhile, so a post wakes the waiter with one CQE ready
// where it waits for two: its cap_enter must see that and wait on, not
// return early. The waiter parks on three words and waits for two
// completions; the main thread unparks the first, takes that CQE out of
// the waiter's ring itself (a thread may write any ring page of its
// process), unparks the second (the stale wake-up) and then the third.
uint32_t g_stale_words[3];
abi::RingPage* volatile g_stale_ring = nullptr;

int64_t stale_waiter(void*) {
  rt::Ring& r = rt::ring();
  for (uint32_t i = 0; i < 3; ++i) {
    abi::CapSqe* s = r.sqe_slot(i);
    if (!s) return 1;
    s->opcode = abi::CAP_OP_PARK;
    s->params_addr = reinterpret_cast<uint64_t>(&g_stale_words[i]);
    s->params_len = 0;                     // the value it parks on
    s->result_addr = 20ull * 1000000000;  // timeout: the check fails rather than hangs
    s->user_data = 900 + i;
  }
  __atomic_store_n(&g_stale_ring, r.page(), __ATOMIC_RELEASE);
  r.publish(3);
  auto n = r.enter(2, 20ull * 1000000000);
  if (!n) return 2;
  if (*n < 2) return 10 + static_cast<int64_t>(*n);  // woken early with fewer than it asked for
  abi::CapCqe c;
  for (uint32_t want = 901; want <= 902; ++want) {  // 900 was taken by the main thread
    if (!r.pop(&c)) return 3;
    if (c.user_data != want || c.result != 0) return 4;
  }
  return 0;
}

int stale_wakeup() {
  auto t = rt::Thread::start(stale_waiter, nullptr);
  CHECK(t, 70);
  // The waiter's cap_enter drains its three PARKs and blocks in one pass
  // under the kernel lock, so once an UNPARK finds the first word parked
  // the waiter is blocked waiting for two CQEs.
  const uint64_t w0 = reinterpret_cast<uint64_t>(&g_stale_words[0]);
  int32_t woken = 0;
  for (int i = 0; i < 2000 && (woken = raw(abi::CAP_OP_UNPARK, w0, 1, 0)) == 0; ++i) sleep_ms(1);
  CHECK(woken == 1, 71);
  abi::RingPage* wr = __atomic_load_n(&g_stale_ring, __ATOMIC_ACQUIRE);
  CHECK(wr, 72);
  auto& h = wr->header;
  uint32_t head = __atomic_load_n(&h.cq_head, __ATOMIC_ACQUIRE);
  CHECK(__atomic_load_n(&h.cq_tail, __ATOMIC_ACQUIRE) - head == 1, 73);
  CHECK(wr->cq[head % abi::CQ_ENTRIES].user_data == 900, 74);
  __atomic_store_n(&h.cq_head, head + 1, __ATOMIC_RELEASE);  // the sibling consumes it
  CHECK(raw(abi::CAP_OP_UNPARK, reinterpret_cast<uint64_t>(&g_stale_words[1]), 1, 0) == 1, 75);
  sleep_ms(10);  // the waiter runs, finds one CQE and blocks again
  CHECK(raw(abi::CAP_OP_UNPARK, reinterpret_cast<uint64_t>(&g_stale_words[2]), 1, 0) == 1, 76);
  auto code = t->join();
  CHECK(code, 77);
  if (*code != 0) {
    rt::printf("threads: stale wake-up: the waiter failed with {}\n", *code);
    return 78;
  }
  rt::printf("threads: a stale wake-up was checked again: cap_enter waited for its 2 completions\n");
  return 0;
}

int functional() {
  if (int r = tls_and_join()) return r;
  if (int r = mutex_counter()) return r;
  if (int r = condvar_queue()) return r;
  if (int r = once()) return r;
  if (int r = hostile()) return r;
  if (int r = unmap_cancels()) return r;
  if (int r = stale_wakeup()) return r;
  rt::printf("threads: all checks passed\n");
  return 0;
}

// ---- quota: limits.threads = 3 (the initial thread and two more) ----
uint32_t g_hold = 0;
int64_t holder(void*) {
  while (__atomic_load_n(&g_hold, __ATOMIC_ACQUIRE) == 0) (void)rt::park(&g_hold, 0);
  return 0;
}

int quota() {
  auto a = rt::Thread::start(holder, nullptr);
  auto b = rt::Thread::start(holder, nullptr);
  CHECK(a && b, 70);
  auto c = rt::Thread::start(holder, nullptr);
  CHECK(!c && c.error() == Err::Overloaded, 71);  // the kernel's QuotaExceeded as a CapException: overloaded
  rt::printf("threads: third extra thread refused: {} ({})\n", err_name(c.error()), rt::call_exception());
  __atomic_store_n(&g_hold, 1, __ATOMIC_RELEASE);
  CHECK(rt::unpark(&g_hold, rt::UNPARK_ALL), 72);
  CHECK(a->join() && b->join(), 73);
  auto d = rt::Thread::start(holder, nullptr);  // room again
  CHECK(d && d->join(), 74);
  rt::printf("threads: quota: still running, a thread starts again once one ended\n");
  return 0;
}

// ---- victim: threads blocked in PARK, CALL and RECV, then killed ----
uint32_t g_never = 0;
int64_t park_forever(void*) {
  for (;;) (void)rt::park(&g_never, 0);
}
int64_t call_forever(void*) {
  auto ep = rt::capset_find<capnp::AnyInterface>("client");
  if (!ep) return 1;
  alignas(8) uint8_t params[64] = {};
  alignas(8) uint8_t result[256];
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = ep->id();
  s.params_addr = reinterpret_cast<uint64_t>(params);
  s.params_len = 16;
  s.result_addr = reinterpret_cast<uint64_t>(result);
  s.result_len = sizeof(result);
  s.user_data = rt::ring().next_user_data();
  (void)rt::ring().call(s);  // nobody serves it
  return 2;
}
int64_t recv_forever(void*) {
  auto ep = rt::capset_find<wire::Endpoint>("server");
  if (!ep) return 1;
  alignas(16) uint8_t buf[512];
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_RECV;
  s.cap_id = ep->id();
  s.result_addr = reinterpret_cast<uint64_t>(buf);
  s.result_len = sizeof(buf);
  s.user_data = rt::ring().next_user_data();
  (void)rt::ring().call(s);  // nobody calls it
  return 2;
}

// ---- exiter: returns from main (exit) while two threads are parked ----
int exiter() {
  for (int i = 0; i < 2; ++i) {
    auto t = rt::Thread::start(park_forever, nullptr);
    CHECK(t, 90);
  }
  sleep_ms(5);  // both park
  rt::printf("threads: exiter: leaving main with 2 threads parked\n");
  return 7;
}

int victim() {
  rt::Thread::Fn fns[] = {park_forever, park_forever, call_forever, recv_forever};
  for (auto fn : fns) {
    auto t = rt::Thread::start(fn, nullptr);
    CHECK(t, 80);
    // Detached on scope exit; the kill takes them all.
  }
  rt::printf("threads: victim: 4 threads blocked (PARK x2, CALL, RECV)\n");
  for (;;) (void)rt::park(&g_never, 0);
}

// ---- spin: a CPU hog until killed (scheduling weights) ----
int spin() {
  for (volatile uint64_t n = 0;; n = n + 1) {
  }
}

// Tickless boot CPU (issue 15, kernel/selftest_threads.cpp): with nothing
// else to run, each kind of timed wait must still end -- a Timer sleep, a
// PARK timeout, a cap_enter deadline -- while the idle boot CPU takes
// one-shot timer interrupts instead of its periodic tick.
uint32_t g_sleep_word = 0;
int sleeper() {
  for (int i = 0; i < 2; ++i) {
    Call c;
    auto p = wire::Timer::Client::sleepParams(c.params);
    CHECK(p, 90);
    p->setDurationNs(100 * 1000000ull);
    CHECK(wire::Timer::Client(&rt::transport(), g_timer).sleep(c.params, c.resp), 91);
    Status s = rt::park(&g_sleep_word, 0, 100 * 1000000ull);
    CHECK(!s && s.error() == Err::TimedOut, 92);
    CHECK(rt::cap_enter(1, 100 * 1000000ull) == 0, 93);  // nothing in flight: the deadline ends it
  }
  return 0;
}

}  // namespace

// ---- TLB shootdown (issue 15; kernel/arch/x86_64/tlb.h) ----
// A reader thread keeps a page in its CPU's TLB; the main thread unmaps it
// and only then raises a flag. The reader's next read of the page must
// fault: on another CPU only the shootdown can have removed the stale
// entry. The self test expects this process to end with that page fault;
// exit code 3 means a stale entry let the read through.
volatile uint64_t* g_shoot_page = nullptr;
volatile uint32_t g_reader_running = 0, g_page_gone = 0;
volatile uint64_t g_sink = 0;

int64_t tlb_reader(void*) {
  for (;;) {
    g_sink = g_sink + *g_shoot_page;  // fills this CPU's TLB entry for the page
    __atomic_store_n(&g_reader_running, 1, __ATOMIC_RELEASE);
    if (__atomic_load_n(&g_page_gone, __ATOMIC_ACQUIRE)) {
      g_sink = g_sink + *g_shoot_page;  // must fault
      rt::printf("threads: read an unmapped page through a stale TLB entry\n");
      return 3;
    }
  }
}

int tlb_shootdown() {
  using VM = wire::VirtualMemory::Client;
  Call c;
  auto p = VM::mapParams(c.params);
  CHECK(p, 80);
  p->setSize(abi::PAGE_SIZE);
  auto prot = p->initProt();
  CHECK(prot, 81);
  prot->setRead(true);
  prot->setWrite(true);
  auto m = VM(&rt::transport(), g_vm).map(c.params, c.resp);
  CHECK(m, 82);
  uint64_t addr = m->getAddr();
  g_shoot_page = reinterpret_cast<volatile uint64_t*>(addr);
  *g_shoot_page = 0x5a5a;
  rt::printf("threads: shootdown page at {:#x}\n", addr);
  auto t = rt::Thread::start(tlb_reader, nullptr);
  CHECK(t, 83);
  // Both threads now spin: on two CPUs each has one.
  while (!__atomic_load_n(&g_reader_running, __ATOMIC_ACQUIRE)) {
  }
  Call u;
  auto up = VM::unmapParams(u.params);
  CHECK(up, 84);
  up->setAddr(addr);
  up->setSize(abi::PAGE_SIZE);
  CHECK(VM(&rt::transport(), g_vm).unmap(u.params, u.resp), 85);
  __atomic_store_n(&g_page_gone, 1, __ATOMIC_RELEASE);
  auto code = t->join();  // the process ends with the reader's fault first
  return code ? static_cast<int>(*code) : 86;
}

int main() {
  struct Role {
    const char* name;
    int (*fn)();
  } roles[] = {{"functional", functional}, {"quota", quota}, {"victim", victim}, {"exiter", exiter}, {"spin", spin},
                {"shootdown", tlb_shootdown}, {"sleeper", sleeper}};
  for (const Role& r : roles) {
    auto t = rt::capset_find<wire::Timer>(r.name);
    if (!t) continue;
    g_timer = *t;
    if (auto vm = rt::capset_find<wire::VirtualMemory>("vm")) g_vm = *vm;
    return r.fn();
  }
  rt::printf("threads: no role granted\n");
  return 99;
}
