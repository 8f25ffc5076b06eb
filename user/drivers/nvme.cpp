// nvme: the NVMe driver (QEMU `-device nvme`) as a userspace service.
// Claims the first unclaimed NVMe controller through its "devices"
// DeviceManager, maps only the register and doorbell pages of BAR0 (the
// MSI-X table after them stays the kernel's), brings the controller up
// with admin and IO_PAIRS I/O queue pairs in DmaPool pages, identifies
// namespace 1 and serves BlockDevice on its "block" endpoint. Every
// request is checked (block_server.cpp, block_checks.h) before the device
// sees it; up to SLOTS commands are in flight, and a completion with a
// command id we did not issue is a device fault. docs/devices.md.
#include "lib/core/cstring.h"
#include "schema/ipc.capnp.capos.h"
#include "user/drivers/block_server.h"
#include "user/drivers/device.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"

using namespace capos;
using namespace capos::drivers;
namespace wire = capos::schema::wire;

namespace {

// Controller registers (NVMe 1.4, 3.1).
constexpr uint32_t R_CAP = 0x00, R_CC = 0x14, R_CSTS = 0x1C, R_AQA = 0x24, R_ASQ = 0x28, R_ACQ = 0x30;
constexpr uint32_t CC_EN = 1, CSTS_RDY = 1, CSTS_CFS = 2;
constexpr uint16_t QSIZE = 64;  // entries per queue: SQ 64 x 64 B, CQ 64 x 16 B, one page each
constexpr uint8_t OP_FLUSH = 0x00, OP_WRITE = 0x01, OP_READ = 0x02, OP_DSM = 0x09;
constexpr uint8_t ADMIN_CREATE_SQ = 0x01, ADMIN_CREATE_CQ = 0x05, ADMIN_IDENTIFY = 0x06, ADMIN_SET_FEATURES = 0x09;
constexpr uint32_t FEATURE_NUM_QUEUES = 0x07;

struct Sqe {
  uint32_t cdw0;  // opcode | command id << 16
  uint32_t nsid;
  uint64_t rsvd;
  uint64_t mptr;
  uint64_t prp1, prp2;
  uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
static_assert(sizeof(Sqe) == 64);

struct Cqe {
  uint32_t dw0, dw1;
  uint16_t sqhd, sqid, cid, status;  // status bit 0: phase tag
};
static_assert(sizeof(Cqe) == 16);

// One submission/completion queue pair in DmaPool pages.
struct QueuePair {
  uint16_t id = 0;
  DmaBuffer sq, cq;
  uint16_t tail = 0, head = 0;
  uint16_t phase = 1;
  uint16_t next_cid = 1;
  volatile uint32_t* sq_doorbell = nullptr;
  volatile uint32_t* cq_doorbell = nullptr;
};

// Calls in flight. Each is one I/O command, or up to BULK_CHUNKS for a
// bulk transfer (one per 256 KiB, its pages in a PRP list): command id =
// slot * BULK_CHUNKS + chunk + 1. Slot s goes to I/O queue pair
// s % IO_PAIRS (all completing on one MSI-X vector), so each 64-entry
// queue holds at most 32 commands. Command ids are unique across pairs.
constexpr uint32_t SLOTS = 16;
constexpr uint16_t IO_PAIRS = 2;
constexpr uint32_t COMMANDS = SLOTS * BULK_CHUNKS;
static_assert(SLOTS / IO_PAIRS * BULK_CHUNKS < QSIZE && 2 * SLOTS <= DmaBuffer::MAX_PAGES);
constexpr uint32_t BULK = 2;
constexpr uint32_t PRP_LIST_BYTES = 512;  // 63 entries: pages 2..64 of a chunk
static_assert(COMMANDS * PRP_LIST_BYTES / 4096 <= DmaBuffer::MAX_PAGES);
static_assert((BULK_CHUNK_BYTES / 4096 - 1) * 8 <= PRP_LIST_BYTES);

class Nvme final : public BlockBackend {
 public:
  Status start(rt::Cap<wire::DeviceManager> manager) {
    static const uint16_t ids[] = {0x0010};
    Found f = CAPOS_TRY(find_device(manager, 0x1B36, Span<const uint16_t>(ids, 1)));
    mmio_ = CAPOS_TRY(claim(manager, f.bus, f.dev, f.fn));
    regs_ = reinterpret_cast<volatile uint8_t*>(CAPOS_TRY(map_bar(mmio_, 0, 0, 0x2000)));
    uint64_t cap = rd64(R_CAP);
    uint32_t stride = 4u << ((cap >> 32) & 0xF);
    if (((cap >> 37) & 1) == 0) return fail(Err::Unsupported);  // NVM command set
    if ((IO_PAIRS + 1) * 2 * stride > 0x1000) return fail(Err::Unsupported);  // every doorbell in our page
    pool_ = CAPOS_TRY(dma_pool(mmio_, 2 + 2 * IO_PAIRS + 2 * SLOTS + COMMANDS * PRP_LIST_BYTES / 4096 +
                                          BULK * wire::MAX_BULK_TRANSFER_BYTES / 4096));
    irq_ = CAPOS_TRY(route_interrupt(mmio_, 0));
    CAPOS_TRY_STATUS(setup_pair(admin_, 0, stride));
    for (uint16_t i = 0; i < IO_PAIRS; ++i) CAPOS_TRY_STATUS(setup_pair(io_[i], static_cast<uint16_t>(i + 1), stride));
    buf_ = CAPOS_TRY(dma_alloc(pool_, 2 * SLOTS));

    // Reset, then enable with the admin queues.
    wr32(R_CC, 0);
    CAPOS_TRY_STATUS(wait_ready(false));
    wr32(R_AQA, uint32_t(QSIZE - 1) << 16 | (QSIZE - 1));
    wr64(R_ASQ, admin_.sq.iova_at(0));
    wr64(R_ACQ, admin_.cq.iova_at(0));
    wr32(R_CC, CC_EN | (6u << 16) | (4u << 20));  // 4 KiB pages, 64-byte SQEs, 16-byte CQEs
    CAPOS_TRY_STATUS(wait_ready(true));

    Sqe id{};
    id.prp1 = buf_.iova_at(0);
    id.cdw10 = 1;  // identify controller
    (void)CAPOS_TRY(run(admin_, ADMIN_IDENTIFY, id));
    char model[41] = {};
    memcpy(model, buf_.va + 24, 40);
    for (int i = 39; i >= 0 && (model[i] == ' ' || model[i] == 0); --i) model[i] = 0;
    uint16_t oncs;
    memcpy(&oncs, buf_.va + 520, 2);
    discard_ = oncs & (1u << 2);
    flush_ = buf_.va[525] & 1;  // volatile write cache present
    uint8_t mdts = buf_.va[77];    // max transfer: 2^mdts minimum pages (CAP.MPSMIN 4 KiB in QEMU), 0 = no limit
    Sqe ns{};
    ns.nsid = 1;
    ns.prp1 = buf_.iova_at(0);
    ns.cdw10 = 0;  // identify namespace
    (void)CAPOS_TRY(run(admin_, ADMIN_IDENTIFY, ns));
    memcpy(&blocks_, buf_.va, 8);
    uint8_t lbaf = buf_.va[26] & 0xF;
    uint32_t format;
    memcpy(&format, buf_.va + 128 + 4 * lbaf, 4);
    block_size_ = 1u << ((format >> 16) & 0xFF);
    if (block_size_ != 512 || blocks_ == 0) return fail(Err::Unsupported);

    // Ask for IO_PAIRS queue pairs (0-based counts); the controller
    // answers how many it allocated.
    Sqe nq{};
    nq.cdw10 = FEATURE_NUM_QUEUES;
    nq.cdw11 = uint32_t(IO_PAIRS - 1) << 16 | (IO_PAIRS - 1);
    uint32_t granted = CAPOS_TRY(run(admin_, ADMIN_SET_FEATURES, nq));
    if ((granted & 0xFFFF) + 1u < IO_PAIRS || (granted >> 16) + 1u < IO_PAIRS) return fail(Err::Unsupported);
    for (QueuePair& io : io_) {
      Sqe cq{};
      cq.prp1 = io.cq.iova_at(0);
      cq.cdw10 = uint32_t(QSIZE - 1) << 16 | io.id;
      cq.cdw11 = (0u << 16) | 2 | 1;  // vector 0, interrupts on, physically contiguous
      (void)CAPOS_TRY(run(admin_, ADMIN_CREATE_CQ, cq));
      Sqe sq{};
      sq.prp1 = io.sq.iova_at(0);
      sq.cdw10 = uint32_t(QSIZE - 1) << 16 | io.id;
      sq.cdw11 = uint32_t(io.id) << 16 | 1;
      (void)CAPOS_TRY(run(admin_, ADMIN_CREATE_SQ, sq));
    }
    if (mdts == 0 || (4096u << mdts) >= BULK_CHUNK_BYTES) {  // bulk chunks fit one command
      prps_ = CAPOS_TRY(dma_alloc(pool_, COMMANDS * PRP_LIST_BYTES / 4096));
      for (BulkBuffer& b : bulk_) b = CAPOS_TRY(bulk_alloc(pool_));
      bulk_count_ = BULK;
    }
    rt::printf("nvme: {:02x}:{:02x}.{} '{}' ready: namespace 1, {} blocks of {} bytes, {} I/O queue pairs{}{}{}\n",
               f.bus, f.dev, f.fn, StrView(model), blocks_, block_size_, IO_PAIRS, flush_ ? ", volatile cache" : "",
               discard_ ? ", discard" : "", bulk_count_ ? ", 1 MiB bulk transfers" : "");
    return {};
  }

