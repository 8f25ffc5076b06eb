#include "user/bench/bench_scale.h"

#include "lib/bench/sieve.h"
#include "lib/core/format.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/owned_cap.h"
#include "user/rt/rt.h"
#include "user/rt/thread.h"
#include "user/rt/transport.h"

namespace capos::bench {

namespace {

namespace wire = schema::wire;

constexpr uint32_t REPS = 4;     // the workload is sieved this many times per sample
constexpr uint32_t SAMPLES = 3;  // per row; the median is reported
constexpr uint32_t MAX_WORKERS = 2;

struct Share {
  uint32_t part = 0, parts = 1;
  SieveResult result;
  bool consistent = true;
};

int64_t sieve_thread(void* arg) {
  static_assert(SIEVE_SEGMENT <= 16 * 1024, "segment lives on a 32 KiB thread stack");
  auto* s = static_cast<Share*>(arg);
  uint8_t seg[SIEVE_SEGMENT];
  for (uint32_t r = 0; r < REPS; ++r) {
    SieveResult got = sieve_part(s->part, s->parts, seg);
    if (r == 0) s->result = got;
    else if (got.count != s->result.count || got.sum != s->result.sum) s->consistent = false;
  }
  return 0;
}

// The verifier: every share answered the same each rep and the shares add
// up to pi(3e6) and the one-share sum.
bool verified(const Share* shares, uint32_t n, uint64_t sum1) {
  uint64_t count = 0, sum = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (!shares[i].consistent) return false;
    count += shares[i].result.count;
    sum += shares[i].result.sum;
  }
  return count == SIEVE_PRIMES_BELOW_LIMIT && (sum1 == 0 || sum == sum1);
}

uint64_t median3(uint64_t* v) {
  for (uint32_t i = 0; i < SAMPLES; ++i)
    for (uint32_t j = i + 1; j < SAMPLES; ++j)
      if (v[j] < v[i]) {
        uint64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
      }
  return v[SAMPLES / 2];
}

// `before`/`after`: the kernel's counters around all samples of the row,
// printed per sample.
void print_row(const char* row, uint64_t* samples, uint64_t tsc_hz, const KernelCounters* before,
               const KernelCounters* after) {
  uint64_t mn = samples[0];
  for (uint32_t i = 1; i < SAMPLES; ++i) mn = samples[i] < mn ? samples[i] : mn;
  uint64_t med = median3(samples);
  uint64_t ns = tsc_hz ? med * 1000000000ull / tsc_hz : 0;
  rt::printf("BENCH row={} iters={} median_cycles={} p99_cycles={} min_cycles={} median_ns={} p99_ns={}", row,
             SAMPLES, med, samples[SAMPLES - 1], mn, ns, tsc_hz ? samples[SAMPLES - 1] * 1000000000ull / tsc_hz : 0);
  if (before && after)
    rt::printf(" lock_waits={} shootdowns={}", (after->lock_waits - before->lock_waits) / SAMPLES,
               (after->shootdowns - before->shootdowns) / SAMPLES);
  rt::print("\n");
}

uint64_t g_sum1 = 0;  // the one-share sum, the reference for the split runs

bool thread_sample(uint32_t workers, uint64_t (*tsc)(), uint64_t* cycles) {
  Share shares[MAX_WORKERS];
  rt::Thread threads[MAX_WORKERS];
  uint64_t t0 = tsc();
  for (uint32_t i = 0; i < workers; ++i) {
    shares[i].part = i;
    shares[i].parts = workers;
    if (i == 0) continue;  // share 0 runs on this thread
    auto t = rt::Thread::start(sieve_thread, &shares[i]);
    if (!t) return false;
    threads[i] = static_cast<rt::Thread&&>(*t);
  }
  (void)sieve_thread(&shares[0]);
  for (uint32_t i = 1; i < workers; ++i)
    if (!threads[i].join()) return false;
  *cycles = tsc() - t0;
  if (workers == 1 && shares[0].consistent) g_sum1 = shares[0].result.sum;
  return verified(shares, workers, g_sum1);
}

// One worker process per share; its exit code carries (count << 40) | (sum mod 2^40).
bool process_sample(const rt::Cap<wire::ProcessSpawner>& spawner, uint32_t workers, uint64_t (*tsc)(),
                    uint64_t* cycles) {
  alignas(8) static uint8_t pbuf[MAX_WORKERS][320], rbuf[MAX_WORKERS][512], wres[MAX_WORKERS][256];
  alignas(8) static uint8_t wbuf[128];
  capnp::FixedMessageBuilder wparams(MutBytes(wbuf, sizeof(wbuf)));
  (void)wire::ProcessHandle::WaitParams::initRoot(wparams);
  Share shares[MAX_WORKERS];
  rt::OwnedCap<wire::ProcessHandle> handles[MAX_WORKERS];
  uint64_t t0 = tsc();
  for (uint32_t i = 0; i < workers; ++i) {
    capnp::FixedMessageBuilder params(MutBytes(pbuf[i], sizeof(pbuf[i])));
    auto req = wire::ProcessSpawner::Client::spawnParams(params);
    char name[32];
    StrView n = format_to(name, sizeof(name), "share.{}.{}.{}", i, workers, REPS);
    if (!req || !req->setName("sieve") || !req->setBinaryName("sieve_worker")) return false;
    auto grants = req->initGrants(1);
    if (!grants) return false;
    auto g = (*grants)[0];
    if (!g.setName(n)) return false;
    g.setInterfaceId(wire::ThreadControl::kInterfaceId);
    g.getSource().initChildLocal().setKind(wire::ChildLocalKind::THREAD_CONTROL);
    capnp::Response resp(MutBytes(rbuf[i], sizeof(rbuf[i])));
    abi::CapTransferRecord rec[2];
    uint32_t nrec = 0;
    Status st = rt::call_with_caps(spawner, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                   Span<abi::CapTransferRecord>(rec, 2), &nrec);
    if (!st || nrec < 1) return false;
    auto typed = rt::record_cap<wire::ProcessHandle>(rec[0]);
    if (!typed) return false;
    handles[i] = rt::OwnedCap<wire::ProcessHandle>(*typed);
    shares[i].part = i;
    shares[i].parts = workers;
  }
  for (uint32_t i = 0; i < workers; ++i) {
    wire::ProcessHandle::Client h(&rt::transport(), handles[i].get());
    capnp::Response wr(MutBytes(wres[i], sizeof(wres[i])));
    auto res = h.wait(wparams, wr);
    if (!res) return false;
    auto status = res->getStatus();
    if (!status || status->which() != wire::ExitStatus::Which::EXITED) return false;
    uint64_t code = static_cast<uint64_t>(status->getExited());
    shares[i].result.count = code >> 40;
    shares[i].result.sum = code & ((uint64_t{1} << 40) - 1);
  }
  *cycles = tsc() - t0;
  // Exit codes carry the sum mod 2^40: compare it that way.
  uint64_t count = 0, sum = 0;
  for (uint32_t i = 0; i < workers; ++i) {
    count += shares[i].result.count;
    sum += shares[i].result.sum;
  }
  return count == SIEVE_PRIMES_BELOW_LIMIT && (g_sum1 == 0 || (sum & ((uint64_t{1} << 40) - 1)) ==
                                                                     (g_sum1 & ((uint64_t{1} << 40) - 1)));
}

}  // namespace

