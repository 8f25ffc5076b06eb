#include "user/rt/server.h"

#include "lib/wire/schema_enums.h"

#include "schema/capos.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/ring.h"
#include "user/rt/transport.h"

namespace capos::rt {

namespace wire = schema::wire;

namespace {

// One RECV buffer and one results buffer: a server handles one call at a
// time, and the kernel copies a RETURN's payload before we build the next.
alignas(16) uint8_t g_recv[abi::RECV_BUFFER_MAX];
alignas(8) uint8_t g_results[abi::IPC_MESSAGE_MAX];
alignas(8) uint8_t g_exception[512];

struct CallState {
  const abi::EndpointMessageHeader* header = nullptr;
  Span<const abi::CapTransferRecord> caps;
  bool kept[abi::XFER_MAX] = {};
  abi::CapTransferDesc result_caps[abi::XFER_MAX];
  uint32_t n_result_caps = 0;
  char error_msg[128];
  size_t error_len = 0;
};
CallState g_call;
const abi::EndpointMessageHeader g_no_call{};

using wire_enums::exception_type;

// Serialized CapException for the current call (empty payload if even
// that does not fit, which cannot happen with a 128-byte message).
Bytes build_exception(const abi::EndpointMessageHeader& h, Err e, StrView msg) {
  capnp::FixedMessageBuilder mb(MutBytes(g_exception, sizeof(g_exception)));
  auto ex = wire::CapException::initRoot(mb);
  if (!ex) return Bytes();
  ex->setType(exception_type(e));
  ex->setInterfaceId(h.interface_id);
  ex->setMethodId(h.method_id);
  (void)ex->setMessage(msg.empty() ? StrView(err_name(e)) : msg);
  return mb.framed();
}

abi::CapSqe return_sqe(uint32_t ep, uint32_t call_id, Bytes payload, bool exception) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_RETURN;
  s.cap_id = ep;
  s.call_id = call_id;
  s.flags = exception ? abi::SQE_F_EXCEPTION : 0;
  s.params_addr = reinterpret_cast<uint64_t>(payload.data());
  s.params_len = static_cast<uint32_t>(payload.size());
  s.user_data = ring().next_user_data();
  return s;
}

void push(const abi::CapSqe& s) {
  while (!ring().push(s)) (void)ring().enter(0, abi::CAP_ENTER_NO_WAIT);
}

// Waits for the completion of `user_data` (others are stashed).
Result<abi::CapCqe> wait_for(uint64_t user_data) {
  abi::CapCqe c;
  for (;;) {
    if (ring().try_take(user_data, &c)) return c;
    if (auto r = ring().enter(1); !r) return fail(r.error());
  }
}

}  // namespace

abi::CapSqe handle_call(uint32_t ep, const uint8_t* buf, int32_t received, capnp::Server& server) {
  const auto& h = *reinterpret_cast<const abi::EndpointMessageHeader*>(buf);
  size_t records = size_t{h.xfer_count} * sizeof(abi::CapTransferRecord);
  g_call = CallState{};
  g_call.header = &h;
  // The kernel wrote the buffer; check its framing anyway before trusting lengths.
  if (static_cast<size_t>(received) != sizeof(h) + h.params_len + records ||
      h.xfer_count > abi::XFER_MAX) {
    return return_sqe(ep, h.call_id, build_exception(h, Err::Corrupt, "bad delivery framing"), true);
  }
  const uint8_t* params = buf + sizeof(h);
  g_call.caps = Span<const abi::CapTransferRecord>(
      reinterpret_cast<const abi::CapTransferRecord*>(params + h.params_len), h.xfer_count);

  Bytes payload;
  bool exception = false;
  capnp::StreamReader<4> msg;
  capnp::ReaderOptions opts{kServeTraversalWords, kServeNesting};
  Status st = msg.init_params(Bytes(params, h.params_len), opts);  // 0 bytes: the default struct
  if (!st) {
    payload = build_exception(h, Err::InvalidArgument, "params are not a valid Cap'n Proto message");
    exception = true;
  } else if (auto root = msg.root(); !root) {
    payload = build_exception(h, Err::InvalidArgument, "params message has no root struct");
    exception = true;
  } else {
    capnp::FixedMessageBuilder results(MutBytes(g_results, sizeof(g_results)));
    st = server.dispatch(h.interface_id, h.method_id, *root, results);
    if (st) {
      payload = results.framed();
    } else {
      payload = build_exception(h, st.error(), StrView(g_call.error_msg, g_call.error_len));
      exception = true;
    }
  }
  // Unclaimed incoming caps go back now (records are in `buf`, which the
  // next RECV overwrites).
  for (uint32_t i = 0; i < g_call.caps.size(); ++i) {
    if (!g_call.kept[i]) release_cap(g_call.caps[i].cap_id);
  }
  abi::CapSqe ret = return_sqe(ep, h.call_id, payload, exception);
  if (!exception && g_call.n_result_caps) {
    ret.xfer_addr = reinterpret_cast<uint64_t>(g_call.result_caps);
    ret.xfer_count = static_cast<uint16_t>(g_call.n_result_caps);
  }
  return ret;
}

