// smpstress: the user side of the SMP stress test (issue 15; kernel side
// kernel/selftest_smp_stress.cpp). Role by granted cap name:
//   "endpoint" (owner) -- echo server on two threads (both CPUs serve);
//   "victim"   (client) -- calls the echo server forever until killed;
//   "stress"   (client) -- for STRESS_NS of wall time, on threads:
//       IPC:  2 threads, each keeping CALLS calls in flight;
//       PARK: 2 threads ping-ponging a word with PARK/UNPARK;
//       MAP:  2 threads mapping, writing, checking and unmapping the same
//             MemoryObject (every unmap shoots the other CPU's TLB down).
//     Then every call still in flight gets DRAIN_NS to complete; one that
//     does not is a lost completion. Prints every count; exit status 0
//     only when nothing was lost and every result was right.
#include "lib/abi/ipc.h"
#include "lib/abi/layout.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/park.h"
#include "user/rt/rt.h"
#include "user/rt/thread.h"
#include "user/rt/transport.h"

using namespace capos;
using namespace capos::abi;
namespace wire = capos::schema::wire;

namespace {

constexpr uint64_t ECHO_IFACE = 0x5350535452ull;  // "SPSTR": the stress endpoint's interface
constexpr uint64_t STRESS_NS = 3'000'000'000, DRAIN_NS = 2'000'000'000, TICK_NS = 10'000'000;
constexpr uint32_t CALLS = 8;

struct Echo {
  static constexpr uint64_t kInterfaceId = ECHO_IFACE;
};

struct Call {
  alignas(8) uint8_t pbuf[256];
  alignas(8) uint8_t rbuf[256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

rt::Cap<wire::Timer> g_timer;

// Set by the main thread after STRESS_NS. The IPC threads use raw ring
// operations only: a runtime call (Timer.now) on the same ring would stash
// their CQEs where pop() cannot see them.
volatile bool g_stop = false;

void sleep_ns(uint64_t ns) {
  Call c;
  auto p = wire::Timer::Client::sleepParams(c.params);
  if (p) p->setDurationNs(ns);
  (void)wire::Timer::Client(&rt::transport(), g_timer).sleep(c.params, c.resp);
}

CapSqe sqe(uint8_t op, uint32_t cap) {
  CapSqe s{};
  s.opcode = op;
  s.cap_id = cap;
  s.user_data = rt::ring().next_user_data();
  return s;
}

// Echoes every call's params back.
int64_t serve(void* ep_arg) {
  uint32_t ep = static_cast<uint32_t>(reinterpret_cast<uint64_t>(ep_arg));
  alignas(16) uint8_t buf[sizeof(EndpointMessageHeader) + 64];
  for (;;) {
    CapSqe r = sqe(CAP_OP_RECV, ep);
    r.result_addr = reinterpret_cast<uint64_t>(buf);
    r.result_len = sizeof(buf);
    CapCqe c = rt::ring().call(r);
    if (c.result < 0) return 10;
    auto* h = reinterpret_cast<EndpointMessageHeader*>(buf);
    CapSqe ret = sqe(CAP_OP_RETURN, ep);
    ret.call_id = c.call_id;
    ret.params_addr = reinterpret_cast<uint64_t>(buf + sizeof(*h));
    ret.params_len = h->params_len;
    // A caller killed meanwhile (a victim) left its call orphaned: the
    // RETURN is still accepted (docs/ipc.md), so any failure is a bug.
    if (rt::ring().call(ret).result != 0) return 11;
  }
}

int echo_server(uint32_t ep) {
  auto second = rt::Thread::start(serve, reinterpret_cast<void*>(uint64_t{ep}));
  if (!second) return 12;
  return static_cast<int>(serve(reinterpret_cast<void*>(uint64_t{ep})));
}

int victim(uint32_t ep) {
  uint64_t params[2] = {1, 2}, result[2];
  for (uint64_t n = 0;; ++n) {
    params[0] = n;
    CapSqe s = sqe(CAP_OP_CALL, ep);
    s.method_id = 1;
    s.params_addr = reinterpret_cast<uint64_t>(params);
    s.params_len = 16;
    s.result_addr = reinterpret_cast<uint64_t>(result);
    s.result_len = 16;
    CapCqe c = rt::ring().call(s);
    if (c.result == CAP_ERR_QUOTA_EXCEEDED || c.result == CAP_ERR_OVERLOADED) continue;  // refused: defined
    if (c.result != 16 || result[0] != n) return 20;
  }
}

struct Counts {
  uint64_t done = 0, answered = 0, refused = 0, wrong = 0, lost = 0;
};

struct IpcArg {
  uint32_t ep;
  Counts n;
};

// Keeps CALLS echo calls in flight until g_stop, then drains: a call not
// completed after DRAIN_NS without any completion is lost.
int64_t ipc_loop(void* a) {
  auto* arg = static_cast<IpcArg*>(a);
  uint64_t params[CALLS][2], results[CALLS][2], serial = 0;
  bool busy[CALLS] = {};
  uint32_t in_flight = 0;
  uint64_t idle_waits = 0;  // waits in a row without a completion, once stopping
  for (;;) {
    bool submitting = !g_stop;
    if (!submitting && (in_flight == 0 || idle_waits * 5 * TICK_NS >= DRAIN_NS)) break;
    for (uint32_t i = 0; submitting && i < CALLS && !rt::ring().sq_full(); ++i) {
      if (busy[i]) continue;
      params[i][0] = ++serial;
      params[i][1] = ~serial;
      CapSqe s = sqe(CAP_OP_CALL, arg->ep);
      s.method_id = 1;
      s.params_addr = reinterpret_cast<uint64_t>(params[i]);
      s.params_len = 16;
      s.result_addr = reinterpret_cast<uint64_t>(results[i]);
      s.result_len = 16;
      s.user_data = (serial << 8) | i;
      if (!rt::ring().push(s)) return 30;
      busy[i] = true;
      ++in_flight;
    }
    if (!rt::ring().enter(1, 5 * TICK_NS)) return 31;
    CapCqe c;
    ++idle_waits;
    while (rt::ring().pop(&c)) {
      idle_waits = 0;
      uint32_t i = c.user_data & 0xFF;
      if (i >= CALLS || !busy[i]) return 32;
      busy[i] = false;
      --in_flight;
      ++arg->n.done;
      if (c.result == CAP_ERR_QUOTA_EXCEEDED || c.result == CAP_ERR_OVERLOADED) ++arg->n.refused;  // defined errors
      else if (c.result == 16 && results[i][0] == params[i][0] && results[i][1] == params[i][1]) ++arg->n.answered;
      else ++arg->n.wrong;
    }
  }
  arg->n.lost = in_flight;
  return 0;
}

struct ParkArg {
  uint32_t* word;
  uint32_t mine;  // the word's value that is this thread's turn
  uint64_t turns = 0, late_wakes = 0, errors = 0;
};

// Ping-pong: waits for its turn, hands the turn over and UNPARKs the
// other. A PARK that times out although the word already changed is a lost
// UNPARK (the other thread set the word and unparked seconds ago).
int64_t park_loop(void* a) {
  auto* arg = static_cast<ParkArg*>(a);
  uint32_t other = arg->mine ^ 1;
  while (!g_stop) {
    uint32_t late_parks = 0;
    while (__atomic_load_n(arg->word, __ATOMIC_ACQUIRE) != arg->mine) {
      Status s = rt::park(arg->word, other, 1'000'000'000);
      if (!s && s.error() == Err::TimedOut && __atomic_load_n(arg->word, __ATOMIC_ACQUIRE) == arg->mine)
        ++arg->late_wakes;
      else if (!s && s.error() != Err::ValueChanged && s.error() != Err::TimedOut) ++arg->errors;
      if (g_stop && ++late_parks * 1'000'000'000 >= DRAIN_NS) return 0;  // the other thread has stopped
    }
    ++arg->turns;
    __atomic_store_n(arg->word, other, __ATOMIC_RELEASE);
    if (!rt::unpark(arg->word, 1)) ++arg->errors;
  }
  // Hand the turn over a last time so the other thread can finish.
  __atomic_store_n(arg->word, other, __ATOMIC_RELEASE);
  (void)rt::unpark(arg->word, 1);
  return 0;
}

struct MapArg {
  uint32_t mem;
  uint32_t index;
  uint64_t maps = 0, errors = 0;
};

// Maps the shared MemoryObject, writes its own word, checks the other
// thread's word is one it wrote, unmaps.
int64_t map_loop(void* a) {
  auto* arg = static_cast<MapArg*>(a);
  wire::MemoryObject::Client mo(&rt::transport(), rt::Cap<wire::MemoryObject>::unchecked(arg->mem));
  while (!g_stop) {
    Call m;
    auto p = wire::MemoryObject::Client::mapParams(m.params);
    if (!p) return 40;
    auto prot = p->initProt();
    if (!prot) return 41;
    prot->setRead(true);
    prot->setWrite(true);
    auto r = mo.map(m.params, m.resp);
    if (!r) {
      ++arg->errors;
      continue;
    }
    uint64_t addr = r->getAddr();
    auto* words = reinterpret_cast<volatile uint64_t*>(addr);
    words[arg->index] = arg->maps + 1;
    if (words[arg->index] != arg->maps + 1) ++arg->errors;
    Call u;
    auto up = wire::MemoryObject::Client::unmapParams(u.params);
    if (!up) return 42;
    up->setAddr(addr);
    if (!mo.unmap(u.params, u.resp)) ++arg->errors;
    ++arg->maps;
  }
  return 0;
}

Result<uint32_t> allocate(uint32_t frames, uint32_t pages) {
  Call c;
  auto p = CAPOS_TRY(wire::FrameAllocator::Client::allocateParams(c.params));
  p.setPageCount(pages);
  auto cap = CAPOS_TRY(rt::call_for_cap<wire::MemoryObject>(
      rt::Cap<wire::FrameAllocator>::unchecked(frames), static_cast<uint16_t>(wire::FrameAllocator::Method::ALLOCATE),
      c.params, c.resp));
  return cap.id();
}

int stress(uint32_t ep) {
  auto timer = rt::capset_find<wire::Timer>("timer");
  auto frames = rt::capset_find<wire::FrameAllocator>("frames");
  if (!timer || !frames) return 50;
  g_timer = *timer;
  auto mem = allocate(frames->id(), 1);
  if (!mem) return 51;
  static IpcArg ipc[2];
  static uint32_t word = 0;
  static ParkArg park[2];
  static MapArg map[2];
  rt::Thread ts[6];
  uint32_t n = 0;
  for (uint32_t i = 0; i < 2; ++i) {
    ipc[i] = IpcArg{ep, {}};
    park[i] = ParkArg{&word, i};
    map[i] = MapArg{*mem, i};
  }
  auto go = [&](int64_t (*fn)(void*), void* arg) {
    auto t = rt::Thread::start(fn, arg);
    if (t) ts[n++] = move(*t);
    return static_cast<bool>(t);
  };
  for (uint32_t i = 0; i < 2; ++i)
    if (!go(ipc_loop, &ipc[i]) || !go(park_loop, &park[i]) || !go(map_loop, &map[i])) return 52;
  sleep_ns(STRESS_NS);
  g_stop = true;
  int64_t status = 0;
  for (uint32_t i = 0; i < n; ++i) {
    auto r = ts[i].join();
    if (!r || *r != 0) status = r ? *r : 53;
  }
  rt::release_cap(*mem);
  Counts c;
  for (auto& a : ipc) {
    c.done += a.n.done, c.answered += a.n.answered, c.refused += a.n.refused, c.wrong += a.n.wrong;
    c.lost += a.n.lost;
  }
  uint64_t turns = park[0].turns + park[1].turns, late = park[0].late_wakes + park[1].late_wakes;
  uint64_t perr = park[0].errors + park[1].errors, maps = map[0].maps + map[1].maps;
  uint64_t merr = map[0].errors + map[1].errors;
  rt::printf("smpstress: calls {} answered {} refused {} wrong {} LOST {}\n", c.done + c.lost, c.answered, c.refused,
             c.wrong, c.lost);
  rt::printf("smpstress: park turns {} lost unparks {} errors {}; object maps {} errors {}\n", turns, late, perr, maps,
             merr);
  bool ok = status == 0 && c.lost == 0 && c.wrong == 0 && c.answered > 0 && late == 0 && perr == 0 && turns > 0 &&
            merr == 0 && maps > 0;
  rt::printf("smpstress: {}\n", ok ? "no lost completions" : "FAILED");
  return ok ? 0 : (status ? static_cast<int>(status) : 54);
}

}  // namespace

int main() {
  if (auto ep = rt::capset_find<Echo>("endpoint")) return echo_server(ep->id());
  if (auto ep = rt::capset_find<Echo>("victim")) return victim(ep->id());
  if (auto ep = rt::capset_find<Echo>("stress")) return stress(ep->id());
  return 99;
}
