// RingTransport: the capability ring as the transport behind every
// generated typed client. One CALL SQE per call; the params message is
// framed into a scratch buffer, the reply lands in the caller's Response.
#pragma once

#include "lib/abi/cap_err.h"
#include "lib/capnp/rpc.h"

namespace capos::rt {

class RingTransport final : public capnp::Transport {
 public:
  Status call(uint64_t target, uint64_t interface_id, uint16_t method_id, const capnp::MessageBuilder& params,
              capnp::Response& response) override;
  // No params message: the SQE carries params_len = 0 (docs/abi.md "Empty params").
  Status call_no_params(uint64_t target, uint64_t interface_id, uint16_t method_id,
                        capnp::Response& response) override;
  // The message of the last application exception (empty otherwise). The
  // failure itself is the Err in the call's Result: every CAP_ERR_* code
  // maps to its own (transport_error).
  StrView last_exception() const { return StrView(exception_msg_, exception_len_); }

 private:
  Status submit(uint64_t target, uint64_t interface_id, uint16_t method_id, Bytes params, capnp::Response& response);
  char exception_msg_[128] = {};
  size_t exception_len_ = 0;
};

RingTransport& transport();

// Maps a negative CQE result to the runtime's error vocabulary: one Err
// per CAP_ERR_* code, from the CAPOS_CAP_ERRORS table (lib/abi/cap_err.h).
inline Err transport_error(int32_t cap_err) { return abi::cap_err_to_err(cap_err); }

}  // namespace capos::rt
