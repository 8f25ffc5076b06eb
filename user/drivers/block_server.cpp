#include "user/drivers/block_server.h"

#include "lib/abi/ipc.h"
#include "lib/capnp/message.h"
#include "lib/core/cstring.h"
#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"
#include "schema/devices.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/drivers/block_checks.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/ring.h"
#include "user/rt/transport.h"

namespace capos::drivers {

namespace wire = schema::wire;

namespace {

constexpr uint64_t kTraversalWords = 8 * abi::IPC_MESSAGE_MAX / 8;

struct Slot {
  alignas(16) uint8_t recv[abi::RECV_BUFFER_MAX];
  uint64_t recv_ud = 0;
  bool recv_posted = false;
  bool in_io = false;    // the call is on the device
  bool waiting = false;  // a bulk call waiting for a free bulk buffer
  abi::EndpointMessageHeader call{};
  BlockRequest req{};
  // Bulk calls: the caller's MemoryObject, its mapping here, and where in
  // it the data goes (mapping + offset); none otherwise.
  rt::Cap<wire::MemoryObject> mem;
  uint64_t mem_addr = 0;
  uint8_t* mem_data = nullptr;
  bool pinned = false;  // zero-copy: `pin` holds the caller's pages for the device
  DmaPin pin;
  // Pinned with a bounced last page: its bytes of the transfer (the last
  // `tail` ones), which go through slot_buffer; 0 otherwise.
  uint32_t tail = 0;
  // A read's reply, framed around slot_buffer for `reply_bytes` of data
  // (0: not framed); kept for the next read of that size.
  Bytes reply;
  uint32_t reply_bytes = 0;
};
Slot g_slots[BlockBackend::MAX_SLOTS];
// Slots waiting for a bulk buffer (the serve loop looks for them only when
// there are any: a pass over 16 slots per loop costs every call).
uint32_t g_waiting = 0;
void set_waiting(Slot& s, bool w) {
  if (s.waiting != w) g_waiting += w ? 1u : ~0u;
  s.waiting = w;
}
alignas(8) uint8_t g_reply[abi::IPC_MESSAGE_MAX];
constexpr uint32_t MAX_BULK = 4;
bool g_bulk_busy[MAX_BULK];

struct MemCall {
  alignas(8) uint8_t pbuf[128];
  alignas(8) uint8_t rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

Result<uint64_t> memory_size(rt::Cap<wire::MemoryObject> m) {
  MemCall c;
  (void)CAPOS_TRY(wire::MemoryObject::Client::infoParams(c.params));
  return CAPOS_TRY(wire::MemoryObject::Client(&rt::transport(), m).info(c.params, c.resp)).getSizeBytes();
}

Result<uint64_t> map_memory(rt::Cap<wire::MemoryObject> m, bool writable) {
  MemCall c;
  auto p = CAPOS_TRY(wire::MemoryObject::Client::mapParams(c.params));
  p.setHint(0);
  auto prot = CAPOS_TRY(p.initProt());
  prot.setRead(true);
  prot.setWrite(writable);
  return CAPOS_TRY(wire::MemoryObject::Client(&rt::transport(), m).map(c.params, c.resp)).getAddr();
}

bool g_told_pinned = false, g_told_copied = false, g_told_unaligned = false, g_told_misaligned = false;
// (each path announced once)

// Ends slot `s`'s pin, if any: the device can no longer reach the
// caller's pages once unpin returns.
void unpin(BlockBackend& b, Slot& s) {
  // Our own live handle, so a refusal is a bug: the pages would stay
  // reachable by the device and the pin slot be lost. Say so (the tests
  // forbid this line) rather than carry on silently.
  if (s.pinned) {
    if (Status u = dma_unpin(b.pin_pool(), s.pin.handle); !u)
      rt::printf("{}: unpin of pin {:#x} refused: {}\n", b.model(), s.pin.handle, err_name(u.error()));
  }
  s.pinned = false;
  s.tail = 0;
  s.req.pinned = nullptr;
  s.req.pinned_pages = 0;
  s.req.head = 0;
  s.req.bounce_iova = 0;
}

// Unpins, or unmaps, and releases slot `s`'s caller buffer and frees its
// bulk buffer.
void end_bulk(BlockBackend& b, Slot& s) {
  unpin(b, s);
  if (s.mem_addr) {
    MemCall c;
    if (auto p = wire::MemoryObject::Client::unmapParams(c.params)) {
      p->setAddr(s.mem_addr);
      (void)wire::MemoryObject::Client(&rt::transport(), s.mem).unmap(c.params, c.resp);  // ours: cannot fail
    }
  }
  if (s.mem) rt::release_cap(s.mem.id());
  if (s.req.bulk >= 0) g_bulk_busy[s.req.bulk] = false;
  s.mem = {};
  s.mem_addr = 0;
  s.mem_data = nullptr;
  s.req.bulk = -1;
  set_waiting(s, false);
}

// 64 bytes per iteration in 16-byte vector moves, the tail by memcpy.
// memcpy's `rep movsq` costs one emulated repetition per 8 bytes under
// QEMU's TCG (the bench's machine), four times the loop's trips; on
// hardware both run at memory speed. The empty asm keeps the compiler
// from turning the loop back into a memcpy call.
void copy_bytes(uint8_t* d, const uint8_t* s, uint32_t n) {
  typedef long long v2 __attribute__((vector_size(16), aligned(1)));
  uint32_t i = 0;
  for (; i + 64 <= n; i += 64) {
    v2 a = *reinterpret_cast<const v2*>(s + i), b = *reinterpret_cast<const v2*>(s + i + 16);
    v2 c = *reinterpret_cast<const v2*>(s + i + 32), e = *reinterpret_cast<const v2*>(s + i + 48);
    *reinterpret_cast<v2*>(d + i) = a, *reinterpret_cast<v2*>(d + i + 16) = b;
    *reinterpret_cast<v2*>(d + i + 32) = c, *reinterpret_cast<v2*>(d + i + 48) = e;
    asm volatile("" ::: "memory");
  }
  memcpy(d + i, s + i, n - i);
}

// Copies `bytes` between the caller's mapping and bulk buffer `k`.
void copy_bulk(BlockBackend& b, uint32_t k, uint8_t* mem, uint32_t bytes, bool to_device) {
  for (uint32_t c = 0, off = 0; off < bytes; ++c, off += BULK_CHUNK_BYTES) {
    uint32_t n = bytes - off < BULK_CHUNK_BYTES ? bytes - off : BULK_CHUNK_BYTES;
    MutBytes chunk = b.bulk_chunk(k, c);
    if (to_device) copy_bytes(chunk.data(), mem + off, n);
    else copy_bytes(mem + off, chunk.data(), n);
  }
}

void push(const abi::CapSqe& s) {
  while (!rt::ring().push(s)) (void)rt::ring().enter(0, abi::CAP_ENTER_NO_WAIT);
}

void post_recv(uint32_t ep, Slot& s) {
  abi::CapSqe r{};
  r.opcode = abi::CAP_OP_RECV;
  r.cap_id = ep;
  r.result_addr = reinterpret_cast<uint64_t>(s.recv);
  r.result_len = sizeof(s.recv);
  r.user_data = rt::ring().next_user_data();
  push(r);
  s.recv_ud = r.user_data;
  s.recv_posted = true;
}

// RETURNs `payload` for `call` (RETURN completes in the same cap_enter).
void reply(uint32_t ep, const abi::EndpointMessageHeader& call, Bytes payload, bool exception) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_RETURN;
  s.cap_id = ep;
  s.call_id = call.call_id;
  s.flags = exception ? abi::SQE_F_EXCEPTION : 0;
  s.params_addr = reinterpret_cast<uint64_t>(payload.data());
  s.params_len = static_cast<uint32_t>(payload.size());
  s.user_data = rt::ring().next_user_data();
  (void)rt::ring().call(s);  // a caller that went away makes RETURN fail: nothing to do
}

void reply_error(uint32_t ep, const abi::EndpointMessageHeader& call, Err e, StrView why) {
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  auto ex = wire::CapException::initRoot(mb);
  if (!ex) return reply(ep, call, Bytes(), true);
  ex->setType(wire_enums::exception_type(e));
  ex->setInterfaceId(call.interface_id);
  ex->setMethodId(call.method_id);
  (void)ex->setMessage(why.empty() ? StrView(err_name(e)) : why);
  reply(ep, call, mb.framed(), true);
}

template <class Results> void reply_empty(uint32_t ep, const abi::EndpointMessageHeader& call) {
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  if (!Results::initRoot(mb)) return reply_error(ep, call, Err::Failed, "reply too large");
  reply(ep, call, mb.framed(), false);
}

// Where a ReadResults message's data starts, from the start of its framed
// bytes (learned once by building one aside; 0: not yet).
uint32_t g_reply_data_at = 0;

// Frames slot `slot`'s read reply for `bytes` of data around its slot
// buffer, the data exactly over it (the device's DMA target), so the
// answer goes out of the DMA buffer as the device left it: no zero fill
// and no copy per read, only when the size changes. The header words sit
// in the slot's headroom, which no request uses (a device that scribbles
// on them spoils only the answer to its own read).
Status frame_read_reply(BlockBackend& b, uint32_t slot, uint32_t bytes) {
  Slot& s = g_slots[slot];
  if (s.reply_bytes == bytes) return {};
  s.reply_bytes = 0;
  if (!g_reply_data_at) {
    capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
    auto res = CAPOS_TRY(wire::BlockDevice::ReadResults::initRoot(mb));
    MutBytes out = CAPOS_TRY(res.initData(b.block_size()));
    g_reply_data_at = static_cast<uint32_t>(out.data() - g_reply);
  }
  if (g_reply_data_at > SLOT_HEADROOM) return fail(Err::LimitExceeded);
  uint8_t* data = b.slot_buffer(slot).data();
  capnp::FixedMessageBuilder mb(MutBytes(data - g_reply_data_at, g_reply_data_at + wire::MAX_BLOCK_TRANSFER_BYTES));
  auto res = CAPOS_TRY(wire::BlockDevice::ReadResults::initRoot(mb));
  MutBytes out = CAPOS_TRY(res.initData(bytes));
  if (out.data() != data) return fail(Err::Corrupt);  // the layout moved: never answer from elsewhere
  s.reply = mb.framed();
  s.reply_bytes = bytes;
  return {};
}

enum class Accepted { Answered, OnDevice, Waiting };

// Starts slot `slot`'s checked request on the device; a bulk one first
// takes a free bulk buffer (none: the slot waits) and, for a write,
// copies the caller's data into it.
Accepted start_io(uint32_t ep, BlockBackend& b, uint32_t slot) {
  Slot& s = g_slots[slot];
  if (s.mem && !s.pinned) {  // a copied bulk call
    uint32_t k = 0;
    while (k < b.bulk_buffers() && k < MAX_BULK && g_bulk_busy[k]) ++k;
    if (k == b.bulk_buffers() || k == MAX_BULK) {
      set_waiting(s, true);
      return Accepted::Waiting;
    }
    set_waiting(s, false);
    g_bulk_busy[k] = true;
    s.req.bulk = static_cast<int32_t>(k);
    if (s.req.op == BlockOp::Write) copy_bulk(b, k, s.mem_data, s.req.blocks * b.block_size(), true);
  }
  if (Status st = b.start(slot, s.req); !st) {
    end_bulk(b, s);
    reply_error(ep, s.call, st.error(), "the device refused the request");
    return Accepted::Answered;
  }
  return Accepted::OnDevice;
}

// Pins the caller's pages holding the data of slot `slot`'s bulk call at
// buffer byte `offset` (any offset the device can address): the pages
// from the one holding `offset`, at most a pin's worth; a last page beyond
// that is bounced through the slot's buffer, so the buffer is mapped then
// (and a write's bytes for it copied in now). Copy when the call is to be
// copied instead (misaligned for the device, pin refused, no mapping).
enum class BulkPath { Pinned, Copy };
BulkPath pin_bulk(BlockBackend& b, uint32_t slot, bool write, uint32_t bytes, uint64_t offset) {
  Slot& s = g_slots[slot];
  uint32_t head = static_cast<uint32_t>(offset % 4096);
  if (head % b.pin_alignment()) {
    if (!g_told_misaligned)
      rt::printf("{}: bulk offset not {}-byte aligned: copied through the pool\n", b.model(), b.pin_alignment());
    g_told_misaligned = true;
    return BulkPath::Copy;
  }
  uint32_t pages = (head + bytes + 4095) / 4096;
  uint32_t pin_pages = pages < DmaPin::MAX_PAGES ? pages : DmaPin::MAX_PAGES;
  if (Status pin = dma_pin(b.pin_pool(), s.mem, offset - head, pin_pages, !write, &s.pin); !pin) {
    if (!g_told_copied)
      rt::printf("{}: pin refused ({}): bulk data copied through the pool\n", b.model(), err_name(pin.error()));
    g_told_copied = true;
    return BulkPath::Copy;
  }
  s.pinned = true;
  s.req.pinned = s.pin.iova;
  s.req.pinned_pages = pin_pages;
  s.req.head = head;
  if (pin_pages < pages) {  // one partial page more than a pin holds
    s.tail = head + bytes - pin_pages * 4096;
    s.req.bounce_iova = b.slot_iova(slot);
    auto addr = map_memory(s.mem, !write);
    if (!addr) {
      unpin(b, s);  // the caller maps again for the copy (and fails alike)
      return BulkPath::Copy;
    }
    s.mem_addr = *addr;
    s.mem_data = reinterpret_cast<uint8_t*>(*addr) + offset;
    if (write) memcpy(b.slot_buffer(slot).data(), s.mem_data + bytes - s.tail, s.tail);
  }
  if (!g_told_pinned) rt::printf("{}: bulk data moves by DMA in place (caller's pages pinned)\n", b.model());
  g_told_pinned = true;
  if (head && !g_told_unaligned)
    rt::printf("{}: bulk data at an unaligned offset moves in place too ({} bytes into the first page)\n",
               b.model(), head);
  g_told_unaligned = g_told_unaligned || head;
  return BulkPath::Pinned;
}

// readBulk / writeBulk: checks the call, then pins the caller's pages or
// else maps the caller's buffer (kept until the request completes). Null
// on success, else why not (with `*e` the error's category); the buffer is
// then released.
const char* accept_bulk(BlockBackend& b, uint32_t slot, bool write, uint64_t lba, uint32_t blocks, uint64_t offset,
                        Result<uint32_t> index, Span<const abi::CapTransferRecord> caps, Err* e) {
  Slot& s = g_slots[slot];
  *e = Err::InvalidArgument;
  if (!index || *index >= caps.size() || caps[*index].interface_id != wire::MemoryObject::kInterfaceId)
    return "attach a MemoryObject as `buffer`";
  // An endpoint can claim any interface: map only the kernel's objects.
  if (caps[*index].flags & abi::XFER_REC_SERVED) return "the buffer is an endpoint, not a kernel MemoryObject";
  s.mem = rt::Cap<wire::MemoryObject>::unchecked(caps[*index].cap_id);
  if (b.bulk_buffers() == 0) return *e = Err::Unsupported, "the driver has no bulk transfers";
  if (write && b.read_only()) return *e = Err::Failed, "the disk is read-only";
  auto size = memory_size(s.mem);
  if (!size) return "the buffer does not answer MemoryObject.info";
  if (const char* why = check_bulk(lba, blocks, b.block_count(), b.block_size(), offset, *size)) return why;
  s.req = BlockRequest{write ? BlockOp::Write : BlockOp::Read, lba, blocks, -1};
  if (b.pin_pool() && pin_bulk(b, slot, write, blocks * b.block_size(), offset) == BulkPath::Pinned) return nullptr;
  auto addr = map_memory(s.mem, !write);
  if (!addr) return *e = Err::Overloaded, "cannot map the buffer";
  s.mem_addr = *addr;
  s.mem_data = reinterpret_cast<uint8_t*>(*addr) + offset;
  return nullptr;
}

// Decodes and checks one received call; starts its I/O or answers it.
Accepted accept(uint32_t ep, BlockBackend& b, uint32_t slot, int32_t received) {
  Slot& s = g_slots[slot];
  memcpy(&s.call, s.recv, sizeof(s.call));
  const abi::EndpointMessageHeader& h = s.call;
  size_t records = size_t{h.xfer_count} * sizeof(abi::CapTransferRecord);
  if (static_cast<size_t>(received) != sizeof(h) + h.params_len + records || h.xfer_count > abi::XFER_MAX) {
    reply_error(ep, h, Err::Corrupt, "bad delivery framing");
    return Accepted::Answered;
  }
  Span<const abi::CapTransferRecord> caps(
      reinterpret_cast<const abi::CapTransferRecord*>(s.recv + sizeof(h) + h.params_len), h.xfer_count);
  // Every attached cap but a bulk call's buffer (taken into the slot) is released.
  auto release_others = [&] {
    for (const abi::CapTransferRecord& c : caps)
      if (!s.mem || c.cap_id != s.mem.id()) rt::release_cap(c.cap_id);
  };
  s.mem = {};
  if (h.interface_id != wire::BlockDevice::kInterfaceId || (h.method_id != 5 && h.method_id != 6)) release_others();
  if (h.interface_id != wire::BlockDevice::kInterfaceId) {
    reply_error(ep, h, Err::Unsupported, "not a BlockDevice call");
    return Accepted::Answered;
  }
  capnp::StreamReader<4> msg;
  capnp::ReaderOptions opts{kTraversalWords, 32};
  auto root = msg.init_params(Bytes(s.recv + sizeof(h), h.params_len), opts) ? msg.root() : fail(Err::InvalidArgument);
  if (!root) {
    if (h.method_id == 5 || h.method_id == 6) release_others();
    reply_error(ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message");
    return Accepted::Answered;
  }
  uint32_t bs = b.block_size();
  BlockRequest r{};
  const char* why = nullptr;
  switch (h.method_id) {
    case 0: {  // info
      capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
      auto res = wire::BlockDevice::InfoResults::initRoot(mb);
      auto info = res ? res->initInfo() : fail(Err::OutOfMemory);
      if (!info) return reply_error(ep, h, Err::Failed, "reply too large"), Accepted::Answered;
      info->setBlockSize(bs);
      info->setBlockCount(b.block_count());
      info->setReadOnly(b.read_only());
      info->setMaxInFlight(b.slots());
      (void)info->setModel(b.model());
      reply(ep, h, mb.framed(), false);
      return Accepted::Answered;
    }
    case 1: {
      auto p = wire::BlockDevice::ReadParams::Reader(*root);
      r = BlockRequest{BlockOp::Read, p.getLba(), p.getBlocks()};
      why = check_transfer(r.lba, r.blocks, b.block_count(), bs);
      if (!why && !frame_read_reply(b, slot, r.blocks * bs))
        return reply_error(ep, h, Err::Failed, "reply cannot be framed"), Accepted::Answered;
      break;
    }
    case 2: {
      auto p = wire::BlockDevice::WriteParams::Reader(*root);
      auto data = p.getData();
      if (!data) return reply_error(ep, h, Err::InvalidArgument, "bad data"), Accepted::Answered;
      why = check_payload(data->size(), bs);
      r = BlockRequest{BlockOp::Write, p.getLba(), static_cast<uint32_t>(data->size() / bs)};
      if (!why) why = check_transfer(r.lba, r.blocks, b.block_count(), bs);
      if (!why && b.read_only()) return reply_error(ep, h, Err::Failed, "the disk is read-only"), Accepted::Answered;
      if (!why) memcpy(b.slot_buffer(slot).data(), data->data(), data->size());
      break;
    }
    case 3: r = BlockRequest{BlockOp::Flush, 0, 0}; break;
    case 4: {
      auto p = wire::BlockDevice::DiscardParams::Reader(*root);
      r = BlockRequest{BlockOp::Discard, p.getLba(), p.getBlocks()};
      why = check_range(r.lba, r.blocks, b.block_count());
      if (!why && !b.can_discard())
        return reply_error(ep, h, Err::Unsupported, "the device has no discard"), Accepted::Answered;
      break;
    }
    case 5:
    case 6: {
      Err e = Err::InvalidArgument;
      if (h.method_id == 5) {
        auto p = wire::BlockDevice::ReadBulkParams::Reader(*root);
        why = accept_bulk(b, slot, false, p.getLba(), p.getBlocks(), p.getOffset(), p.getBuffer(), caps, &e);
      } else {
        auto p = wire::BlockDevice::WriteBulkParams::Reader(*root);
        why = accept_bulk(b, slot, true, p.getLba(), p.getBlocks(), p.getOffset(), p.getBuffer(), caps, &e);
      }
      release_others();
      if (why) {
        end_bulk(b, s);
        return reply_error(ep, h, e, why), Accepted::Answered;
      }
      return start_io(ep, b, slot);
    }
    default: return reply_error(ep, h, Err::Unsupported, "no such BlockDevice method"), Accepted::Answered;
  }
  if (why) return reply_error(ep, h, Err::InvalidArgument, why), Accepted::Answered;
  s.req = r;
  return start_io(ep, b, slot);
}

void complete(uint32_t ep, BlockBackend& b, uint32_t slot, const Result<void, DetailedErr>& outcome) {
  Slot& s = g_slots[slot];
  const abi::EndpointMessageHeader& h = s.call;
  if (s.mem) {  // a bulk call: a copied read's data goes into the caller's buffer
    uint32_t bytes = s.req.blocks * b.block_size();
    if (outcome && h.method_id == 5 && !s.pinned) copy_bulk(b, static_cast<uint32_t>(s.req.bulk), s.mem_data, bytes, false);
    if (outcome && h.method_id == 5 && s.tail) memcpy(s.mem_data + bytes - s.tail, b.slot_buffer(slot).data(), s.tail);
    end_bulk(b, s);
    if (!outcome) return reply_error(ep, h, outcome.error().code, StrView(outcome.error().detail));
    if (h.method_id == 5) return reply_empty<wire::BlockDevice::ReadBulkResults>(ep, h);
    return reply_empty<wire::BlockDevice::WriteBulkResults>(ep, h);
  }
  if (!outcome) return reply_error(ep, h, outcome.error().code, StrView(outcome.error().detail));
  if (h.method_id != 1) {
    if (h.method_id == 2) return reply_empty<wire::BlockDevice::WriteResults>(ep, h);
    if (h.method_id == 3) return reply_empty<wire::BlockDevice::FlushResults>(ep, h);
    return reply_empty<wire::BlockDevice::DiscardResults>(ep, h);
  }
  // A read: the reply framed around the data the device wrote.
  reply(ep, h, s.reply, false);
}

}  // namespace

Result<BulkBuffer> bulk_alloc(rt::Cap<wire::DmaPool> pool) {
  BulkBuffer b;
  for (DmaBuffer& c : b.chunk) c = CAPOS_TRY(dma_alloc(pool, DmaBuffer::MAX_PAGES));
  return b;
}

// The next finished RECV of a posted slot, if any. The common case costs
// no stash traffic: the CQ's first entry is the RECV, found by user_data
// among the slots. Otherwise (a stashed RECV, or another completion first)
// the slots are polled in turn with try_take, which stashes what is not
// theirs for poll_call.
struct TakenRecv {
  bool taken = false;
  uint32_t slot = 0;
  abi::CapCqe cqe{};
};
TakenRecv take_recv(uint32_t n) {
  rt::Ring& ring = rt::ring();
  TakenRecv t;
  if (ring.nothing_ready()) return t;
  if (const abi::CapCqe* head = ring.cqe_at(0)) {
    uint64_t ud = head->user_data;  // the shared page: each field read once
    for (uint32_t i = 0; i < n; ++i) {
      if (!g_slots[i].recv_posted || g_slots[i].recv_ud != ud) continue;
      t.cqe = *head;
      ring.consume(1);
      t.taken = true;
      t.slot = i;
      return t;
    }
  }
  for (uint32_t i = 0; i < n && !ring.nothing_ready(); ++i) {
    if (g_slots[i].recv_posted && ring.try_take(g_slots[i].recv_ud, &t.cqe)) {
      t.taken = true;
      t.slot = i;
      return t;
    }
  }
  return t;
}

Status serve_block(rt::Cap<wire::Endpoint> endpoint, BlockBackend& b, uint32_t* max_in_flight) {
  uint32_t ep = endpoint.id();  // raw RECV/RETURN SQEs below
  uint32_t n = b.slots();
  if (n == 0 || n > BlockBackend::MAX_SLOTS) return fail(Err::InvalidArgument);
  uint32_t in_io = 0;
  alignas(8) uint8_t wait_params[64], wait_result[64];
  rt::AsyncCall wait;
  // Some slot may hold neither a RECV, a request nor a wait: look for it
  // only then (a pass over every slot on every loop costs each call).
  bool repost = true;
  for (;;) {
    if (repost) {
      for (uint32_t i = 0; i < n; ++i)
        if (!g_slots[i].recv_posted && !g_slots[i].in_io && !g_slots[i].waiting) post_recv(ep, g_slots[i]);
      repost = false;
    }
    if (in_io && !wait.pending) {
      capnp::FixedMessageBuilder p(MutBytes(wait_params, sizeof(wait_params)));
      (void)wire::Interrupt::Client::waitParams(p);
      CAPOS_TRY_STATUS(rt::submit_call(wait, b.irq(), 0, p,
                                       MutBytes(wait_result, sizeof(wait_result))));
    }
    // Completions may already sit in the runtime's stash (RETURNs wait for
    // their own CQE and stash others), so look before blocking.
    bool progress = false;
    uint64_t mark = rt::ring().stash_mark();
    // A fired interrupt means "look at the device" (and re-arm the wait).
    if (rt::poll_call(wait)) {
      progress = true;
      b.interrupted();
    }
    // Finished device requests first: their slots take new calls.
    for (BlockBackend::Reaped r = CAPOS_TRY(b.reap()); r.done; r = CAPOS_TRY(b.reap())) {
      if (r.slot >= n || !g_slots[r.slot].in_io) return fail(Err::Corrupt);
      g_slots[r.slot].in_io = false;
      --in_io;
      progress = true;
      complete(ep, b, r.slot, r.outcome);
      // Take the next call into this slot at once: a client keeping every
      // slot busy sends its next call as soon as this answer lands, and
      // calls finding no RECV queue (at most ENDPOINT_QUEUE_PER_CALLER = 8
      // per caller; one more fails QUOTA_EXCEEDED), which a 16-deep client
      // would reach if a whole batch of answers went out first.
      if (!g_slots[r.slot].recv_posted && !g_slots[r.slot].waiting) post_recv(ep, g_slots[r.slot]);
    }
    // A finished bulk call frees its bulk buffer: start calls waiting for one.
    for (uint32_t i = 0; g_waiting && i < n; ++i) {
      if (!g_slots[i].waiting) continue;
      Accepted a = start_io(ep, b, i);
      if (a == Accepted::Waiting) break;
      progress = true;
      if (a == Accepted::OnDevice) {
        g_slots[i].in_io = true;
        ++in_io;
      } else {
        repost = true;
      }
    }
    for (TakenRecv t = take_recv(n); t.taken; t = take_recv(n)) {
      uint32_t i = t.slot;
      const abi::CapCqe& c = t.cqe;
      Slot& s = g_slots[i];
      s.recv_posted = false;
      progress = true;
      // The slot is free again (needs a new RECV) unless its call went on
      // the device or waits for a bulk buffer.
      Accepted a = Accepted::Answered;
      if (c.result < 0) {
        // One call's trouble (its params vanished, a full queue): the next RECV may work.
        if (!(c.result == abi::CAP_ERR_INVALID_PARAMS_BUFFER || c.result == abi::CAP_ERR_QUOTA_EXCEEDED ||
              c.result == abi::CAP_ERR_OVERLOADED || c.result == abi::CAP_ERR_INVALID_TRANSFER))
          return fail(Err::Disconnected);
      } else if (static_cast<size_t>(c.result) >= sizeof(abi::EndpointMessageHeader)) {
        a = accept(ep, b, i, c.result);
      }
      if (a == Accepted::Answered) repost = true;
      if (a == Accepted::OnDevice) {
        s.in_io = true;
        ++in_io;
        if (max_in_flight && in_io > *max_in_flight) {
          *max_in_flight = in_io;
          rt::printf("{}: {} requests in flight\n", b.model(), in_io);  // each new high-water mark, once
        }
      }
    }
    // Nothing to do: sleep until a completion arrives. Only the Interrupt
    // wakes us for the device, so this must not sleep on a CQE that a
    // later try_take above stashed after its own poll had looked (the
    // interrupt's deferred work can post it while we run): wait_new
    // returns at once then.
    if (!progress) {
      if (auto r = rt::ring().wait_new(mark); !r) return fail(r.error());
    }
  }
}

}  // namespace capos::drivers
