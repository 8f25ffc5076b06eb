#include "lib/capnp/rpc.h"

namespace capos::capnp {

Status LoopbackTransport::call(uint64_t target, uint64_t interface_id, uint16_t method_id,
                               const MessageBuilder& params, Response& response) {
  // Split scratch: serialized params first (8-byte aligned), results after.
  size_t need = params.stream_size();
  MutBytes req_bytes = CAPOS_TRY(scratch_.subspan(0, need));
  MutBytes rest = CAPOS_TRY(scratch_.subspan(need));
  size_t n = CAPOS_TRY(params.write_stream(req_bytes));
  return dispatch(target, interface_id, method_id, Bytes(req_bytes.data(), n), rest, response);
}

Status LoopbackTransport::call_no_params(uint64_t target, uint64_t interface_id, uint16_t method_id,
                                         Response& response) {
  return dispatch(target, interface_id, method_id, Bytes(), scratch_, response);
}

Status LoopbackTransport::dispatch(uint64_t target, uint64_t interface_id, uint16_t method_id, Bytes params,
                                   MutBytes results_buf, Response& response) {
  if (target >= servers_.size() || servers_[target] == nullptr) return fail(Err::NotFound);
  Server* server = servers_[target];
  if (server->interface_id() != interface_id) return fail(Err::InvalidArgument);

  // The server decodes exactly what a remote peer would see: zero bytes
  // are the default struct, as every capOS server reads them.
  StreamReader<16> request;
  CAPOS_TRY_STATUS(request.init_params(params, opts_));
  StructReader root = CAPOS_TRY(request.root());

  FixedMessageBuilder results(results_buf);
  CAPOS_TRY_STATUS(server->dispatch(interface_id, method_id, root, results));
  size_t n = CAPOS_TRY(results.write_stream(response.buffer()));
  return response.complete(n);
}

}  // namespace capos::capnp
