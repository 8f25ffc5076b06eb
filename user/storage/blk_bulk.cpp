#include "user/storage/blk_bulk.h"

#include "lib/abi/ipc.h"
#include "user/rt/caps_call.h"
#include "user/rt/ring.h"
#include "user/rt/transport.h"

namespace capos::blk {

namespace wire = schema::wire;

namespace {

struct Call {
  alignas(8) uint8_t pbuf[256];
  alignas(8) uint8_t rbuf[512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

// Params of readBulk (write false) or writeBulk naming attached cap 0.
Status build(capnp::FixedMessageBuilder& params, bool write, uint64_t lba, uint32_t blocks, uint64_t offset) {
  if (write) {
    auto p = CAPOS_TRY(wire::BlockDevice::Client::writeBulkParams(params));
    p.setLba(lba), p.setBlocks(blocks), p.setBuffer(0), p.setOffset(offset);
  } else {
    auto p = CAPOS_TRY(wire::BlockDevice::Client::readBulkParams(params));
    p.setLba(lba), p.setBlocks(blocks), p.setBuffer(0), p.setOffset(offset);
  }
  return {};
}

uint16_t method(bool write) {
  return static_cast<uint16_t>(write ? wire::BlockDevice::Method::WRITE_BULK : wire::BlockDevice::Method::READ_BULK);
}

// Async bulk reads: each keeps its params and transfer descriptor alive
// until the kernel has taken the CALL.
struct Async {
  rt::AsyncCall call;
  abi::CapTransferDesc xfer[1];
  alignas(8) uint8_t result[512];
};
Async g_async[MAX_ASYNC];

}  // namespace

Result<Buffer> alloc_buffer(rt::Cap<wire::FrameAllocator> frames, uint32_t pages) {
  Buffer b;
  {
    Call c;
    auto p = CAPOS_TRY(wire::FrameAllocator::Client::allocateParams(c.params));
    p.setPageCount(pages);
    b.memory = CAPOS_TRY(rt::call_for_cap<wire::MemoryObject>(
        frames, static_cast<uint16_t>(wire::FrameAllocator::Method::ALLOCATE), c.params, c.resp));
  }
  b.va = CAPOS_TRY(map_memory(b.memory, true));
  b.bytes = uint64_t{pages} * 4096;
  return b;
}

Result<uint64_t> memory_size(rt::Cap<wire::MemoryObject> m) {
  Call c;
  (void)CAPOS_TRY(wire::MemoryObject::Client::infoParams(c.params));
  return CAPOS_TRY(wire::MemoryObject::Client(&rt::transport(), m).info(c.params, c.resp)).getSizeBytes();
}

Result<uint8_t*> map_memory(rt::Cap<wire::MemoryObject> m, bool writable) {
  Call c;
  auto p = CAPOS_TRY(wire::MemoryObject::Client::mapParams(c.params));
  p.setHint(0);
  auto prot = CAPOS_TRY(p.initProt());
  prot.setRead(true);
  prot.setWrite(writable);
  return reinterpret_cast<uint8_t*>(
      CAPOS_TRY(wire::MemoryObject::Client(&rt::transport(), m).map(c.params, c.resp)).getAddr());
}

Status unmap_memory(rt::Cap<wire::MemoryObject> m, uint8_t* at) {
  Call c;
  auto p = CAPOS_TRY(wire::MemoryObject::Client::unmapParams(c.params));
  p.setAddr(reinterpret_cast<uint64_t>(at));
  (void)CAPOS_TRY(wire::MemoryObject::Client(&rt::transport(), m).unmap(c.params, c.resp));
  return {};
}

Status bulk_call_attaching(rt::Cap<wire::BlockDevice> dev, bool write, uint64_t lba, uint32_t blocks, uint32_t attach,
                           uint64_t offset) {
  Call c;
  CAPOS_TRY_STATUS(build(c.params, write, lba, blocks, offset));
  abi::CapTransferDesc xfer[1] = {{attach, abi::XFER_COPY, {0, 0, 0}}};
  uint32_t n = 0;
  return rt::call_with_caps(dev, method(write), c.params, c.resp,
                            Span<const abi::CapTransferDesc>(xfer, attach == abi::CAPID_INVALID ? 0 : 1),
                            Span<abi::CapTransferRecord>(), &n);
}

Status read_bulk(rt::Cap<wire::BlockDevice> dev, uint64_t lba, uint32_t blocks, rt::Cap<wire::MemoryObject> buffer,
                 uint64_t offset) {
  return bulk_call_attaching(dev, false, lba, blocks, buffer.id(), offset);
}

Status write_bulk(rt::Cap<wire::BlockDevice> dev, uint64_t lba, uint32_t blocks, rt::Cap<wire::MemoryObject> buffer,
                  uint64_t offset) {
  return bulk_call_attaching(dev, true, lba, blocks, buffer.id(), offset);
}

Status submit_read_bulk(uint32_t i, rt::Cap<wire::BlockDevice> dev, uint64_t lba, uint32_t blocks,
                        rt::Cap<wire::MemoryObject> buffer, uint64_t offset) {
  if (i >= MAX_ASYNC) return fail(Err::InvalidArgument);
  Async& a = g_async[i];
  capnp::FixedMessageBuilder params{MutBytes(a.call.params, sizeof(a.call.params))};
  CAPOS_TRY_STATUS(build(params, false, lba, blocks, offset));
  Bytes framed = params.framed();
  a.xfer[0] = abi::CapTransferDesc{buffer.id(), abi::XFER_COPY, {0, 0, 0}};
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = dev.id();
  s.method_id = method(false);
  s.interface_id = wire::BlockDevice::kInterfaceId;
  s.params_addr = reinterpret_cast<uint64_t>(framed.data());
  s.params_len = static_cast<uint32_t>(framed.size());
  s.result_addr = reinterpret_cast<uint64_t>(a.result);
  s.result_len = sizeof(a.result);
  s.xfer_addr = reinterpret_cast<uint64_t>(a.xfer);
  s.xfer_count = 1;
  s.user_data = rt::ring().next_user_data();
  while (!rt::ring().push(s)) (void)rt::ring().enter(0, abi::CAP_ENTER_NO_WAIT);
  a.call.user_data = s.user_data;
  a.call.result = MutBytes(a.result, sizeof(a.result));
  a.call.pending = true;
  return {};
}

Result<uint32_t> reap_bulk(uint32_t in_use) {
  if (in_use == 0 || in_use > MAX_ASYNC) return fail(Err::InvalidArgument);
  rt::AsyncCall* calls[MAX_ASYNC];
  for (uint32_t i = 0; i < in_use; ++i) calls[i] = &g_async[i].call;
  uint32_t i = CAPOS_TRY(rt::wait_any(Span<rt::AsyncCall* const>(calls, in_use)));
  capnp::Response resp{MutBytes(g_async[i].result, sizeof(g_async[i].result))};
  CAPOS_TRY_STATUS(rt::finish_call(g_async[i].call, resp, Span<abi::CapTransferRecord>(), nullptr));
  return i;
}

}  // namespace capos::blk
