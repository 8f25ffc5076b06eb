#include "user/drivers/block_server.h"

#include "lib/abi/ipc.h"
#include "lib/capnp/message.h"
#include "lib/core/cstring.h"
#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"
#include "schema/devices.capnp.capos.h"
#include "user/drivers/block_checks.h"
#include "user/rt/caps_call.h"
#include "user/rt/console.h"
#include "user/rt/ring.h"

namespace capos::drivers {

namespace wire = schema::wire;

namespace {

constexpr uint64_t kTraversalWords = 8 * abi::IPC_MESSAGE_MAX / 8;

struct Slot {
  alignas(16) uint8_t recv[abi::RECV_BUFFER_MAX];
  uint64_t recv_ud = 0;
  bool recv_posted = false;
  bool in_io = false;  // the call is on the device
  abi::EndpointMessageHeader call{};
};
Slot g_slots[BlockBackend::MAX_SLOTS];
alignas(8) uint8_t g_reply[abi::IPC_MESSAGE_MAX];

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

// Decodes and checks one received call; starts its I/O or answers it.
// Returns true when the slot now has I/O on the device.
bool accept(uint32_t ep, BlockBackend& b, uint32_t slot, int32_t received) {
  Slot& s = g_slots[slot];
  memcpy(&s.call, s.recv, sizeof(s.call));
  const abi::EndpointMessageHeader& h = s.call;
  size_t records = size_t{h.xfer_count} * sizeof(abi::CapTransferRecord);
  if (static_cast<size_t>(received) != sizeof(h) + h.params_len + records || h.xfer_count > abi::XFER_MAX) {
    reply_error(ep, h, Err::Corrupt, "bad delivery framing");
    return false;
  }
  const abi::CapTransferRecord* caps =
      reinterpret_cast<const abi::CapTransferRecord*>(s.recv + sizeof(h) + h.params_len);
  for (uint32_t i = 0; i < h.xfer_count; ++i) rt::release_cap(caps[i].cap_id);  // BlockDevice takes none
  if (h.interface_id != wire::BlockDevice::kInterfaceId) {
    reply_error(ep, h, Err::Unsupported, "not a BlockDevice call");
    return false;
  }
  capnp::StreamReader<4> msg;
  capnp::ReaderOptions opts{kTraversalWords, 32};
  auto root = msg.init(Bytes(s.recv + sizeof(h), h.params_len), opts) ? msg.root() : fail(Err::InvalidArgument);
  if (!root) {
    reply_error(ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message");
    return false;
  }
  uint32_t bs = b.block_size();
  BlockRequest r{};
  const char* why = nullptr;
  switch (h.method_id) {
    case 0: {  // info
      capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
      auto res = wire::BlockDevice::InfoResults::initRoot(mb);
      auto info = res ? res->initInfo() : fail(Err::OutOfMemory);
      if (!info) return reply_error(ep, h, Err::Failed, "reply too large"), false;
      info->setBlockSize(bs);
      info->setBlockCount(b.block_count());
      info->setReadOnly(b.read_only());
      info->setMaxInFlight(b.slots());
      (void)info->setModel(b.model());
      reply(ep, h, mb.framed(), false);
      return false;
    }
    case 1: {
      auto p = wire::BlockDevice::ReadParams::Reader(*root);
      r = BlockRequest{BlockOp::Read, p.getLba(), p.getBlocks()};
      why = check_transfer(r.lba, r.blocks, b.block_count(), bs);
      break;
    }
    case 2: {
      auto p = wire::BlockDevice::WriteParams::Reader(*root);
      auto data = p.getData();
      if (!data) return reply_error(ep, h, Err::InvalidArgument, "bad data"), false;
      why = check_payload(data->size(), bs);
      r = BlockRequest{BlockOp::Write, p.getLba(), static_cast<uint32_t>(data->size() / bs)};
      if (!why) why = check_transfer(r.lba, r.blocks, b.block_count(), bs);
      if (!why && b.read_only()) return reply_error(ep, h, Err::Failed, "the disk is read-only"), false;
      if (!why) memcpy(b.slot_buffer(slot).data(), data->data(), data->size());
      break;
    }
    case 3: r = BlockRequest{BlockOp::Flush, 0, 0}; break;
    case 4: {
      auto p = wire::BlockDevice::DiscardParams::Reader(*root);
      r = BlockRequest{BlockOp::Discard, p.getLba(), p.getBlocks()};
      why = check_range(r.lba, r.blocks, b.block_count());
      if (!why && !b.can_discard()) return reply_error(ep, h, Err::Unsupported, "the device has no discard"), false;
      break;
    }
    default: return reply_error(ep, h, Err::Unsupported, "no such BlockDevice method"), false;
  }
  if (why) return reply_error(ep, h, Err::InvalidArgument, why), false;
  if (Status st = b.start(slot, r); !st) return reply_error(ep, h, st.error(), "the device refused the request"), false;
  return true;
}

void complete(uint32_t ep, BlockBackend& b, uint32_t slot, Status outcome, const char* why) {
  const abi::EndpointMessageHeader& h = g_slots[slot].call;
  if (!outcome) return reply_error(ep, h, outcome.error(), why ? StrView(why) : StrView());
  if (h.method_id != 1) {
    if (h.method_id == 2) return reply_empty<wire::BlockDevice::WriteResults>(ep, h);
    if (h.method_id == 3) return reply_empty<wire::BlockDevice::FlushResults>(ep, h);
    return reply_empty<wire::BlockDevice::DiscardResults>(ep, h);
  }
  // A read: the data goes back inside the reply.
  capnp::StreamReader<4> msg;
  capnp::ReaderOptions opts{kTraversalWords, 32};
  auto root = msg.init(Bytes(g_slots[slot].recv + sizeof(h), h.params_len), opts) ? msg.root()
                                                                                   : fail(Err::Corrupt);
  uint32_t bytes = root ? wire::BlockDevice::ReadParams::Reader(*root).getBlocks() * b.block_size() : 0;
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  auto res = wire::BlockDevice::ReadResults::initRoot(mb);
  auto out = res ? res->initData(bytes) : fail(Err::OutOfMemory);
  if (!root || !out) return reply_error(ep, h, Err::Failed, "reply too large");
  memcpy(out->data(), b.slot_buffer(slot).data(), bytes);
  reply(ep, h, mb.framed(), false);
}

}  // namespace

Status serve_block(rt::Cap<wire::Endpoint> endpoint, BlockBackend& b, uint32_t* max_in_flight) {
  uint32_t ep = endpoint.id();  // raw RECV/RETURN SQEs below
  uint32_t n = b.slots();
  if (n == 0 || n > BlockBackend::MAX_SLOTS) return fail(Err::InvalidArgument);
  uint32_t in_io = 0;
  alignas(8) uint8_t wait_params[64], wait_result[64];
  rt::AsyncCall wait;
  for (;;) {
    for (uint32_t i = 0; i < n; ++i)
      if (!g_slots[i].recv_posted && !g_slots[i].in_io) post_recv(ep, g_slots[i]);
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
    if (rt::poll_call(wait)) progress = true;
    // Finished device requests first: their slots take new calls.
    uint32_t slot;
    Status outcome;
    const char* why = nullptr;
    while (CAPOS_TRY(b.reap(&slot, &outcome, &why))) {
      if (slot >= n || !g_slots[slot].in_io) return fail(Err::Corrupt);
      g_slots[slot].in_io = false;
      --in_io;
      progress = true;
      complete(ep, b, slot, outcome, why);
    }
    for (uint32_t i = 0; i < n; ++i) {
      Slot& s = g_slots[i];
      abi::CapCqe c;
      if (!s.recv_posted || !rt::ring().try_take(s.recv_ud, &c)) continue;
      s.recv_posted = false;
      progress = true;
      if (c.result < 0) {
        // One call's trouble (its params vanished, a full queue): the next RECV may work.
        if (c.result == abi::CAP_ERR_INVALID_PARAMS_BUFFER || c.result == abi::CAP_ERR_QUOTA_EXCEEDED ||
            c.result == abi::CAP_ERR_OVERLOADED || c.result == abi::CAP_ERR_INVALID_TRANSFER)
          continue;
        return fail(Err::Disconnected);
      }
      if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) continue;
      if (accept(ep, b, i, c.result)) {
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
