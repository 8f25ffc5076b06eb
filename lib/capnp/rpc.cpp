#include "lib/capnp/rpc.h"

namespace capos::capnp {

Status LoopbackTransport::call(uint64_t target, uint64_t interface_id, uint16_t method_id,
                               const MessageBuilder& params, Response& response) {
  if (target >= servers_.size() || servers_[target] == nullptr) return fail(Err::NotFound);
  Server* server = servers_[target];
  if (server->interface_id() != interface_id) return fail(Err::InvalidArgument);

  // Split scratch: serialized params first (8-byte aligned), results after.
  size_t need = params.stream_size();
  MutBytes req_bytes = CAPOS_TRY(scratch_.subspan(0, need));
  MutBytes rest = CAPOS_TRY(scratch_.subspan(need));
  CAPOS_TRY(params.write_stream(req_bytes));

  StreamReader<16> request;
  CAPOS_TRY_STATUS(request.init(req_bytes, opts_));
  StructReader root = CAPOS_TRY(request.root());

  FixedMessageBuilder results(rest);
  CAPOS_TRY_STATUS(server->dispatch(interface_id, method_id, root, results));
  size_t n = CAPOS_TRY(results.write_stream(response.buffer()));
  return response.complete(n);
}

}  // namespace capos::capnp