  uint32_t slots() const override { return SLOTS; }
  rt::Cap<wire::Interrupt> irq() const override { return irq_; }
  uint64_t block_count() const override { return blocks_; }
  uint32_t block_size() const override { return block_size_; }
  bool read_only() const override { return false; }
  bool can_discard() const override { return discard_; }
  const char* model() const override { return "nvme"; }
  MutBytes slot_buffer(uint32_t slot) override {
    return MutBytes(buf_.va + slot * wire::MAX_BLOCK_TRANSFER_BYTES, wire::MAX_BLOCK_TRANSFER_BYTES);
  }

  uint32_t bulk_buffers() const override { return bulk_count_; }
  rt::Cap<wire::DmaPool> pin_pool() const override { return bulk_count_ ? pool_ : rt::Cap<wire::DmaPool>(); }
  MutBytes bulk_chunk(uint32_t buffer, uint32_t chunk) override {
    return MutBytes(bulk_[buffer].chunk[chunk].va, BULK_CHUNK_BYTES);
  }

  Status start(uint32_t slot, const BlockRequest& r) override {
    if (r.bulk >= 0 || r.pinned) return start_bulk(slot, r);
    CAPOS_TRY_STATUS(chunks_.begin(slot, 1));
    uint32_t data = slot * wire::MAX_BLOCK_TRANSFER_BYTES;
    Sqe c{};
    c.nsid = 1;
    uint8_t op = OP_FLUSH;
    switch (r.op) {
      case BlockOp::Read:
      case BlockOp::Write:
        op = r.op == BlockOp::Read ? OP_READ : OP_WRITE;
        c.prp1 = buf_.iova_at(data);
        // At most two pages: PRP2 is then the second page itself (no PRP list).
        if (r.blocks * block_size_ > 4096) c.prp2 = buf_.iova_at(data + 4096);
        c.cdw10 = static_cast<uint32_t>(r.lba);
        c.cdw11 = static_cast<uint32_t>(r.lba >> 32);
        c.cdw12 = r.blocks - 1;
        break;
      case BlockOp::Flush: break;
      case BlockOp::Discard: {
        struct {
          uint32_t attributes, blocks;
          uint64_t lba;
        } range{0, r.blocks, r.lba};
        memcpy(buf_.va + data, &range, sizeof(range));
        op = OP_DSM;
        c.prp1 = buf_.iova_at(data);
        c.cdw10 = 0;        // one range
        c.cdw11 = 1u << 2;  // deallocate
        break;
      }
    }
    submit(io_[slot % IO_PAIRS], op, static_cast<uint16_t>(slot * BULK_CHUNKS + 1), c);
    return {};
  }

