// blkbench: BlockDevice read figures through a storage driver (reported,
// never asserted; docs/devices.md). 4 KiB random reads: median and p99
// TSC cycles per read, and monotonic ns per read over the whole run.
// Under `-icount shift=0,sleep=off` QEMU's TSC counts retired guest
// instructions, so median_cycles is instructions per 4 KiB read (client,
// kernel and driver together); ns_per_read then also holds the virtual
// time skipped while the CPU idles waiting for the device. Then 8 KiB
// sequential reads as KiB/s. Then 400 random 4 KiB reads keeping 4 in
// flight (each slot refilled as its answer arrives): reads/s over the
// loop, and the TSC deltas between consecutive completions (answers come
// in bursts, so their median is the cost of reaping one, not of a read;
// make bench reports only the reads/s). The same with 8 in flight. Then,
// with a FrameAllocator `frames`, 16 MiB of 1 MiB sequential reads and
// writes through readBulk / writeBulk (one MemoryObject, one call in
// flight): KiB/s and the median instructions per 1 MiB call.
#include "schema/devices.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/storage/blk_bulk.h"

using namespace capos;
namespace wire = capos::schema::wire;
using BD = wire::BlockDevice::Client;

namespace {

constexpr uint32_t ITERS = 400;
uint64_t g_samples[ITERS];
alignas(8) uint8_t g_pbuf[256];
alignas(8) uint8_t g_rbuf[wire::MAX_BLOCK_TRANSFER_BYTES + 512];

inline uint64_t tsc() {
  uint32_t lo, hi;
  asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
  return (uint64_t{hi} << 32) | lo;
}

Status read(rt::Cap<wire::BlockDevice> dev, uint64_t lba, uint32_t blocks) {
  capnp::FixedMessageBuilder params{MutBytes(g_pbuf, sizeof(g_pbuf))};
  capnp::Response resp{MutBytes(g_rbuf, sizeof(g_rbuf))};
  auto p = CAPOS_TRY(BD::readParams(params));
  p.setLba(lba);
  p.setBlocks(blocks);
  (void)CAPOS_TRY(BD(&rt::transport(), dev).read(params, resp));
  return {};
}

uint64_t now(rt::Cap<wire::Timer> timer) {
  alignas(8) uint8_t pb[64], rb[64];
  capnp::FixedMessageBuilder p(MutBytes(pb, sizeof(pb)));
  (void)wire::Timer::Client::nowParams(p);
  capnp::Response r(MutBytes(rb, sizeof(rb)));
  auto res = wire::Timer::Client(&rt::transport(), timer).now(p, r);
  return res ? res->getMonotonicNs() : 0;
}

void sort(uint64_t* a, uint32_t n) {  // insertion sort: 400 samples
  for (uint32_t i = 1; i < n; ++i)
    for (uint32_t j = i; j > 0 && a[j - 1] > a[j]; --j) {
      uint64_t t = a[j];
      a[j] = a[j - 1];
      a[j - 1] = t;
    }
}

// Queue depth 4, 8 or 16: asynchronous CALLs on the ring, as blktest's streamed reads.
constexpr uint32_t QD = 16;
alignas(8) uint8_t g_async_res[QD][4096 + 512];
rt::AsyncCall g_async[QD];

Status submit_read(rt::Cap<wire::BlockDevice> dev, uint32_t i, uint64_t lba) {
  alignas(8) uint8_t buf[128];
  capnp::FixedMessageBuilder params{MutBytes(buf, sizeof(buf))};
  auto p = CAPOS_TRY(BD::readParams(params));
  p.setLba(lba);
  p.setBlocks(8);
  return rt::submit_call(g_async[i], dev, 1, params, MutBytes(g_async_res[i], sizeof(g_async_res[i])));
}

Result<uint32_t> reap_read(uint32_t qd) {
  rt::AsyncCall* calls[QD];
  for (uint32_t i = 0; i < qd; ++i) calls[i] = &g_async[i];
  uint32_t i = CAPOS_TRY(rt::wait_any(Span<rt::AsyncCall* const>(calls, qd)));
  capnp::Response resp{MutBytes(g_async_res[i], sizeof(g_async_res[i]))};
  CAPOS_TRY_STATUS(rt::finish_call(g_async[i], resp, Span<abi::CapTransferRecord>(), nullptr));
  auto root = CAPOS_TRY(resp.root());
  Bytes d = CAPOS_TRY(wire::BlockDevice::ReadResults::Reader(root).getData());
  if (d.size() != 4096) return fail(Err::Corrupt);
  return i;
}

// ITERS reads, `qd` in flight; g_samples[k] = TSC delta before completion k.
Result<uint64_t> reads_qd(rt::Cap<wire::BlockDevice> dev, uint64_t span, rt::Cap<wire::Timer> timer, uint32_t qd) {
  uint64_t x = 0x2545F4914F6CDD1Dull;
  auto next_lba = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return (x % (span / 8)) * 8;
  };
  uint64_t t0 = now(timer);
  for (uint32_t i = 0; i < qd; ++i) CAPOS_TRY_STATUS(submit_read(dev, i, next_lba()));
  uint64_t last = tsc();
  for (uint32_t done = 0, started = qd; done < ITERS; ++done) {
    uint32_t i = CAPOS_TRY(reap_read(qd));
    uint64_t t = tsc();
    g_samples[done] = t - last;
    last = t;
    if (started < ITERS) {
      CAPOS_TRY_STATUS(submit_read(dev, i, next_lba()));
      ++started;
    }
  }
  return now(timer) - t0;
}

