// vblk: the virtio-blk driver (modern virtio-pci, one split virtqueue)
// as a userspace service. Claims the first unclaimed virtio-blk function
// through its "devices" DeviceManager, keeps every device-visible byte in
// the function's DmaPool, waits for completions on an MSI-X Interrupt,
// and serves BlockDevice on its "block" endpoint. Every request is
// checked against the disk size and the transfer limit before it reaches
// the device. docs/devices.md.
#include "lib/core/cstring.h"
#include "schema/ipc.capnp.capos.h"
#include "user/drivers/block_server.h"
#include "user/drivers/device.h"
#include "user/drivers/virtio.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"

using namespace capos;
using namespace capos::drivers;
namespace wire = capos::schema::wire;

namespace {

constexpr uint64_t F_RO = 1ull << 5, F_FLUSH = 1ull << 9, F_DISCARD = 1ull << 13;
// Indirect descriptor tables (virtio 1.x 2.7.5.3): a bulk chunk's 66
// descriptors take one ring entry.
constexpr uint64_t F_INDIRECT = 1ull << 28;
constexpr uint16_t DESC_INDIRECT = 4;
// The device translates its DMA through the platform IOMMU (virtio 1.x 6):
// our addresses are IOVAs from the DmaPool, whatever the platform does.
constexpr uint64_t F_ACCESS_PLATFORM = 1ull << 33;
constexpr uint32_t T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_DISCARD = 11;
constexpr uint8_t S_OK = 0, S_UNSUPP = 2;
constexpr uint32_t SECTOR = 512;
constexpr uint32_t DATA_PAGES = wire::MAX_BLOCK_TRANSFER_BYTES / 4096;

struct Header {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

// Per device request k = slot * BULK_CHUNKS + chunk: a 16-byte header at
// meta + 128*k, its status byte 64 bytes further, and (bulk chunks) an
// indirect table at tables + 2048*k. Per slot two data pages; bulk data
// pinned in the caller's pages or copied through BULK bulk buffers. A slot
// takes at most 4 ring descriptors (header, two data pages, status; or
// one indirect entry per bulk chunk), so 16 slots fill the 64-entry ring.
constexpr uint32_t SLOTS = 16;
constexpr uint32_t REQUESTS = SLOTS * BULK_CHUNKS;
constexpr uint32_t BULK = 2;
constexpr uint32_t TABLE_BYTES = 2048;
constexpr uint32_t META_PAGES = REQUESTS * 128 / 4096;
static_assert(REQUESTS * 128 % 4096 == 0 && REQUESTS * TABLE_BYTES / 4096 <= DmaBuffer::MAX_PAGES);
static_assert(SLOTS * 4 <= virtio::Queue::MAX_SIZE && SLOTS * DATA_PAGES <= DmaBuffer::MAX_PAGES);
static_assert((BULK_CHUNK_BYTES / 4096 + 2) * sizeof(virtio::Desc) <= TABLE_BYTES);

class VirtioBlk final : public BlockBackend {
 public:
  Status start(rt::Cap<wire::DeviceManager> manager) {
    static const uint16_t ids[] = {0x1042, 0x1001};  // modern, transitional
    Found f = CAPOS_TRY(find_device(manager, 0x1AF4, Span<const uint16_t>(ids, 2)));
    mmio_ = CAPOS_TRY(claim(manager, f.bus, f.dev, f.fn));
    t_ = CAPOS_TRY(virtio::Transport::open(mmio_));
    features_ = CAPOS_TRY(t_.negotiate(F_RO | F_FLUSH | F_DISCARD | F_ACCESS_PLATFORM | F_INDIRECT));
    pool_ = CAPOS_TRY(dma_pool(mmio_, 1 + META_PAGES + SLOTS * DATA_PAGES + REQUESTS * TABLE_BYTES / 4096 +
                                          BULK * wire::MAX_BULK_TRANSFER_BYTES / 4096));
    irq_ = CAPOS_TRY(route_interrupt(mmio_, 0));
    CAPOS_TRY_STATUS(q_.init(t_, pool_, 0, 0));
    meta_ = CAPOS_TRY(dma_alloc(pool_, META_PAGES));
    data_ = CAPOS_TRY(dma_alloc(pool_, SLOTS * DATA_PAGES));
    if (features_ & F_INDIRECT) {  // bulk transfers need indirect tables
      tables_ = CAPOS_TRY(dma_alloc(pool_, REQUESTS * TABLE_BYTES / 4096));
      for (BulkBuffer& b : bulk_) b = CAPOS_TRY(bulk_alloc(pool_));
      bulk_count_ = BULK;
    }
    t_.set_status(virtio::status::ACKNOWLEDGE | virtio::status::DRIVER | virtio::status::FEATURES_OK |
                  virtio::status::DRIVER_OK);
    capacity_ = *reinterpret_cast<volatile uint64_t*>(t_.device);  // config: capacity in 512-byte sectors
    rt::printf("vblk: virtio-blk {:02x}:{:02x}.{} ready: {} sectors{}{}{}{}\n", f.bus, f.dev, f.fn, capacity_,
               features_ & F_RO ? ", read-only" : "", features_ & F_FLUSH ? ", flush" : "",
               features_ & F_DISCARD ? ", discard" : "", bulk_count_ ? ", 1 MiB bulk transfers" : "");
    return {};
  }

