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

inline void fill_call(abi::CapSqe* s, uint64_t target, uint64_t interface_id, uint16_t method_id, Bytes params,
                      capnp::Response& response, uint64_t user_data) {
  s->opcode = abi::CAP_OP_CALL;
  s->flags = 0;
  s->method_id = method_id;
  s->cap_id = static_cast<uint32_t>(target);
  s->user_data = user_data;
  s->params_addr = reinterpret_cast<uint64_t>(params.data());
  s->params_len = static_cast<uint32_t>(params.size());
  s->result_len = static_cast<uint32_t>(response.buffer().size());
  s->result_addr = reinterpret_cast<uint64_t>(response.buffer().data());
  s->call_id = 0;
  s->xfer_count = 0;
  s->reserved0 = 0;
  s->xfer_addr = 0;
  s->interface_id = interface_id;
}

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
  Ring& ring = rt::ring();
  uint64_t user_data = ring.next_user_data();
  // Filled in place in its SQ slot (no SQE built on the stack and copied):
  // every field is written here, so the slot's clearing folds away.
  abi::CapCqe c;
  if (abi::CapSqe* s = ring.sqe_slot(0)) {
    fill_call(s, target, interface_id, method_id, params, response, user_data);
    ring.publish(1);
    c = ring.await(user_data);
  } else {  // the SQ is full: call() makes room first
    abi::CapSqe sqe;
    fill_call(&sqe, target, interface_id, method_id, params, response, user_data);
    c = ring.call(sqe);
  }
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