  Result<Reaped> reap() override {
    // Completions until one finishes its slot (a bulk call's commands
    // finish one by one) or none is left on any pair; pairs are looked at
    // drained in turn, each until it is empty.
    for (uint32_t empty = 0;;) {
      Cqe e;
      if (!take(io_[reap_next_], &e)) {
        reap_next_ = (reap_next_ + 1) % IO_PAIRS;
        if (++empty < IO_PAIRS) continue;
        if (rd32(R_CSTS) & CSTS_CFS) return fail(Err::Failed);
        return Reaped{};
      }
      empty = 0;
      // A completion must come from the pair its slot submits to.
      if (e.cid != 0 && e.cid <= COMMANDS && (e.cid - 1u) / BULK_CHUNKS % IO_PAIRS != reap_next_)
        return fail(Err::Corrupt);
      // A command id we did not issue is the device breaking the protocol
      // (ChunkTracker refuses a slot with nothing outstanding).
      if (e.cid == 0 || e.cid > COMMANDS) return fail(Err::Corrupt);
      Reaped r = CAPOS_TRY(chunks_.end((e.cid - 1u) / BULK_CHUNKS, status_of(e)));
      if (r.done) return r;
    }
  }

 private:
  // A bulk transfer: one command per 256 KiB chunk. PRP1 is the chunk's
  // first page; PRP2 its second page, or with more than two pages a PRP
  // list of the rest (NVMe 1.4 4.3).
  Status start_bulk(uint32_t slot, const BlockRequest& r) {
    uint32_t bytes = r.blocks * block_size_;
    uint32_t n = (bytes + BULK_CHUNK_BYTES - 1) / BULK_CHUNK_BYTES;
    CAPOS_TRY_STATUS(chunks_.begin(slot, n));
    for (uint32_t c = 0; c < n; ++c) {
      uint32_t k = slot * BULK_CHUNKS + c, off = c * BULK_CHUNK_BYTES;
      uint32_t len = bytes - off < BULK_CHUNK_BYTES ? bytes - off : BULK_CHUNK_BYTES;
      uint32_t pages = (len + 4095) / 4096;
      uint32_t first = off / 4096;  // the chunk's first data page
      Sqe cmd{};
      cmd.nsid = 1;
      cmd.prp1 = r.page_iova(bulk_, first);
      if (pages == 2) cmd.prp2 = r.page_iova(bulk_, first + 1);
      if (pages > 2) {
        auto* list = reinterpret_cast<uint64_t*>(prps_.va + k * PRP_LIST_BYTES);
        for (uint32_t p = 1; p < pages; ++p) list[p - 1] = r.page_iova(bulk_, first + p);
        cmd.prp2 = prps_.iova_at(k * PRP_LIST_BYTES);
      }
      uint64_t lba = r.lba + off / block_size_;
      cmd.cdw10 = static_cast<uint32_t>(lba);
      cmd.cdw11 = static_cast<uint32_t>(lba >> 32);
      cmd.cdw12 = len / block_size_ - 1;
      submit(io_[slot % IO_PAIRS], r.op == BlockOp::Read ? OP_READ : OP_WRITE, static_cast<uint16_t>(k + 1), cmd);
    }
    return {};
  }