void run_scale_rows(uint32_t cpus, uint64_t (*tsc)(), uint64_t tsc_hz, const rt::Cap<wire::ProcessSpawner>* spawner,
                    KernelCounters (*counters)()) {
  static const char* const kThreadRows[MAX_WORKERS] = {"thread_scale_w1", "thread_scale_w2"};
  static const char* const kProcRows[MAX_WORKERS] = {"process_scale_w1", "process_scale_w2"};
  if (cpus < 2) {
    // One CPU: a split cannot go faster, and the rows would only slow the
    // instruction-count run down. `make bench` measures them at -smp 2.
    for (const char* r : kThreadRows) rt::printf("BENCH row={} status=na reason=one_cpu\n", r);
    for (const char* r : kProcRows) rt::printf("BENCH row={} status=na reason=one_cpu\n", r);
    return;
  }
  for (uint32_t w = 1; w <= MAX_WORKERS; ++w) {
    uint64_t samples[SAMPLES];
    bool ok = true;
    KernelCounters before = counters ? counters() : KernelCounters{};
    for (uint32_t s = 0; s < SAMPLES && ok; ++s) ok = thread_sample(w, tsc, &samples[s]);
    KernelCounters after = counters ? counters() : KernelCounters{};
    if (ok) print_row(kThreadRows[w - 1], samples, tsc_hz, counters ? &before : nullptr, &after);
    else rt::printf("BENCH row={} status=na reason=verifier_failed\n", kThreadRows[w - 1]);
  }
  for (uint32_t w = 1; w <= MAX_WORKERS; ++w) {
    if (!spawner) {
      rt::printf("BENCH row={} status=na reason=no_spawner\n", kProcRows[w - 1]);
      continue;
    }
    uint64_t samples[SAMPLES];
    bool ok = true;
    KernelCounters before = counters ? counters() : KernelCounters{};
    for (uint32_t s = 0; s < SAMPLES && ok; ++s) ok = process_sample(*spawner, w, tsc, &samples[s]);
    KernelCounters after = counters ? counters() : KernelCounters{};
    if (ok) print_row(kProcRows[w - 1], samples, tsc_hz, counters ? &before : nullptr, &after);
    else rt::printf("BENCH row={} status=na reason=verifier_failed\n", kProcRows[w - 1]);
  }
}

}  // namespace capos::bench