  // A device ring shorter than 64 entries takes fewer calls at once.
  uint32_t slots() const override { return q_.size() / 4 < SLOTS ? q_.size() / 4 : SLOTS; }
  rt::Cap<wire::Interrupt> irq() const override { return irq_; }
  uint64_t block_count() const override { return capacity_; }
  uint32_t block_size() const override { return SECTOR; }
  bool read_only() const override { return features_ & F_RO; }
  bool can_discard() const override { return features_ & F_DISCARD; }
  const char* model() const override { return "virtio-blk"; }
  MutBytes slot_buffer(uint32_t slot) override {
    return MutBytes(data_.va + slot * wire::MAX_BLOCK_TRANSFER_BYTES, wire::MAX_BLOCK_TRANSFER_BYTES);
  }
  uint32_t bulk_buffers() const override { return bulk_count_; }
  rt::Cap<wire::DmaPool> pin_pool() const override { return bulk_count_ ? pool_ : rt::Cap<wire::DmaPool>(); }
  MutBytes bulk_chunk(uint32_t buffer, uint32_t chunk) override {
    return MutBytes(bulk_[buffer].chunk[chunk].va, BULK_CHUNK_BYTES);
  }

  Status start(uint32_t slot, const BlockRequest& r) override {
    if (r.bulk < 0 && !r.pinned) {
      CAPOS_TRY_STATUS(chunks_.begin(slot, 1));
      Status st = start_one(slot, r);
      if (!st) chunks_.cancel(slot);
      return st;
    }
    // A bulk transfer: one request per 256 KiB chunk, each chain in an
    // indirect table (header, one descriptor per page, status).
    uint32_t bytes = r.blocks * SECTOR;
    uint32_t n = (bytes + BULK_CHUNK_BYTES - 1) / BULK_CHUNK_BYTES;
    if (q_.free_count() < n) return fail(Err::Overloaded);
    CAPOS_TRY_STATUS(chunks_.begin(slot, n));
    for (uint32_t c = 0; c < n; ++c) {
      uint32_t k = slot * BULK_CHUNKS + c, off = c * BULK_CHUNK_BYTES;
      uint32_t len = bytes - off < BULK_CHUNK_BYTES ? bytes - off : BULK_CHUNK_BYTES;
      Header h{r.op == BlockOp::Read ? T_IN : T_OUT, 0, r.lba + off / SECTOR};
      memcpy(meta_.va + k * 128, &h, sizeof(h));
      meta_.va[k * 128 + 64] = 0xFF;
      auto* table = reinterpret_cast<virtio::Desc*>(tables_.va + k * TABLE_BYTES);
      uint16_t d = 0;
      table[d++] = virtio::Desc{meta_.iova_at(k * 128), sizeof(Header), 0, 0};
      // One descriptor per run of device-contiguous pages (a pinned
      // buffer's IOVAs are contiguous behind an IOMMU).
      uint16_t flags = r.op == BlockOp::Read ? virtio::DESC_WRITE : uint16_t{0};
      for (uint32_t p = 0; p < len; p += 4096) {
        uint64_t iova = r.page_iova(bulk_, (off + p) / 4096);
        uint32_t n = len - p < 4096 ? len - p : 4096;
        if (d > 1 && table[d - 1].addr + table[d - 1].len == iova) table[d - 1].len += n;
        else table[d++] = virtio::Desc{iova, n, flags, 0};
      }
      table[d++] = virtio::Desc{meta_.iova_at(k * 128 + 64), 1, virtio::DESC_WRITE, 0};
      for (uint16_t i = 0; i + 1 < d; ++i) {
        table[i].flags |= virtio::DESC_NEXT;
        table[i].next = static_cast<uint16_t>(i + 1);
      }
      virtio::Desc ring{tables_.iova_at(k * TABLE_BYTES), static_cast<uint32_t>(d * sizeof(virtio::Desc)), DESC_INDIRECT, 0};
      uint16_t head = CAPOS_TRY(q_.submit(&ring, 1));  // free_count checked above: cannot fail
      head_req_[head] = static_cast<uint8_t>(k);
    }
    q_.notify();
    return {};
  }