  uint32_t rd32(uint32_t off) const { return *reinterpret_cast<volatile uint32_t*>(regs_ + off); }
  uint64_t rd64(uint32_t off) const { return rd32(off) | uint64_t{rd32(off + 4)} << 32; }
  void wr32(uint32_t off, uint32_t v) { *reinterpret_cast<volatile uint32_t*>(regs_ + off) = v; }
  void wr64(uint32_t off, uint64_t v) {
    wr32(off, static_cast<uint32_t>(v));
    wr32(off + 4, static_cast<uint32_t>(v >> 32));
  }

  Status wait_ready(bool ready) {
    for (int i = 0; i < 10000000; ++i) {
      uint32_t s = rd32(R_CSTS);
      if (s & CSTS_CFS) return fail(Err::Failed);
      if (((s & CSTS_RDY) != 0) == ready) return {};
      __builtin_ia32_pause();
    }
    return fail(Err::Failed);
  }

  Status setup_pair(QueuePair& q, uint16_t id, uint32_t stride) {
    q.id = id;
    q.sq = CAPOS_TRY(dma_alloc(pool_, 1));
    q.cq = CAPOS_TRY(dma_alloc(pool_, 1));
    q.sq_doorbell = reinterpret_cast<volatile uint32_t*>(regs_ + 0x1000 + (2 * id) * stride);
    q.cq_doorbell = reinterpret_cast<volatile uint32_t*>(regs_ + 0x1000 + (2 * id + 1) * stride);
    return {};
  }

