#include "user/rt/transport.h"

#include "lib/abi/ipc.h"
#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"
#include "user/rt/ring.h"
#include "user/rt/thread_state.h"

namespace capos::rt {

namespace wire = schema::wire;

namespace {


using wire_enums::exception_err;

}  // namespace


Status RingTransport::call(uint64_t target, uint64_t interface_id, uint16_t method_id,
                           const capnp::MessageBuilder& params, capnp::Response& response) {
  uint8_t* scratch = self().params;
  size_t n = CAPOS_TRY(params.write_stream(MutBytes(scratch, abi::IPC_MESSAGE_MAX)));
  return submit(target, interface_id, method_id, Bytes(scratch, n), response);
}

Status RingTransport::call_no_params(uint64_t target, uint64_t interface_id, uint16_t method_id,
                                     capnp::Response& response) {
  return submit(target, interface_id, method_id, Bytes(), response);
}

Status RingTransport::submit(uint64_t target, uint64_t interface_id, uint16_t method_id, Bytes params,
                             capnp::Response& response) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = static_cast<uint32_t>(target);
  s.method_id = method_id;
  s.interface_id = interface_id;
  s.params_addr = reinterpret_cast<uint64_t>(params.data());
  s.params_len = static_cast<uint32_t>(params.size());
  s.result_addr = reinterpret_cast<uint64_t>(response.buffer().data());
  s.result_len = static_cast<uint32_t>(response.buffer().size());
  s.user_data = ring().next_user_data();
  abi::CapCqe c = ring().call(s);
  exception_len_ = 0;
  if (c.result >= 0) return response.complete(static_cast<size_t>(c.result));
  if (c.result != abi::CAP_ERR_APPLICATION_EXCEPTION) return fail(transport_error(c.result));
  // Decode the CapException for its type and message.
  capnp::StreamReader<2> r;
  if (!r.init(response.buffer())) return fail(Err::Failed);
  auto ex = wire::CapException::readRoot(r);
  if (!ex) return fail(Err::Failed);
  if (auto m = ex->getMessage()) {
    exception_len_ = min(m->size(), sizeof(exception_msg_));
    memcpy(exception_msg_, m->ptr, exception_len_);
  }
  return fail(exception_err(ex->getType()));
}

}  // namespace capos::rt