 private:
  // One request: header, data (one descriptor per page), status.
  Status start_one(uint32_t slot, const BlockRequest& r) {
    uint32_t type = T_IN, bytes = 0;
    bool device_writes = false;
    uint64_t sector = r.lba;
    switch (r.op) {
      case BlockOp::Read: type = T_IN, bytes = r.blocks * SECTOR, device_writes = true; break;
      case BlockOp::Write: type = T_OUT, bytes = r.blocks * SECTOR; break;
      case BlockOp::Flush:
        if (!(features_ & F_FLUSH)) return complete_now(slot);  // no volatile cache: nothing to flush
        type = T_FLUSH, sector = 0;
        break;
      case BlockOp::Discard: {
        struct {
          uint64_t sector;
          uint32_t sectors;
          uint32_t flags;
        } seg{r.lba, r.blocks, 0};
        memcpy(slot_buffer(slot).data(), &seg, sizeof(seg));
        type = T_DISCARD, sector = 0, bytes = sizeof(seg);
        break;
      }
    }
    uint32_t k = slot * BULK_CHUNKS;
    uint32_t meta = k * 128, data = slot * wire::MAX_BLOCK_TRANSFER_BYTES;
    Header h{type, 0, sector};
    memcpy(meta_.va + meta, &h, sizeof(h));
    meta_.va[meta + 64] = 0xFF;
    virtio::Desc chain[2 + DATA_PAGES];
    uint16_t n = 0;
    chain[n++] = virtio::Desc{meta_.iova_at(meta), sizeof(Header), 0, 0};
    for (uint32_t off = 0; off < bytes; off += 4096) {
      uint32_t len = bytes - off < 4096 ? bytes - off : 4096;
      chain[n++] = virtio::Desc{data_.iova_at(data + off), len, device_writes ? virtio::DESC_WRITE : uint16_t{0}, 0};
    }
    chain[n++] = virtio::Desc{meta_.iova_at(meta + 64), 1, virtio::DESC_WRITE, 0};
    uint16_t head = CAPOS_TRY(q_.submit(chain, n));
    head_req_[head] = static_cast<uint8_t>(k);
    q_.notify();
    return {};
  }

 public:
  Result<Reaped> reap() override {
    Reaped r;
    if (done_count_) {  // finished without the device
      uint32_t slot = done_[--done_count_];
      return chunks_.end(slot, {});
    }
    // Device requests until one finishes its slot (a bulk call's chunks
    // finish one by one) or none is left.
    for (;;) {
      uint16_t head;
      uint32_t len;
      if (!CAPOS_TRY(q_.take_used(&head, &len))) {
        if (t_.device_status() & virtio::status::NEEDS_RESET) return fail(Err::Failed);
        return r;
      }
      uint32_t k = head_req_[head];
      uint8_t st = meta_.va[k * 128 + 64];
      Result<void, DetailedErr> outcome;
      if (st == S_UNSUPP) outcome = fail(Err::Unsupported, "the device does not support this request");
      else if (st != S_OK) outcome = fail(Err::Failed, "the device reported an I/O error");
      r = CAPOS_TRY(chunks_.end(k / BULK_CHUNKS, outcome));
      if (r.done) return r;
    }
  }

 private:
  Status complete_now(uint32_t slot) {
    done_[done_count_++] = slot;
    return {};
  }

  rt::Cap<wire::DeviceMmio> mmio_;
  rt::Cap<wire::DmaPool> pool_;
  rt::Cap<wire::Interrupt> irq_;
  virtio::Transport t_;
  virtio::Queue q_;
  DmaBuffer meta_, data_, tables_;
  BulkBuffer bulk_[BULK];
  uint32_t bulk_count_ = 0;
  ChunkTracker chunks_;
  uint64_t features_ = 0;
  uint64_t capacity_ = 0;
  uint8_t head_req_[virtio::Queue::MAX_SIZE] = {};  // ring head -> device request k
  uint32_t done_[SLOTS] = {};
  uint32_t done_count_ = 0;
};

VirtioBlk g_blk;

}  // namespace

int main() {
  auto devices = rt::capset_find<wire::DeviceManager>("devices");
  auto ep = rt::capset_find<wire::Endpoint>("block");
  if (!devices || !ep) {
    rt::print("vblk: needs `devices` (DeviceManager) and `block` (Endpoint)\n");
    return 2;
  }
  if (Status st = g_blk.start(*devices); !st) {
    rt::printf("vblk: cannot start: {} ({})\n", err_name(st.error()), last_error());
    return 3;
  }
  uint32_t most = 0;
  Status st = serve_block(*ep, g_blk, &most);
  rt::printf("vblk: serving stopped: {} (at most {} requests were in flight)\n", err_name(st.error()), most);
  return 4;
}
