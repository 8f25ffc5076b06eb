// In-guest capOS benchmarks (docs/benchmarks.md): cycles per primitive,
// measured with lfence;rdtsc around each iteration, medians and p99.
// Roles from the CapSet: "endpoint" = echo server; otherwise the driver,
// with "console", "timer", "client" (endpoint client facet), "spare"
// (a cap to transfer).
#include "lib/abi/ipc.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/owned_cap.h"
#include "user/rt/park.h"
#include "user/rt/thread.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/bench/bench_scale.h"

using namespace capos;
using namespace capos::abi;
namespace wire = capos::schema::wire;

namespace {

constexpr uint32_t ITERS = 10000;
uint64_t g_samples[ITERS];
uint64_t g_tsc_hz = 0;

inline uint64_t tsc() {
  uint32_t lo, hi;
  asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
  return (uint64_t{hi} << 32) | lo;
}

// k-th smallest (quickselect; the samples array is scratch).
uint64_t select_k(uint64_t* a, uint32_t n, uint32_t k) {
  uint32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    uint64_t pivot = a[(lo + hi) / 2];
    uint32_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) ++i;
      while (a[j] > pivot) --j;
      if (i <= j) {
        uint64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
        ++i;
        if (j == 0) break;
        --j;
      }
    }
    if (k <= j) hi = j; else if (k >= i) lo = i; else break;
  }
  return a[k];
}

void report(const char* row, uint32_t n, uint32_t per_op = 1) {
  uint64_t mn = ~0ull;
  for (uint32_t i = 0; i < n; ++i) mn = g_samples[i] < mn ? g_samples[i] : mn;
  uint64_t med = select_k(g_samples, n, n / 2) / per_op;
  uint64_t p99 = select_k(g_samples, n, n * 99 / 100) / per_op;
  auto ns = [](uint64_t c) { return g_tsc_hz ? c * 1000000000ull / g_tsc_hz : 0; };
  rt::printf("BENCH row={} iters={} median_cycles={} p99_cycles={} min_cycles={} median_ns={} p99_ns={}\n", row,
             n * per_op, med, p99, mn / per_op, ns(med), ns(p99));
}

// Loop markers: a measurement kernel (kernel/debug/measure.h) prints its
// per-segment profile before every console write, so these two lines
// delimit exactly one row's loop for tools/bench/capos_guest.py.
void loop_begin(const char* row) { rt::printf("BENCH loop=begin name={}\n", row); }
void loop_end(const char* row, uint32_t loops, uint32_t per_op = 1) {
  rt::printf("BENCH loop=end name={} loops={} per_op={}\n", row, loops, per_op);
}

uint64_t timer_now(wire::Timer::Client& t) {
  alignas(8) uint8_t pb[64], rb[64];
  capnp::FixedMessageBuilder p(MutBytes(pb, sizeof(pb)));
  (void)wire::Timer::Client::nowParams(p);
  capnp::Response r(MutBytes(rb, sizeof(rb)));
  auto res = t.now(p, r);
  return res ? res->getMonotonicNs() : 0;
}

void bench_nop(uint32_t batch, const char* row) {
  loop_begin(row);
  for (uint32_t i = 0; i < ITERS; ++i) {
    uint64_t t0 = tsc();
    // In place, as the Linux row uses liburing (io_uring_get_sqe,
    // io_uring_for_each_cqe + io_uring_cq_advance).
    rt::Ring& ring = rt::ring();
    for (uint32_t k = 0; k < batch; ++k) {
      CapSqe* s = ring.sqe_slot(k);
      if (!s) rt::panic("bench: SQ full");
      s->user_data = k;  // opcode 0: NOP
    }
    ring.publish(batch);
    rt::cap_enter(batch, CAP_ENTER_FOREVER);
    uint32_t seen = 0;
    while (const CapCqe* c = ring.cqe_at(seen)) {
      if (c->result < 0) rt::panic("bench: NOP failed");
      ++seen;
    }
    ring.consume(seen);
    if (seen != batch) rt::panic("bench: NOP completions missing");
    g_samples[i] = tsc() - t0;
  }
  loop_end(row, ITERS, batch);
  report(row, ITERS, batch);
}