  void submit(QueuePair& q, uint8_t op, uint16_t cid, Sqe c) {
    c.cdw0 = op | uint32_t{cid} << 16;
    memcpy(q.sq.va + q.tail * sizeof(Sqe), &c, sizeof(c));
    q.tail = static_cast<uint16_t>((q.tail + 1) % QSIZE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *q.sq_doorbell = q.tail;
  }

  // Takes the next completion of `q` if the device posted one.
  bool take(QueuePair& q, Cqe* e) {
    memcpy(e, q.cq.va + q.head * sizeof(Cqe), sizeof(*e));
    if ((e->status & 1) != q.phase) return false;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    q.head = static_cast<uint16_t>((q.head + 1) % QSIZE);
    if (q.head == 0) q.phase ^= 1;
    *q.cq_doorbell = q.head;
    return true;
  }

  static Result<void, DetailedErr> status_of(const Cqe& e) {
    uint16_t status = e.status >> 1;
    if (status == 0) return {};
    if ((status & 0xFF) == 0x80 && ((status >> 8) & 7) == 0) return fail(Err::InvalidArgument, "LBA out of range");
    return fail(Err::Failed, "the device reported an I/O error");
  }

  // One admin command, polled (start-up only, before the I/O queues
  // exist); its completion's dword 0.
  Result<uint32_t> run(QueuePair& q, uint8_t op, Sqe c) {
    uint16_t cid = q.next_cid++;
    submit(q, op, cid, c);
    for (int i = 0; i < 100000000; ++i) {
      Cqe e;
      if (take(q, &e)) {
        if (e.cid != cid) return fail(Err::Failed);
        if (auto st = status_of(e); !st) return fail(st.error().code);
        return e.dw0;
      }
      if (rd32(R_CSTS) & CSTS_CFS) return fail(Err::Failed);
      __builtin_ia32_pause();
    }
    return fail(Err::Failed);
  }

  rt::Cap<wire::DeviceMmio> mmio_;
  rt::Cap<wire::DmaPool> pool_;
  rt::Cap<wire::Interrupt> irq_;
  volatile uint8_t* regs_ = nullptr;
  QueuePair admin_, io_[IO_PAIRS];
  uint32_t reap_next_ = 0;
  DmaBuffer buf_, prps_;
  BulkBuffer bulk_[BULK];
  uint32_t bulk_count_ = 0;
  ChunkTracker chunks_;
  uint64_t blocks_ = 0;
  uint32_t block_size_ = 0;
  bool discard_ = false, flush_ = false;
};

Nvme g_nvme;

}  // namespace

int main() {
  auto devices = rt::capset_find<wire::DeviceManager>("devices");
  auto ep = rt::capset_find<wire::Endpoint>("block");
  if (!devices || !ep) {
    rt::print("nvme: needs `devices` (DeviceManager) and `block` (Endpoint)\n");
    return 2;
  }
  if (Status st = g_nvme.start(*devices); !st) {
    rt::printf("nvme: cannot start: {} ({})\n", err_name(st.error()), last_error());
    return 3;
  }
  uint32_t most = 0;
  Status st = serve_block(*ep, g_nvme, &most);
  rt::printf("nvme: serving stopped: {} (at most {} requests were in flight)\n", err_name(st.error()), most);
  return 4;
}
