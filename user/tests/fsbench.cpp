// fsbench: filesystem figures through fsd (issue 18's `make bench` rows,
// tools/bench/fs_bench.py; reported, never asserted). The counterpart of
// bench/linux/fs_bench.cpp, which does the same operations on ext4 in the
// Linux guest, over the same kind of disk (a raw image behind virtio-blk):
//   fs_create_small: 1,000 times create a file, write 1 KiB, sync, close;
//   fs_read_small:   1,000 times open the file, read its 1 KiB, close;
//   fs_write_seq:    64 MiB into one file in 8 KiB writes, then sync;
//   fs_read_seq:     the 64 MiB back in 8 KiB reads;
//   fs_write_bulk:   64 MiB into another file in 1 MiB File.writeBulk calls
//                    (the bytes in a MemoryObject of ours), then sync;
//   fs_read_bulk:    those 64 MiB back in 1 MiB File.readBulk calls.
// Every read is checked against what was written (a mismatch fails the
// run: a figure for a wrong answer is worthless).
//
// Instructions: under `-icount shift=0,sleep=off` the TSC counts retired
// guest instructions, but an operation that waits for the disk also
// counts the virtual time QEMU skips while the CPU idles (up to the next
// timer deadline, so it measures the timer, not the filesystem). So the
// row's figure is busy cycles per operation: SystemStatus.cpus's
// busyCycles (TSC charged to every thread but the idle one: client,
// fsd, vblk and the kernel on their behalf) over the loop, divided by the
// operations; one CPU. The per-operation TSC median and p99 (idle
// included) are printed as well. Per row: monotonic ns over the loop, as
// ops/s or KiB/s (plain TCG; emulated figures).
//
// Output (parsed by tools/bench/fs_bench.py, same keys as the Linux side):
//   BENCH row=<row> iters=<n> busy_cycles_per_op=<c> median_cycles=<c> p99_cycles=<c> ns=<ns>
//         ops_per_s=<n> (small-file rows) | kib_per_s=<n> (64 MiB rows)
//   BENCH done
#include "lib/bench/fs_rows.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/storage/blk_bulk.h"
#include "user/storage/fs_client.h"

using namespace capos;
namespace wire = capos::schema::wire;
namespace rows = capos::bench::fs;