void bench_kcall(wire::Timer::Client& t) {
  alignas(8) uint8_t rb[64];
  loop_begin("kcall_trivial");
  for (uint32_t i = 0; i < ITERS; ++i) {
    capnp::Response r(MutBytes(rb, sizeof(rb)));
    uint64_t t0 = tsc();
    auto res = t.now(r);  // no params message (params_len = 0)
    g_samples[i] = tsc() - t0;
    if (!res) rt::panic("Timer.now failed");
  }
  loop_end("kcall_trivial", ITERS);
  report("kcall_trivial", ITERS);
}

void bench_endpoint(uint32_t client, uint32_t spare, bool with_cap) {
  uint8_t msg[8] = {1, 2, 3, 4, 5, 6, 7, 8}, reply[8];
  CapTransferDesc d{spare, XFER_COPY, {0, 0, 0}};
  const char* row = with_cap ? "endpoint_rtt_cap" : "endpoint_rtt";
  loop_begin(row);
  rt::Ring& ring = rt::ring();
  for (uint32_t i = 0; i < ITERS + 100; ++i) {
    uint64_t t0 = tsc();
    // In place, as the NOP rows and the Linux rows' liburing use the rings.
    CapSqe* s = ring.sqe_slot(0);
    if (!s) rt::panic("bench: SQ full");
    s->opcode = CAP_OP_CALL;
    s->cap_id = client;
    s->method_id = 1;
    s->params_addr = reinterpret_cast<uint64_t>(msg);
    s->params_len = sizeof(msg);
    s->result_addr = reinterpret_cast<uint64_t>(reply);
    s->result_len = sizeof(reply);
    if (with_cap) {
      s->xfer_addr = reinterpret_cast<uint64_t>(&d);
      s->xfer_count = 1;
    }
    s->user_data = i;
    ring.publish(1);
    rt::cap_enter(1, CAP_ENTER_FOREVER);
    const CapCqe* c = ring.cqe_at(0);
    int32_t result = c ? c->result : -1;
    ring.consume(1);
    uint64_t dt = tsc() - t0;
    if (result != sizeof(reply)) rt::panic("endpoint call failed");
    if (i >= 100) g_samples[i - 100] = dt;  // first 100 warm caches and pools
  }
  loop_end(row, ITERS + 100);
  report(row, ITERS);
}

// Spawn a packaged binary (exit_zero) and wait for it: ProcessSpawner.spawn
// returns a ProcessHandle result cap; ProcessHandle.wait completes when
// the child has exited; the handle is then released.
void bench_spawn(rt::Cap<wire::ProcessSpawner> spawner, uint32_t iters) {
  alignas(8) uint8_t pbuf[256], rbuf[512], wbuf[128], wres[256];  // spawn replies need 256 + records
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof(pbuf)));
  auto req = wire::ProcessSpawner::Client::spawnParams(params);
  if (!req || !req->setName("child") || !req->setBinaryName("exit_zero") || !req->initGrants(0))
    rt::panic("bench: spawn params");
  capnp::FixedMessageBuilder wparams(MutBytes(wbuf, sizeof(wbuf)));
  (void)wire::ProcessHandle::WaitParams::initRoot(wparams);
  loop_begin("spawn_wait");
  for (uint32_t i = 0; i < iters; ++i) {
    capnp::Response resp(MutBytes(rbuf, sizeof(rbuf)));
    abi::CapTransferRecord rec[2];
    uint32_t nrec = 0;
    uint64_t t0 = tsc();
    Status st = rt::call_with_caps(spawner, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                   Span<abi::CapTransferRecord>(rec, 2), &nrec);
    if (!st || nrec < 1) rt::panic("bench: spawn failed");
    auto typed = rt::record_cap<wire::ProcessHandle>(rec[0]);
    if (!typed) rt::panic("bench: spawn returned no ProcessHandle");
    rt::OwnedCap<wire::ProcessHandle> handle(*typed);
    wire::ProcessHandle::Client h(&rt::transport(), handle.get());
    capnp::Response wr(MutBytes(wres, sizeof(wres)));
    auto status = h.wait(wparams, wr);
    uint64_t dt = tsc() - t0;
    if (!status) rt::panic("bench: wait failed");
    g_samples[i] = dt;
  }
  loop_end("spawn_wait", iters);
  report("spawn_wait", iters);
}

