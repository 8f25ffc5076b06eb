// RingTransport: the capability ring as the transport behind every
// generated typed client. One CALL SQE per call; the params message is
// framed into a scratch buffer, the reply lands in the caller's Response.
#pragma once

#include "lib/capnp/rpc.h"

namespace capos::rt {

class RingTransport final : public capnp::Transport {
 public:
  Status call(uint64_t target, uint64_t interface_id, uint16_t method_id, const capnp::MessageBuilder& params,
              capnp::Response& response) override;
  // Details of the last failure: the CQE result (CAP_ERR_*) and, for an
  // application exception, its message.
  int32_t last_result() const { return last_result_; }
  StrView last_exception() const { return StrView(exception_msg_, exception_len_); }

 private:
  int32_t last_result_ = 0;
  char exception_msg_[128] = {};
  size_t exception_len_ = 0;
};

RingTransport& transport();

// Maps a negative CQE result to the runtime's error vocabulary.
Err transport_error(int32_t cap_err);

}  // namespace capos::rt