Status finish_return(const abi::CapSqe& ret, const abi::EndpointMessageHeader& call, abi::CapCqe done) {
  // A failed RETURN leaves the call in flight (e.g. result caps did not
  // fit the caller's table): answer it with an exception instead.
  if (done.result < 0 && ret.xfer_count) {
    Bytes p = build_exception(call, Err::Overloaded, "result capabilities could not be delivered");
    abi::CapCqe c = ring().call(return_sqe(ret.cap_id, ret.call_id, p, true));
    if (c.result < 0) return fail(transport_error(c.result));
  }
  return {};
}

const abi::EndpointMessageHeader& current_call() { return g_call.header ? *g_call.header : g_no_call; }

Span<const abi::CapTransferRecord> current_call_caps() { return g_call.caps; }

void keep_call_cap(uint32_t index) {
  if (index < g_call.caps.size()) g_call.kept[index] = true;
}

Result<uint32_t> add_result_cap(uint32_t cap_id, uint8_t mode) {
  if (g_call.n_result_caps >= abi::XFER_MAX) return fail(Err::LimitExceeded);
  g_call.result_caps[g_call.n_result_caps] = abi::CapTransferDesc{cap_id, mode, {0, 0, 0}};
  return g_call.n_result_caps++;
}

void set_error_message(StrView msg) {
  g_call.error_len = min(msg.size(), sizeof(g_call.error_msg));
  memcpy(g_call.error_msg, msg.ptr, g_call.error_len);
}

// RECV failures that concern one call only (its params vanished, its caps
// did not fit our table, a queue was full); the next RECV may succeed.
static bool per_call_error(int32_t r) {
  return r == abi::CAP_ERR_INVALID_PARAMS_BUFFER || r == abi::CAP_ERR_QUOTA_EXCEEDED ||
         r == abi::CAP_ERR_OVERLOADED || r == abi::CAP_ERR_INVALID_TRANSFER;
}

namespace {

// `until` without `on_tick`: stop when it completes; with: run on_tick.
Status serve_loop(Cap<schema::wire::Endpoint> endpoint, capnp::Server& server, AsyncCall* until,
                  void (*on_tick)(void*) = nullptr, void* ctx = nullptr) {
  uint32_t ep = endpoint.id();
  abi::CapSqe ret{};
  abi::EndpointMessageHeader ret_call{};  // the call `ret` answers
  bool have_ret = false;
  for (;;) {
    abi::CapSqe recv{};
    recv.opcode = abi::CAP_OP_RECV;
    recv.cap_id = ep;
    recv.result_addr = reinterpret_cast<uint64_t>(g_recv);
    recv.result_len = sizeof(g_recv);
    recv.user_data = ring().next_user_data();
    // RETURN first, then RECV: both reach the kernel in the same cap_enter.
    if (have_ret) push(ret);
    push(recv);
    if (have_ret) {
      abi::CapCqe rc = CAPOS_TRY(wait_for(ret.user_data));
      (void)finish_return(ret, ret_call, rc);  // a caller that vanished is no reason to stop serving
      have_ret = false;
    }
    abi::CapCqe c;
    if (!until) {
      c = CAPOS_TRY(wait_for(recv.user_data));
    } else {
      for (;;) {
        if (ring().try_take(recv.user_data, &c)) break;
        if (poll_call(*until)) {
          if (on_tick) {
            on_tick(ctx);
            continue;
          }
          release_cap(ep);  // fails the posted RECV with DISCONNECTED
          (void)wait_for(recv.user_data);
          return {};
        }
        if (on_tick && !until->pending) {  // a tick not resubmitted: plain serving
          c = CAPOS_TRY(wait_for(recv.user_data));
          break;
        }
        if (auto r = ring().enter(1); !r) return fail(r.error());
      }
    }
    if (c.result < 0) {
      if (per_call_error(c.result)) continue;
      return fail(transport_error(c.result));
    }
    if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) continue;
    ret = handle_call(ep, g_recv, c.result, server);
    ret_call = *reinterpret_cast<const abi::EndpointMessageHeader*>(g_recv);
    have_ret = true;
  }
}

}  // namespace

Status serve(Cap<schema::wire::Endpoint> endpoint, capnp::Server& server) {
  return serve_loop(endpoint, server, nullptr);
}

Status serve_until(Cap<schema::wire::Endpoint> endpoint, capnp::Server& server, AsyncCall& until) {
  return serve_loop(endpoint, server, &until);
}

Status serve_ticking(Cap<schema::wire::Endpoint> endpoint, capnp::Server& server, AsyncCall& tick,
                     void (*on_tick)(void*), void* ctx) {
  return serve_loop(endpoint, server, &tick, on_tick, ctx);
}

}  // namespace capos::rt