// park_rtt: the futex_rtt protocol (bench/linux/bench.cpp) over PARK and
// UNPARK. A publishes 2k+1 and wakes B; B publishes 2k+2 and wakes A.
struct ParkShared {
  uint32_t seq = 0;
  uint32_t rounds = 0;
};

void park_wait_for(uint32_t* w, uint32_t want) {
  for (;;) {
    uint32_t v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    if (v == want) return;
    (void)rt::park(w, v);
  }
}

int64_t park_partner(void* arg) {
  auto* s = static_cast<ParkShared*>(arg);
  for (uint32_t k = 0; k < s->rounds; ++k) {
    park_wait_for(&s->seq, 2 * k + 1);
    __atomic_store_n(&s->seq, 2 * k + 2, __ATOMIC_RELEASE);
    (void)rt::unpark(&s->seq, 1);
  }
  return 0;
}

void bench_park() {
  static ParkShared s;
  constexpr uint32_t WARM = 100;
  s.rounds = WARM + ITERS;
  auto t = rt::Thread::start(park_partner, &s);
  if (!t) {
    rt::printf("BENCH row=park_rtt status=na reason=thread_start_{}\n", err_name(t.error()));
    return;
  }
  loop_begin("park_rtt");
  for (uint32_t k = 0; k < s.rounds; ++k) {
    uint64_t t0 = tsc();
    __atomic_store_n(&s.seq, 2 * k + 1, __ATOMIC_RELEASE);
    (void)rt::unpark(&s.seq, 1);
    park_wait_for(&s.seq, 2 * k + 2);
    uint64_t dt = tsc() - t0;
    if (k >= WARM) g_samples[k - WARM] = dt;
  }
  loop_end("park_rtt", s.rounds);
  if (!t->join()) rt::panic("bench: park partner join failed");
  report("park_rtt", ITERS);
}

int64_t empty_thread(void*) { return 0; }

// thread_spawn_join: ThreadSpawner.spawn + ThreadHandle.join of a thread
// that returns at once (runtime: stack, TLS block and state allocated and
// freed each time), next to pthread_create + pthread_join.
void bench_thread_spawn(uint32_t iters) {
  loop_begin("thread_spawn_join");
  for (uint32_t i = 0; i < iters; ++i) {
    uint64_t t0 = tsc();
    auto t = rt::Thread::start(empty_thread, nullptr);
    if (!t || !t->join()) rt::panic("bench: thread start/join failed");
    g_samples[i] = tsc() - t0;
  }
  loop_end("thread_spawn_join", iters);
  report("thread_spawn_join", iters);
}

// Echo server: RETURN + next RECV submitted together, one cap_enter per
// call; SQEs filled and CQEs read in place (rt::Ring::sqe_slot, cqe_at).
[[noreturn]] void serve(uint32_t ep) {
  alignas(16) static uint8_t buf[RECV_BUFFER_MAX];
  rt::Ring& ring = rt::ring();
  auto recv = [&](uint32_t k) {
    CapSqe* r = ring.sqe_slot(k);
    if (!r) rt::panic("bench: server SQ full");
    r->opcode = CAP_OP_RECV;
    r->cap_id = ep;
    r->result_addr = reinterpret_cast<uint64_t>(buf);
    r->result_len = sizeof(buf);
    r->user_data = 0;
  };
  recv(0);
  ring.publish(1);
  rt::cap_enter(1, CAP_ENTER_FOREVER);
  for (;;) {
    uint32_t call = 0, seen = 0;
    while (const CapCqe* c = ring.cqe_at(seen)) {
      if (c->user_data == 0 && c->result > 0) call = c->call_id;
      ++seen;
    }
    ring.consume(seen);
    if (!call) {
      rt::cap_enter(1, CAP_ENTER_FOREVER);
      continue;
    }
    auto* h = reinterpret_cast<EndpointMessageHeader*>(buf);
    uint32_t n = 0;
    if (h->xfer_count) {  // drop transferred caps so the table never fills
      auto* rec = reinterpret_cast<CapTransferRecord*>(buf + sizeof(*h) + h->params_len);
      for (uint16_t k = 0; k < h->xfer_count; ++k) {
        CapSqe* rel = ring.sqe_slot(n++);
        if (!rel) rt::panic("bench: server SQ full");
        rel->opcode = CAP_OP_RELEASE;
        rel->cap_id = rec[k].cap_id;
        rel->user_data = 2;
      }
    }
    CapSqe* ret = ring.sqe_slot(n++);
    if (!ret) rt::panic("bench: server SQ full");
    ret->opcode = CAP_OP_RETURN;
    ret->cap_id = ep;
    ret->call_id = call;
    ret->params_addr = reinterpret_cast<uint64_t>(buf + sizeof(*h));
    ret->params_len = h->params_len;
    ret->user_data = 1;
    recv(n++);
    ring.publish(n);
    rt::cap_enter(2 + h->xfer_count, CAP_ENTER_FOREVER);
  }
}

}  // namespace

