// What the typed storage clients (fs_client, ns_client) share: the
// message buffers of their one call at a time, and the message of the
// last failed call, kept apart from the runtime's copy (which the next
// call overwrites — e.g. closing a directory after a failed open).
#pragma once

#include "lib/capnp/rpc.h"
#include "lib/core/cstring.h"
#include "user/rt/caps_call.h"
#include "user/rt/transport.h"

namespace capos::storage {

template <size_t ParamBytes, size_t ReplyBytes>
struct CallBuffers {
  alignas(8) uint8_t params[ParamBytes];
  alignas(8) uint8_t reply[ReplyBytes];
};

// One call's parameter builder and reply, over a client's buffers.
struct ClientCall {
  template <size_t P, size_t R>
  explicit ClientCall(CallBuffers<P, R>& b) : params{MutBytes(b.params, P)}, resp{MutBytes(b.reply, R)} {}
  capnp::FixedMessageBuilder params;
  capnp::Response resp;
};

template <class M> constexpr uint16_t method(M m) { return static_cast<uint16_t>(m); }

class FailureNote {
 public:
  StrView message() const { return StrView(buf_, len_); }
  // Passes `r` through; if it failed, keeps its message: a call that
  // moves capabilities (`caps`) leaves it in rt::call_exception(), a
  // plain call in the transport.
  template <class T> T keep(T r, bool caps) {
    if (!r) set(caps ? rt::call_exception() : rt::transport().last_exception());
    return r;
  }
  void set(StrView m) {
    len_ = min(m.size(), sizeof(buf_));
    memcpy(buf_, m.ptr, len_);
  }

 private:
  char buf_[128];
  size_t len_ = 0;
};

}  // namespace capos::storage
