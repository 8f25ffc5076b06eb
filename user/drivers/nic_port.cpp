#include "user/drivers/nic_port.h"

#include "lib/core/cstring.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"

namespace capos::drivers {

namespace wire = schema::wire;

namespace {

Status doorbell_params(capnp::MessageBuilder& mb) {
  CAPOS_TRY(wire::NicDoorbell::Client::notifyParams(mb));
  return {};
}

// The cap the caller attached at `index` with interface `iface`, kept.
Result<uint32_t> take_cap(Result<uint32_t> index, uint64_t iface) {
  auto caps = rt::current_call_caps();
  if (!index || *index >= caps.size() || caps[*index].interface_id != iface) return fail(Err::InvalidArgument);
  rt::keep_call_cap(*index);
  return caps[*index].cap_id;
}

}  // namespace

Result<bool> NicPortLink::poll() {
  if (Status st = doorbell_.poll(); !st) {
    // The driver is gone: keep its rings until a new one attaches (frames
    // queued meanwhile are lost, as on a wire that was unplugged).
    rt::release_cap(doorbell_.cap());
    doorbell_.set(0, 0, 0, nullptr);
  }
  return endpoint_.poll();
}

void NicPortLink::detach() {
  if (rings_) (void)unmap_rings(rt::Cap<wire::MemoryObject>::unchecked(rings_cap_), rings_);
  if (rings_cap_) rt::release_cap(rings_cap_);
  if (doorbell_.cap()) rt::release_cap(doorbell_.cap());
  doorbell_.set(0, 0, 0, nullptr);
  rings_ = nullptr;
  rings_cap_ = 0;
}

Status NicPortLink::attach(wire::NicPort::AttachParams::Reader p, wire::NicPort::AttachResults::Builder) {
  auto mac = p.getMac();
  if (!mac || mac->size() != 6) {
    rt::set_error_message("mac must be 6 bytes");
    return fail(Err::InvalidArgument);
  }
  auto mo = take_cap(p.getRings(), wire::MemoryObject::kInterfaceId);
  auto bell = take_cap(p.getDoorbell(), wire::NicDoorbell::kInterfaceId);
  if (!mo || !bell) {
    if (mo) rt::release_cap(*mo);
    if (bell) rt::release_cap(*bell);
    rt::set_error_message("attach a MemoryObject as `rings` and a NicDoorbell as `doorbell`");
    return fail(Err::InvalidArgument);
  }
  auto mapped = map_rings(rt::Cap<wire::MemoryObject>::unchecked(*mo), true);
  if (!mapped) {
    rt::release_cap(*mo);
    rt::release_cap(*bell);
    rt::set_error_message("rings too small, unmappable or not initialised");
    return fail(mapped.error() == Err::InvalidArgument ? Err::InvalidArgument : Err::Failed);
  }
  detach();  // a previous driver's rings and doorbell
  rings_ = *mapped;
  rings_cap_ = *mo;
  rx_ = net::RingConsumer::rx(*rings_);
  tx_ = net::RingProducer::tx(*rings_);
  doorbell_.set(*bell, wire::NicDoorbell::kInterfaceId, 0, doorbell_params);
  memcpy(mac_.b, mac->data(), 6);
  attach_event_ = true;
  return {};
}

Status NicPortLink::notify(wire::NicPort::NotifyParams::Reader, wire::NicPort::NotifyResults::Builder) {
  if (!rings_) {
    rt::set_error_message("no rings attached");
    return fail(Err::Failed);
  }
  return {};  // the loop reads the rings after every poll
}

Result<size_t> NicPortLink::receive(MutBytes out) {
  if (!rings_) return fail(Err::NotFound);
  return rx_.pop(out);
}

Status NicPortLink::send(Bytes frame) {
  if (!rings_) return fail(Err::Overloaded);
  Status st = tx_.push(frame);
  if (st) sent_ = true;
  return st;
}

void NicPortLink::kick() {
  if (sent_) doorbell_.ring();
  sent_ = false;
}

}  // namespace capos::drivers
