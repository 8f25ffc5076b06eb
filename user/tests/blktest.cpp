// blktest: a BlockDevice client (QEMU tests qemu.virtio_blk_*). Boot one
// on a fresh image writes a pattern and reads it back; a later boot of
// the same image finds the pattern and verifies it (persistence across a
// reboot). Both boots then throw hostile requests at the driver (ranges
// outside the disk, overflowing LBAs, zero/huge/odd lengths, a result
// buffer too small for the reply) and check it still serves afterwards.
// With a FrameAllocator `frames` it also checks bulk transfers (1 MiB in
// a MemoryObject, several in flight, hostile buffers).
// Exit status 0 only if every check passed; each failure names itself.
#include "lib/core/cstring.h"
#include "schema/devices.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/storage/blk_bulk.h"

using namespace capos;
namespace wire = capos::schema::wire;
using BD = wire::BlockDevice::Client;

namespace {

constexpr uint32_t SECTOR = 512;
constexpr uint32_t CHUNK = wire::MAX_BLOCK_TRANSFER_BYTES;
constexpr uint64_t FIRST = 8, BLOCKS = 128;  // pattern in [FIRST, FIRST + BLOCKS)
const char MAGIC[] = "capOS blktest pattern v1";

rt::Cap<wire::BlockDevice> g_dev;
int g_failures = 0;

// One call at a time: the message buffers are static, the builder and
// response state fresh per call.
alignas(8) uint8_t g_pbuf[CHUNK + 512];
alignas(8) uint8_t g_rbuf[CHUNK + 512];
struct Call {
  capnp::FixedMessageBuilder params{MutBytes(g_pbuf, sizeof(g_pbuf))};
  capnp::Response resp{MutBytes(g_rbuf, sizeof(g_rbuf))};
};

void check(bool ok, StrView what) {
  if (ok) return;
  ++g_failures;
  rt::printf("blktest: FAILED: {}\n", what);
}

uint8_t pattern(uint64_t lba, uint32_t i, uint32_t seed) {
  return static_cast<uint8_t>((lba * 131 + i * 7 + seed) ^ (i >> 5));
}

Result<uint64_t> block_count() {
  Call c;
  (void)CAPOS_TRY(BD::infoParams(c.params));
  auto r = CAPOS_TRY(BD(&rt::transport(), g_dev).info(c.params, c.resp));
  auto i = CAPOS_TRY(r.getInfo());
  if (i.getBlockSize() != SECTOR) return fail(Err::Unsupported);
  StrView model = CAPOS_TRY(i.getModel());
  rt::printf("blktest: {} disk, {} blocks of {} bytes, {} in flight\n", model, i.getBlockCount(), i.getBlockSize(),
             i.getMaxInFlight());
  return i.getBlockCount();
}

Status write(uint64_t lba, Bytes data) {
  Call c;
  auto p = CAPOS_TRY(BD::writeParams(c.params));
  p.setLba(lba);
  CAPOS_TRY_STATUS(p.setData(data));
  (void)CAPOS_TRY(BD(&rt::transport(), g_dev).write(c.params, c.resp));
  return {};
}

// Reads into `out` (blocks * SECTOR bytes).
Status read(uint64_t lba, uint32_t blocks, uint8_t* out) {
  Call c;
  auto p = CAPOS_TRY(BD::readParams(c.params));
  p.setLba(lba);
  p.setBlocks(blocks);
  auto r = CAPOS_TRY(BD(&rt::transport(), g_dev).read(c.params, c.resp));
  Bytes d = CAPOS_TRY(r.getData());
  if (d.size() != uint64_t{blocks} * SECTOR) return fail(Err::Corrupt);
  memcpy(out, d.data(), d.size());
  return {};
}

Status simple(uint16_t method, uint64_t lba, uint32_t blocks) {
  Call c;
  if (method == 3) {
    (void)CAPOS_TRY(BD::flushParams(c.params));
    (void)CAPOS_TRY(BD(&rt::transport(), g_dev).flush(c.params, c.resp));
  } else {
    auto p = CAPOS_TRY(BD::discardParams(c.params));
    p.setLba(lba);
    p.setBlocks(blocks);
    (void)CAPOS_TRY(BD(&rt::transport(), g_dev).discard(c.params, c.resp));
  }
  return {};
}

uint8_t g_buf[CHUNK];

Status write_pattern(uint32_t seed, uint64_t last) {
  for (uint64_t lba = FIRST; lba < FIRST + BLOCKS; lba += CHUNK / SECTOR) {
    for (uint32_t i = 0; i < CHUNK; ++i) g_buf[i] = pattern(lba + i / SECTOR, i % SECTOR, seed);
    CAPOS_TRY_STATUS(write(lba, Bytes(g_buf, CHUNK)));
  }
  for (uint32_t i = 0; i < SECTOR; ++i) g_buf[i] = pattern(last, i, seed);
  CAPOS_TRY_STATUS(write(last, Bytes(g_buf, SECTOR)));
  // The header goes last: a torn run never looks like a complete pattern.
  memset(g_buf, 0, SECTOR);
  memcpy(g_buf, MAGIC, sizeof(MAGIC));
  memcpy(g_buf + 64, &seed, sizeof(seed));
  CAPOS_TRY_STATUS(write(0, Bytes(g_buf, SECTOR)));
  return simple(3, 0, 0);
}

// Number of mismatching bytes (0: the pattern is intact).
Result<uint64_t> verify_pattern(uint32_t seed, uint64_t last) {
  uint64_t bad = 0;
  for (uint64_t lba = FIRST; lba < FIRST + BLOCKS; lba += CHUNK / SECTOR) {
    CAPOS_TRY_STATUS(read(lba, CHUNK / SECTOR, g_buf));
    for (uint32_t i = 0; i < CHUNK; ++i) bad += g_buf[i] != pattern(lba + i / SECTOR, i % SECTOR, seed);
  }
  CAPOS_TRY_STATUS(read(last, 1, g_buf));
  for (uint32_t i = 0; i < SECTOR; ++i) bad += g_buf[i] != pattern(last, i, seed);
  return bad;
}

void expect_refused(Status st, Err want, StrView what, bool with_caps = false) {
  if (!st && st.error() == want) {
    rt::printf("blktest: refused {}: {} ({})\n", what, err_name(st.error()),
               with_caps ? rt::call_exception() : rt::transport().last_exception());
    return;
  }
  ++g_failures;
  rt::printf("blktest: FAILED: {} gave {}\n", what, st ? "success" : err_name(st.error()));
}

// Several reads in flight at once: submitted together, reaped in any
// order, each checked against the pattern.
constexpr uint32_t CONCURRENT = 16;  // BlockInfo.maxInFlight of both drivers
alignas(8) uint8_t g_async_res[CONCURRENT][CHUNK + 512];
rt::AsyncCall g_async[CONCURRENT];

// Puts a CHUNK read of `lba` in flight in async slot `i` (SQ only; the
// next cap_enter hands it to the kernel).
Status submit_read(uint32_t i, uint64_t lba) {
  rt::AsyncCall& c = g_async[i];
  capnp::FixedMessageBuilder params{MutBytes(c.params, sizeof(c.params))};
  auto p = CAPOS_TRY(BD::readParams(params));
  p.setLba(lba);
  p.setBlocks(CHUNK / SECTOR);
  Bytes framed = params.framed();
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = g_dev.id();
  s.method_id = 1;
  s.interface_id = wire::BlockDevice::kInterfaceId;
  s.params_addr = reinterpret_cast<uint64_t>(framed.data());
  s.params_len = static_cast<uint32_t>(framed.size());
  s.result_addr = reinterpret_cast<uint64_t>(g_async_res[i]);
  s.result_len = sizeof(g_async_res[i]);
  s.user_data = rt::ring().next_user_data();
  if (!rt::ring().push(s)) return fail(Err::Overloaded);
  c.user_data = s.user_data;
  c.result = MutBytes(g_async_res[i], sizeof(g_async_res[i]));
  c.pending = true;
  return {};
}

// Waits for any slot's read of `lbas[slot]` and counts its bytes that
// differ from the pattern; returns the slot.
Result<uint32_t> reap_read(const uint64_t* lbas, uint32_t seed, uint64_t* bad) {
  rt::AsyncCall* calls[CONCURRENT];
  for (uint32_t i = 0; i < CONCURRENT; ++i) calls[i] = &g_async[i];
  uint32_t i = CAPOS_TRY(rt::wait_any(Span<rt::AsyncCall* const>(calls, CONCURRENT)));
  capnp::Response resp{MutBytes(g_async_res[i], sizeof(g_async_res[i]))};
  CAPOS_TRY_STATUS(rt::finish_call(g_async[i], resp, Span<abi::CapTransferRecord>(), nullptr));
  auto root = CAPOS_TRY(resp.root());
  Bytes d = CAPOS_TRY(wire::BlockDevice::ReadResults::Reader(root).getData());
  if (d.size() != CHUNK) return fail(Err::Corrupt);
  for (uint32_t k = 0; k < CHUNK; ++k) *bad += d[k] != pattern(lbas[i] + k / SECTOR, k % SECTOR, seed);
  return static_cast<uint32_t>(i);
}

Result<uint64_t> concurrent_reads(uint32_t seed) {
  // All sixteen CALLs (a full SQ) go to the kernel in one cap_enter, so the driver can
  // receive them together and put them on the device at once.
  uint64_t lbas[CONCURRENT];
  for (uint32_t i = 0; i < CONCURRENT; ++i) {
    lbas[i] = FIRST + i * ((BLOCKS - CHUNK / SECTOR) / (CONCURRENT - 1));  // overlapping, inside the pattern
    CAPOS_TRY_STATUS(submit_read(i, lbas[i]));
  }
  uint64_t bad = 0;
  for (uint32_t done = 0; done < CONCURRENT; ++done) (void)CAPOS_TRY(reap_read(lbas, seed, &bad));
  return bad;
}

// Completion-interrupt stress: STREAM_READS reads, each slot refilled as
// soon as its answer arrives, so the driver keeps up to sixteen requests on
// the device and completions land while it is busy answering others. The
// driver has no timer fallback: it learns of a completion only from its
// Interrupt, so a lost wakeup anywhere on that path (device, kernel
// delivery, the driver's ring loop) hangs this loop and the test times out.
constexpr uint32_t STREAM_READS = 2000;

Result<uint64_t> streamed_reads(uint32_t seed) {
  uint64_t lbas[CONCURRENT];
  uint64_t rng = 0x9E3779B97F4A7C15ull ^ seed;
  auto next_lba = [&] {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;  // xorshift64
    return FIRST + rng % (BLOCKS - CHUNK / SECTOR + 1);
  };
  for (uint32_t i = 0; i < CONCURRENT; ++i) {
    lbas[i] = next_lba();
    CAPOS_TRY_STATUS(submit_read(i, lbas[i]));
  }
  uint64_t bad = 0;
  for (uint32_t done = 0, started = CONCURRENT; done < STREAM_READS; ++done) {
    uint32_t i = CAPOS_TRY(reap_read(lbas, seed, &bad));
    if (started < STREAM_READS) {
      lbas[i] = next_lba();
      CAPOS_TRY_STATUS(submit_read(i, lbas[i]));
      ++started;
    }
  }
  return bad;
}

void hostile(uint64_t count) {
  expect_refused(read(count, 1, g_buf), Err::InvalidArgument, "read at the first LBA past the end");
  expect_refused(read(count - 1, 2, g_buf), Err::InvalidArgument, "read straddling the end");
  expect_refused(read(~0ull, 1, g_buf), Err::InvalidArgument, "read at LBA 2^64-1 (overflow)");
  expect_refused(read(0, 0, g_buf), Err::InvalidArgument, "read of 0 blocks");
  expect_refused(read(0, 17, g_buf), Err::InvalidArgument, "read of 17 blocks (over the transfer limit)");
  expect_refused(read(0, 0xFFFFFFFFu, g_buf), Err::InvalidArgument, "read of 2^32-1 blocks");
  expect_refused(write(count, Bytes(g_buf, SECTOR)), Err::InvalidArgument, "write past the end");
  expect_refused(write(~0ull - 1, Bytes(g_buf, 2 * SECTOR)), Err::InvalidArgument, "write at LBA 2^64-2 (overflow)");
  expect_refused(write(0, Bytes(g_buf, 0)), Err::InvalidArgument, "write of 0 bytes");
  expect_refused(write(0, Bytes(g_buf, 513)), Err::InvalidArgument, "write of 513 bytes");
  expect_refused(simple(4, count, 1), Err::InvalidArgument, "discard past the end");
  expect_refused(simple(4, ~0ull, 2), Err::InvalidArgument, "discard at LBA 2^64-1 (overflow)");
  // A reply that does not fit our result buffer fails our call only.
  {
    alignas(8) uint8_t pbuf[128], rbuf[256];
    capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
    capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
    auto p = BD::readParams(params);
    if (p) {
      p->setLba(FIRST);
      p->setBlocks(16);
    }
    auto r = BD(&rt::transport(), g_dev).read(params, resp);
    check(!r, "an 8 KiB reply into a 256-byte result buffer must fail");
    if (!r) rt::printf("blktest: refused 8 KiB read into a 256-byte buffer: {}\n", err_name(r.error()));
  }
}

// Bulk transfers: 1 MiB written from one MemoryObject (at a page offset)
// and read back into another; an odd-sized read at an unaligned offset; 4
// reads of 256 KiB in flight at once (more than the driver's bulk
// buffers, so some wait for one); hostile buffers and ranges.
constexpr uint64_t BULK_LBA = 4096;
constexpr uint32_t BULK_BLOCKS = wire::MAX_BULK_TRANSFER_BYTES / SECTOR;

uint8_t bulk_pattern(uint64_t byte) { return static_cast<uint8_t>((byte * 2654435761u) >> 13 ^ byte >> 9); }

uint64_t bulk_mismatches(const uint8_t* got, uint64_t first_byte, uint64_t n) {
  uint64_t bad = 0;
  for (uint64_t i = 0; i < n; ++i) bad += got[i] != bulk_pattern(first_byte + i);
  return bad;
}

void revoked_bulk(rt::Cap<wire::EndpointFactory> eps, const blk::Buffer& dst, uint64_t base);

void bulk(rt::Cap<wire::FrameAllocator> frames, uint64_t count, Result<rt::Cap<wire::EndpointFactory>> eps) {
  const uint32_t pages = BULK_BLOCKS * SECTOR / 4096 + 1;
  auto src = blk::alloc_buffer(frames, pages);
  auto dst = blk::alloc_buffer(frames, pages);
  check(src && dst, "bulk: allocating two MemoryObjects");
  if (!src || !dst) return;
  const uint64_t base = BULK_LBA * SECTOR;
  for (uint64_t i = 0; i < uint64_t{BULK_BLOCKS} * SECTOR; ++i) src->va[4096 + i] = bulk_pattern(base + i);
  Status w = blk::write_bulk(g_dev, BULK_LBA, BULK_BLOCKS, src->memory, 4096);
  Status r = blk::read_bulk(g_dev, BULK_LBA, BULK_BLOCKS, dst->memory, 0);
  check(w && r, "bulk: 1 MiB write and read");
  if (w && r) {
    uint64_t bad = bulk_mismatches(dst->va, base, uint64_t{BULK_BLOCKS} * SECTOR);
    // The same bytes through the in-message path.
    Status s = read(BULK_LBA + BULK_BLOCKS - 16, 16, g_buf);
    check(s.ok(), "bulk: 8 KiB read of the bulk data");
    if (s) bad += bulk_mismatches(g_buf, base + (BULK_BLOCKS - 16) * SECTOR, CHUNK);
    check(bad == 0, "bulk: read-back of the 1 MiB write");
    rt::printf("blktest: bulk: wrote 1 MiB at LBA {} and read it back with {} mismatches\n", BULK_LBA, bad);
  }
  // 3 blocks into an unaligned offset; the bytes around them stay as they were.
  memset(dst->va, 0xA5, 4096);
  Status odd = blk::read_bulk(g_dev, BULK_LBA + 5, 3, dst->memory, 100);
  uint64_t bad = odd ? bulk_mismatches(dst->va + 100, base + 5 * SECTOR, 3 * SECTOR) : 1;
  for (uint32_t i = 0; i < 4096; ++i)
    if (i < 100 || i >= 100 + 3 * SECTOR) bad += dst->va[i] != 0xA5;
  check(bad == 0, "bulk: 3 blocks at offset 100");
  rt::printf("blktest: bulk: 3 blocks at buffer offset 100: {} mismatches\n", bad);
  // Four 256 KiB reads at once into four quarters of `dst`.
  memset(dst->va, 0, uint64_t{pages} * 4096);
  constexpr uint32_t QUARTER = BULK_BLOCKS / 4;
  bool ok = true;
  for (uint32_t i = 0; i < 4; ++i)
    ok = ok && blk::submit_read_bulk(i, g_dev, BULK_LBA + i * QUARTER, QUARTER, dst->memory, i * QUARTER * SECTOR);
  for (uint32_t done = 0; ok && done < 4; ++done) ok = blk::reap_bulk(4).ok();
  bad = ok ? bulk_mismatches(dst->va, base, uint64_t{BULK_BLOCKS} * SECTOR) : 1;
  check(ok && bad == 0, "bulk: 4 reads in flight");
  rt::printf("blktest: bulk: 4 reads of 256 KiB in flight at once, {} mismatches\n", bad);

  expect_refused(blk::bulk_call_attaching(g_dev, false, BULK_LBA, 8, abi::CAPID_INVALID, 0), Err::InvalidArgument,
                 "bulk read without a buffer", true);
  expect_refused(blk::bulk_call_attaching(g_dev, false, BULK_LBA, 8, g_dev.id(), 0), Err::InvalidArgument,
                 "bulk read into a BlockDevice as the buffer", true);
  expect_refused(blk::read_bulk(g_dev, BULK_LBA, 8, dst->memory, dst->bytes - 4095), Err::InvalidArgument,
                 "bulk read past the buffer's end", true);
  expect_refused(blk::read_bulk(g_dev, BULK_LBA, 8, dst->memory, ~0ull - 100), Err::InvalidArgument,
                 "bulk read at buffer offset 2^64-101 (overflow)", true);
  expect_refused(blk::read_bulk(g_dev, 0, BULK_BLOCKS + 1, dst->memory, 0), Err::InvalidArgument,
                 "bulk read of 2049 blocks", true);
  expect_refused(blk::write_bulk(g_dev, 0, 0, src->memory, 0), Err::InvalidArgument, "bulk write of 0 blocks", true);
  expect_refused(blk::write_bulk(g_dev, count - 1, 2, src->memory, 0), Err::InvalidArgument,
                 "bulk write straddling the end", true);
  expect_refused(blk::read_bulk(g_dev, ~0ull, 1, dst->memory, 0), Err::InvalidArgument,
                 "bulk read at LBA 2^64-1 (overflow)", true);
  // More bulk calls than the driver has capability slots (256): a driver
  // that kept a caller's buffer capability after answering runs out.
  constexpr uint32_t LEAK_CALLS = 300;
  uint32_t leak_ok = 0;
  for (uint32_t i = 0; i < LEAK_CALLS; ++i) leak_ok += blk::read_bulk(g_dev, BULK_LBA + i % 64, 8, dst->memory, 0).ok();
  check(leak_ok == LEAK_CALLS, "bulk: 300 calls in a row");
  rt::printf("blktest: bulk: {} of {} calls served (the driver keeps no buffer)\n", leak_ok, LEAK_CALLS);
  // Still serving, and the data is unchanged.
  r = blk::read_bulk(g_dev, BULK_LBA, BULK_BLOCKS, dst->memory, 0);
  bad = r ? bulk_mismatches(dst->va, base, uint64_t{BULK_BLOCKS} * SECTOR) : 1;
  check(bad == 0, "bulk: read-back after the hostile calls");
  if (bad == 0) rt::print("blktest: bulk: data intact after the hostile calls\n");
  if (eps) revoked_bulk(*eps, *dst, base);
}

// A caller whose buffer is a revocable wrapper (Revoker.wrap) of its
// MemoryObject: served while live, revoked with a read in flight (the
// driver's pin keeps the frames until the device is done, whatever the
// call's outcome), refused once revoked; the driver serves on.
void revoked_bulk(rt::Cap<wire::EndpointFactory> eps, const blk::Buffer& dst, uint64_t base) {
  Call c;
  auto rp = wire::EndpointFactory::Client::createRevokerParams(c.params);
  auto rv = rp ? rt::call_for_cap<wire::Revoker>(eps, 1, c.params, c.resp) : fail(rp.error());
  check(rv.ok(), "bulk: createRevoker");
  if (!rv) return;
  Call w;
  auto wp = wire::Revoker::Client::wrapParams(w.params);
  if (wp) wp->getTarget().set_capability(0);
  abi::CapTransferDesc x{dst.memory.id(), abi::XFER_COPY, {0, 0, 0}};
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  Status wrapped = wp ? rt::call_with_caps(*rv, 0, w.params, w.resp, Span<const abi::CapTransferDesc>(&x, 1),
                                           Span<abi::CapTransferRecord>(rec, 1), &n)
                      : Status(fail(wp.error()));
  check(wrapped && n == 1, "bulk: wrap the buffer");
  if (!wrapped || n != 1) return;
  auto wrapper = rt::Cap<wire::MemoryObject>::unchecked(rec[0].cap_id);
  memset(dst.va, 0, uint64_t{BULK_BLOCKS} * SECTOR);
  Status r = blk::read_bulk(g_dev, BULK_LBA, BULK_BLOCKS, wrapper, 0);
  uint64_t bad = r ? bulk_mismatches(dst.va, base, uint64_t{BULK_BLOCKS} * SECTOR) : 1;
  check(bad == 0, "bulk: read through a revocable buffer");
  rt::printf("blktest: bulk: 1 MiB read through a revocable buffer: {} mismatches\n", bad);
  Status sent = blk::submit_read_bulk(0, g_dev, BULK_LBA, BULK_BLOCKS, wrapper, 0);
  Call k;
  auto kp = wire::Revoker::Client::revokeParams(k.params);
  bool revoked = kp && wire::Revoker::Client(&rt::transport(), *rv).revoke(k.params, k.resp);
  auto reaped = sent ? blk::reap_bulk(1) : fail(sent.error());
  check(sent && revoked, "bulk: read in flight while the buffer is revoked");
  rt::printf("blktest: bulk: buffer revoked with a 1 MiB read in flight: the call was answered ({})\n",
             reaped ? "served" : err_name(reaped.error()));
  expect_refused(blk::read_bulk(g_dev, BULK_LBA, 8, wrapper, 0), Err::InvalidArgument,
                 "bulk read into a revoked buffer", true);
  rt::release_cap(wrapper.id());
  rt::release_cap(rv->id());
}

int run() {
  auto dev = rt::capset_find<wire::BlockDevice>("block");
  if (!dev) {
    rt::print("blktest: no `block` BlockDevice granted\n");
    return 2;
  }
  g_dev = *dev;
  auto count = block_count();
  if (!count || *count < FIRST + BLOCKS + 1) {
    rt::printf("blktest: cannot use the disk: {}\n", count ? "too small" : err_name(count.error()));
    return 3;
  }
  uint64_t last = *count - 1;
  uint8_t head[SECTOR];
  if (Status st = read(0, 1, head); !st) {
    rt::printf("blktest: FAILED: read of block 0: {} ({})\n", err_name(st.error()), rt::transport().last_exception());
    return 4;
  }
  uint32_t seed = 0;
  memcpy(&seed, head + 64, sizeof(seed));
  if (memcmp(head, MAGIC, sizeof(MAGIC)) == 0) {
    auto bad = verify_pattern(seed, last);
    check(bad && *bad == 0, "the previous boot's pattern reads back intact");
    if (bad) rt::printf("blktest: found the pattern of boot {}: {} mismatching bytes\n", seed, *bad);
    seed += 1;
  } else {
    rt::print("blktest: fresh disk (no pattern in block 0)\n");
    seed = 1;
  }
  Status w = write_pattern(seed, last);
  check(w.ok(), "write + flush of the pattern");
  auto bad = verify_pattern(seed, last);
  check(bad && *bad == 0, "read-back of what was written");
  if (w && bad) rt::printf("blktest: boot {}: wrote {} blocks + the last block, read back with {} mismatches\n",
                           seed, BLOCKS, *bad);
  auto conc = concurrent_reads(seed);
  check(conc && *conc == 0, "concurrent reads");
  if (conc) rt::printf("blktest: {} reads in flight at once, {} mismatches\n", CONCURRENT, *conc);
  auto streamed = streamed_reads(seed);
  check(streamed && *streamed == 0, "streamed reads");
  if (streamed)
    rt::printf("blktest: {} reads kept {} in flight, {} mismatches\n", STREAM_READS, CONCURRENT, *streamed);
  Status d = simple(4, FIRST + BLOCKS + 16, 8);
  rt::printf("blktest: discard of 8 blocks: {}\n", d ? "ok" : err_name(d.error()));
  hostile(*count);
  if (auto frames = rt::capset_find<wire::FrameAllocator>("frames"))
    bulk(*frames, *count, rt::capset_find<wire::EndpointFactory>("eps"));
  // The driver still serves correctly after all of that.
  bad = verify_pattern(seed, last);
  check(bad && *bad == 0, "the pattern after the hostile requests");
  if (g_failures == 0) rt::print("blktest: all checks passed\n");
  return g_failures == 0 ? 0 : 10;
}

}  // namespace

int main() { return run(); }