namespace {

uint64_t g_samples[rows::kSeqChunks];
uint8_t g_buf[rows::kSeqChunk];
uint8_t g_want[rows::kSeqChunk];

inline uint64_t tsc() {
  uint32_t lo, hi;
  asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
  return (uint64_t{hi} << 32) | lo;
}

rt::Cap<wire::Timer> g_timer;
rt::Cap<wire::SystemStatus> g_status;

// TSC cycles charged to non-idle threads since boot, all CPUs.
Result<uint64_t> busy() {
  alignas(8) uint8_t pb[64], rb[1024];
  capnp::FixedMessageBuilder p(MutBytes(pb, sizeof(pb)));
  (void)CAPOS_TRY(wire::SystemStatus::Client::cpusParams(p));
  capnp::Response r(MutBytes(rb, sizeof(rb)));
  auto res = CAPOS_TRY(wire::SystemStatus::Client(&rt::transport(), g_status).cpus(p, r));
  auto cpus = CAPOS_TRY(res.getCpus());
  uint64_t sum = 0;
  for (uint32_t i = 0; i < cpus.size(); ++i) sum += cpus[i].getBusyCycles();
  return sum;
}

Result<uint64_t> now() {
  alignas(8) uint8_t pb[64], rb[64];
  capnp::FixedMessageBuilder p(MutBytes(pb, sizeof(pb)));
  (void)CAPOS_TRY(wire::Timer::Client::nowParams(p));
  capnp::Response r(MutBytes(rb, sizeof(rb)));
  auto res = CAPOS_TRY(wire::Timer::Client(&rt::transport(), g_timer).now(p, r));
  return res.getMonotonicNs();
}

// A row's loop: its start, then its end and the row line (busy cycles per
// op, median and p99 of the `n` per-op samples, and the loop's rate).
struct Loop {
  uint64_t ns0, busy0;
};
Result<Loop> start() {
  Loop l{CAPOS_TRY(now()), 0};
  l.busy0 = CAPOS_TRY(busy());
  return l;
}
Status report(const char* row, Loop l, uint32_t n, uint64_t bytes) {
  uint64_t busy1 = CAPOS_TRY(busy());
  uint64_t ns1 = CAPOS_TRY(now());
  // A backwards step of the monotonic clock (seen once under plain TCG on
  // a loaded host) would print as a huge figure: report 0 (shown as n/a).
  uint64_t ns = ns1 > l.ns0 ? ns1 - l.ns0 : 0;
  rows::sort(g_samples, n);
  uint64_t rate = bytes ? rows::kib_per_s(bytes, ns) : rows::ops_per_s(n, ns);
  rt::printf("BENCH row={} iters={} busy_cycles_per_op={} median_cycles={} p99_cycles={} ns={} {}={}\n", row, n,
             (busy1 - l.busy0) / n, g_samples[n / 2], g_samples[n * 99 / 100], ns,
             bytes ? "kib_per_s" : "ops_per_s", rate);
  return {};
}

Status create_small(fsc::Dir d, uint32_t i) {
  char name[rows::kNameMax];
  size_t len = rows::name_of(i, name);
  rows::fill(i, 0, g_buf, rows::kSmallBytes);
  fsc::File f = CAPOS_TRY(fsc::create(d, StrView(name, len)));
  CAPOS_TRY_STATUS(fsc::write(f, 0, Bytes(g_buf, rows::kSmallBytes)));
  CAPOS_TRY_STATUS(fsc::sync(f));
  return fsc::close(f);
}

Status read_small(fsc::Dir d, uint32_t i) {
  char name[rows::kNameMax];
  size_t len = rows::name_of(i, name);
  fsc::File f = CAPOS_TRY(fsc::open(d, StrView(name, len), false));
  size_t n = CAPOS_TRY(fsc::read(f, 0, MutBytes(g_buf, sizeof(g_buf)), sizeof(g_buf)));
  CAPOS_TRY_STATUS(fsc::close(f));
  rows::fill(i, 0, g_want, rows::kSmallBytes);
  if (n != rows::kSmallBytes || memcmp(g_buf, g_want, n) != 0) return fail(Err::Corrupt);
  return {};
}

// The 64 MiB again in 1 MiB bulk calls through one MemoryObject.
Status bulk_rows(fsc::Dir home, rt::Cap<wire::FrameAllocator> frames) {
  blk::Buffer buf = CAPOS_TRY(blk::alloc_buffer(frames, rows::kBulkChunk / 4096));
  fsc::File f = CAPOS_TRY(fsc::create(home, "bulk"));
  Loop l = CAPOS_TRY(start());
  for (uint32_t k = 0; k < rows::kBulkChunks; ++k) {
    rows::fill(rows::kBulkSeed, uint64_t{k} * rows::kBulkChunk, buf.va, rows::kBulkChunk);
    uint64_t c0 = tsc();
    CAPOS_TRY_STATUS(fsc::write_bulk(f, uint64_t{k} * rows::kBulkChunk, rows::kBulkChunk, buf.memory, 0));
    if (k + 1 == rows::kBulkChunks) CAPOS_TRY_STATUS(fsc::sync(f));
    g_samples[k] = tsc() - c0;
  }
  CAPOS_TRY_STATUS(report("fs_write_bulk", l, rows::kBulkChunks, rows::kSeqBytes));
  uint32_t bad = 0;
  l = CAPOS_TRY(start());
  for (uint32_t k = 0; k < rows::kBulkChunks; ++k) {
    uint64_t c0 = tsc();
    uint32_t n = CAPOS_TRY(fsc::read_bulk(f, uint64_t{k} * rows::kBulkChunk, rows::kBulkChunk, buf.memory, 0));
    g_samples[k] = tsc() - c0;
    if (n != rows::kBulkChunk) ++bad;
    for (uint32_t at = 0; at < rows::kBulkChunk; at += rows::kSeqChunk) {
      rows::fill(rows::kBulkSeed, uint64_t{k} * rows::kBulkChunk + at, g_want, rows::kSeqChunk);
      if (memcmp(buf.va + at, g_want, rows::kSeqChunk) != 0) ++bad;
    }
  }
  CAPOS_TRY_STATUS(report("fs_read_bulk", l, rows::kBulkChunks, rows::kSeqBytes));
  CAPOS_TRY_STATUS(fsc::close(f));
  if (bad) {
    rt::printf("fsbench: FAILED: {} of the 1 MiB chunks read back wrong\n", bad);
    return fail(Err::Corrupt);
  }
  return {};
}

Status run(fsc::Dir home, rt::Cap<wire::FrameAllocator> frames) {
  CAPOS_TRY_STATUS(fsc::mkdir(home, "small"));
  fsc::Dir small = CAPOS_TRY(fsc::sub(home, "small", true));
  Loop l = CAPOS_TRY(start());
  for (uint32_t i = 0; i < rows::kSmallFiles; ++i) {
    uint64_t c0 = tsc();
    CAPOS_TRY_STATUS(create_small(small, i));
    g_samples[i] = tsc() - c0;
  }
  CAPOS_TRY_STATUS(report("fs_create_small", l, rows::kSmallFiles, 0));
  l = CAPOS_TRY(start());
  for (uint32_t i = 0; i < rows::kSmallFiles; ++i) {
    uint64_t c0 = tsc();
    CAPOS_TRY_STATUS(read_small(small, i));
    g_samples[i] = tsc() - c0;
  }
  CAPOS_TRY_STATUS(report("fs_read_small", l, rows::kSmallFiles, 0));
  CAPOS_TRY_STATUS(fsc::close(small));

  // One file, 64 MiB; the sync is part of the write loop's time (and of
  // its last sample), as fsync is on Linux.
  fsc::File big = CAPOS_TRY(fsc::create(home, "big"));
  l = CAPOS_TRY(start());
  for (uint32_t k = 0; k < rows::kSeqChunks; ++k) {
    rows::fill(rows::kSeqSeed, uint64_t{k} * rows::kSeqChunk, g_buf, rows::kSeqChunk);
    uint64_t c0 = tsc();
    CAPOS_TRY_STATUS(fsc::write(big, uint64_t{k} * rows::kSeqChunk, Bytes(g_buf, rows::kSeqChunk)));
    if (k + 1 == rows::kSeqChunks) CAPOS_TRY_STATUS(fsc::sync(big));
    g_samples[k] = tsc() - c0;
  }
  CAPOS_TRY_STATUS(report("fs_write_seq", l, rows::kSeqChunks, rows::kSeqBytes));
  uint32_t bad = 0;
  l = CAPOS_TRY(start());
  for (uint32_t k = 0; k < rows::kSeqChunks; ++k) {
    uint64_t c0 = tsc();
    size_t n = CAPOS_TRY(fsc::read(big, uint64_t{k} * rows::kSeqChunk, MutBytes(g_buf, sizeof(g_buf)),
                                   rows::kSeqChunk));
    g_samples[k] = tsc() - c0;
    rows::fill(rows::kSeqSeed, uint64_t{k} * rows::kSeqChunk, g_want, rows::kSeqChunk);
    if (n != rows::kSeqChunk || memcmp(g_buf, g_want, n) != 0) ++bad;
  }
  CAPOS_TRY_STATUS(report("fs_read_seq", l, rows::kSeqChunks, rows::kSeqBytes));
  CAPOS_TRY_STATUS(fsc::close(big));
  if (bad) {
    rt::printf("fsbench: FAILED: {} of the 64 MiB file's chunks read back wrong\n", bad);
    return fail(Err::Corrupt);
  }
  return bulk_rows(home, frames);
}

}  // namespace

int main() {
  auto home = rt::capset_find<wire::Directory>("home");
  auto timer = rt::capset_find<wire::Timer>("timer");
  auto status = rt::capset_find<wire::SystemStatus>("status");
  auto frames = rt::capset_find<wire::FrameAllocator>("frames");
  if (!home || !timer || !status || !frames) {
    rt::print("fsbench: needs `home` (Directory), `timer` (Timer), `status` (SystemStatus) and `frames`\n");
    return 2;
  }
  g_timer = *timer;
  g_status = *status;
  if (Status st = run(*home, *frames); !st) {
    rt::printf("fsbench: FAILED: {} ({})\n", err_name(st.error()), fsc::last_error());
    return 3;
  }
  rt::print("BENCH done\n");
  return 0;
}
