// Plumbing shared by netd's capability handlers (net_server*.cpp):
// RETURN with an optional moved result cap, CapException replies, and
// decoding a delivered call's params.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/capnp/message.h"
#include "lib/core/cstring.h"
#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"
#include "user/rt/ring.h"

namespace capos::drivers::net_reply {

namespace wire = schema::wire;

inline constexpr uint64_t kTraversalWords = abi::IPC_MESSAGE_MAX / 8 * 8;
alignas(8) inline uint8_t g_reply[abi::IPC_MESSAGE_MAX];

inline const abi::EndpointMessageHeader& header(const uint8_t* recv) {
  return *reinterpret_cast<const abi::EndpointMessageHeader*>(recv);
}

inline void push(const abi::CapSqe& s) {
  while (!rt::ring().push(s)) (void)rt::ring().enter(0, abi::CAP_ENTER_NO_WAIT);
}

inline void reply(uint32_t ep, const abi::EndpointMessageHeader& call, Bytes payload, bool exception,
           const abi::CapTransferDesc* cap = nullptr) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_RETURN;
  s.cap_id = ep;
  s.call_id = call.call_id;
  s.flags = exception ? abi::SQE_F_EXCEPTION : 0;
  s.params_addr = reinterpret_cast<uint64_t>(payload.data());
  s.params_len = static_cast<uint32_t>(payload.size());
  if (cap) {
    s.xfer_addr = reinterpret_cast<uint64_t>(cap);
    s.xfer_count = 1;
  }
  s.user_data = rt::ring().next_user_data();
  (void)rt::ring().call(s);  // a caller that went away makes RETURN fail: nothing to do
}

inline void reply_error(uint32_t ep, const abi::EndpointMessageHeader& call, Err e, StrView why) {
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  auto ex = wire::CapException::initRoot(mb);
  if (!ex) return reply(ep, call, Bytes(), true);
  ex->setType(wire_enums::exception_type(e));
  ex->setInterfaceId(call.interface_id);
  ex->setMethodId(call.method_id);
  (void)ex->setMessage(why.empty() ? StrView(err_name(e)) : why);
  reply(ep, call, mb.framed(), true);
}

// The params root of the call in `recv` (already framing-checked).
inline Result<capnp::StructReader> params_root(const uint8_t* recv, capnp::StreamReader<4>& msg) {
  const auto& h = header(recv);
  capnp::ReaderOptions opts{kTraversalWords, 32};
  CAPOS_TRY_STATUS(msg.init_params(Bytes(recv + sizeof(h), h.params_len), opts));  // 0 bytes: the default struct
  return msg.root();
}


}  // namespace capos::drivers::net_reply
