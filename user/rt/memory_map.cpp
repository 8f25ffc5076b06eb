#include "user/rt/memory_map.h"

#include "user/rt/transport.h"

namespace capos::rt {

namespace wire = schema::wire;

Result<void*> map_memory(Cap<wire::MemoryObject> mo, size_t min_bytes) {
  alignas(8) uint8_t pbuf[128], rbuf[128];
  wire::MemoryObject::Client m(&transport(), mo);
  {
    capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
    capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
    CAPOS_TRY_STATUS(wire::MemoryObject::Client::infoParams(params));
    auto info = CAPOS_TRY(m.info(params, resp));
    if (info.getSizeBytes() < min_bytes) return fail(Err::InvalidArgument);
  }
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = CAPOS_TRY(wire::MemoryObject::Client::mapParams(params));
  auto prot = CAPOS_TRY(p.initProt());
  prot.setRead(true);
  prot.setWrite(true);
  uint64_t addr = CAPOS_TRY(m.map(params, resp)).getAddr();
  return reinterpret_cast<void*>(addr);
}

Status unmap_memory(Cap<wire::MemoryObject> mo, void* at) {
  alignas(8) uint8_t pbuf[128], rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = CAPOS_TRY(wire::MemoryObject::Client::unmapParams(params));
  p.setAddr(reinterpret_cast<uint64_t>(at));
  CAPOS_TRY(wire::MemoryObject::Client(&transport(), mo).unmap(params, resp));
  return {};
}

}  // namespace capos::rt