int main() {
  // Endpoint caps speak the bench's own protocol: untyped, raw SQEs.
  if (auto ep = rt::capset_find<rt::AnyInterface>("endpoint")) serve(ep->id());
  rt::printf("BENCH mark=init_start tsc={}\n", tsc());
  auto tcap = rt::capset_find<wire::Timer>("timer");
  auto client = rt::capset_find<rt::AnyInterface>("client");
  auto spare = rt::capset_find<rt::AnyInterface>("spare");
  if (!tcap || !client || !spare) rt::panic("bench: missing caps");
  wire::Timer::Client timer(&rt::transport(), *tcap);
  // TSC frequency from the kernel's monotonic clock over ~100 ms.
  uint64_t n0 = timer_now(timer), c0 = tsc();
  while (timer_now(timer) - n0 < 100'000'000) {
  }
  uint64_t n1 = timer_now(timer), c1 = tsc();
  g_tsc_hz = (c1 - c0) * 1000000000ull / (n1 - n0);
  rt::printf("BENCH tsc_hz={} tsc_invariant=1\n", g_tsc_hz);

  for (uint32_t i = 0; i < ITERS; ++i) {
    uint64_t t0 = tsc();
    g_samples[i] = tsc() - t0;
  }
  report("tsc_overhead", ITERS);
  bench_nop(1, "ring_nop_b1");
  bench_nop(16, "ring_nop_b16");
  static_assert(SQ_ENTRIES == 32, "ring_nop_b32 is a full SQ batch");
  bench_nop(SQ_ENTRIES, "ring_nop_b32");
  bench_kcall(timer);
  bench_endpoint(client->id(), spare->id(), false);
  bench_endpoint(client->id(), spare->id(), true);
  if (auto sp = rt::capset_find<wire::ProcessSpawner>("spawner")) {
    bench_spawn(*sp, 1000);
  } else {
    rt::print("BENCH row=spawn_wait status=na reason=booted_without_a_boot_package\n");
  }
  if (rt::capset_find<wire::ThreadSpawner>("threads")) {
    bench_park();
    bench_thread_spawn(1000);
  } else {
    rt::print("BENCH row=park_rtt status=na reason=no_thread_grants\n");
    rt::print("BENCH row=thread_spawn_join status=na reason=no_thread_grants\n");
  }
  // SMP scaling (issue 15): needs the CPU count from SystemStatus.
  uint32_t cpus = 1;
  if (auto st = rt::capset_find<wire::SystemStatus>("status")) {
    alignas(8) uint8_t pb[64], rb[1024];
    capnp::FixedMessageBuilder p(MutBytes(pb, sizeof(pb)));
    (void)wire::SystemStatus::Client::cpusParams(p);
    capnp::Response r(MutBytes(rb, sizeof(rb)));
    wire::SystemStatus::Client status(&rt::transport(), *st);
    if (auto res = status.cpus(p, r))
      if (auto list = res->getCpus()) cpus = list->size();
  }
  rt::printf("BENCH cpus={}\n", cpus);
  auto spawner = rt::capset_find<wire::ProcessSpawner>("spawner");
  bool force = rt::capset_find<rt::AnyInterface>("scale_on_one_cpu").ok();  // capos.bench=scale1
  bench::run_scale_rows(cpus, tsc, g_tsc_hz, spawner ? &*spawner : nullptr, force);
  rt::print("BENCH done\n");
  return 0;
}