// 16 MiB in 1 MiB bulk calls from/into one MemoryObject; g_samples[k] =
// TSC cycles of call k. Returns the elapsed ns.
constexpr uint32_t BULK_CALLS = 16;
Result<uint64_t> bulk_seq(rt::Cap<wire::BlockDevice> dev, const blk::Buffer& buf, bool write,
                          rt::Cap<wire::Timer> timer) {
  const uint32_t blocks = wire::MAX_BULK_TRANSFER_BYTES / 512;
  uint64_t t0 = now(timer);
  for (uint32_t i = 0; i < BULK_CALLS; ++i) {
    uint64_t c0 = tsc();
    if (write) CAPOS_TRY_STATUS(blk::write_bulk(dev, uint64_t{i} * blocks, blocks, buf.memory, 0));
    else CAPOS_TRY_STATUS(blk::read_bulk(dev, uint64_t{i} * blocks, blocks, buf.memory, 0));
    g_samples[i] = tsc() - c0;
  }
  return now(timer) - t0;
}

void print_bulk_row(const char* row, uint64_t ns) {
  sort(g_samples, BULK_CALLS);
  uint64_t bytes = uint64_t{BULK_CALLS} * wire::MAX_BULK_TRANSFER_BYTES;
  rt::printf("BENCH row={} bytes={} ns={} kib_per_s={} median_cycles={}\n", row, bytes, ns,
             ns ? bytes * 1000000000ull / ns / 1024 : 0, g_samples[BULK_CALLS / 2]);
}

}  // namespace

int main() {
  auto dev = rt::capset_find<wire::BlockDevice>("block");
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!dev || !timer) return 2;
  const uint64_t span = 16 * 1024 * 2;  // first 16 MiB, in 512-byte blocks
  for (uint32_t i = 0; i < 16; ++i)
    if (!read(*dev, i * 8, 8)) return 3;
  uint64_t x = 0x2545F4914F6CDD1Dull;
  uint64_t t0 = now(*timer);
  for (uint32_t i = 0; i < ITERS; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t lba = (x % (span / 8)) * 8;
    uint64_t c0 = tsc();
    if (!read(*dev, lba, 8)) return 4;
    g_samples[i] = tsc() - c0;
  }
  uint64_t ns = now(*timer) - t0;
  sort(g_samples, ITERS);
  rt::printf("BENCH row=blk_read_4k_random iters={} median_cycles={} p99_cycles={} ns_per_read={} reads_per_s={}\n",
             ITERS, g_samples[ITERS / 2], g_samples[ITERS * 99 / 100], ns / ITERS,
             ns ? uint64_t{ITERS} * 1000000000ull / ns : 0);
  const uint32_t chunk = wire::MAX_BLOCK_TRANSFER_BYTES / 512;
  const uint64_t total = 4 * 1024 * 2;  // 4 MiB in blocks
  t0 = now(*timer);
  for (uint64_t lba = 0; lba < total; lba += chunk)
    if (!read(*dev, lba, chunk)) return 5;
  ns = now(*timer) - t0;
  rt::printf("BENCH row=blk_read_seq_8k bytes={} ns={} kib_per_s={}\n", total * 512, ns,
             ns ? total * 512 * 1000000000ull / ns / 1024 : 0);
  for (uint32_t qd = 4; qd <= QD; qd *= 2) {
    auto qd_ns = reads_qd(*dev, span, *timer, qd);
    if (!qd_ns) return 6;
    sort(g_samples, ITERS);
    rt::printf("BENCH row=blk_read_4k_random_qd{} iters={} median_cycles={} p99_cycles={} reads_per_s={}\n", qd, ITERS,
               g_samples[ITERS / 2], g_samples[ITERS * 99 / 100],
               *qd_ns ? uint64_t{ITERS} * 1000000000ull / *qd_ns : 0);
  }
  if (auto frames = rt::capset_find<wire::FrameAllocator>("frames")) {
    auto buf = blk::alloc_buffer(*frames, wire::MAX_BULK_TRANSFER_BYTES / 4096);
    if (!buf) return 7;
    if (!bulk_seq(*dev, *buf, false, *timer)) return 8;  // warm-up: fault in the buffer
    for (int w = 0; w < 2; ++w) {
      bool write = w == 1;
      auto ns = bulk_seq(*dev, *buf, write, *timer);
      if (!ns) return 9;
      print_bulk_row(write ? "blk_write_seq_1m" : "blk_read_seq_1m", *ns);
    }
  }
  rt::print("BENCH done\n");
  return 0;
}
