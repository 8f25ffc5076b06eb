#include "user/rt/caps_call.h"

#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"
#include "user/rt/ring.h"
#include "user/rt/thread_state.h"
#include "user/rt/transport.h"

namespace capos::rt {

namespace wire = schema::wire;

namespace {


using wire_enums::exception_err;

abi::CapSqe call_sqe(uint32_t cap, uint64_t interface_id, uint16_t method_id, Bytes params,
                     MutBytes result) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = cap;
  s.method_id = method_id;
  s.interface_id = interface_id;
  s.params_addr = reinterpret_cast<uint64_t>(params.data());
  s.params_len = static_cast<uint32_t>(params.size());
  s.result_addr = reinterpret_cast<uint64_t>(result.data());
  s.result_len = static_cast<uint32_t>(result.size());
  s.user_data = ring().next_user_data();
  return s;
}

// Shared completion handling: reply framing, exception, result caps.
Status finish(const abi::CapCqe& c, capnp::Response& resp, Span<abi::CapTransferRecord> out,
              uint32_t* n_out) {
  ThreadState& me = self();
  me.exception_len = 0;
  if (n_out) *n_out = 0;
  MutBytes buf = resp.buffer();
  if (c.result == abi::CAP_ERR_APPLICATION_EXCEPTION) {
    capnp::StreamReader<2> r;
    if (!r.init(buf)) return fail(Err::Failed);
    auto ex = wire::CapException::readRoot(r);
    if (!ex) return fail(Err::Failed);
    if (auto m = ex->getMessage()) {
      me.exception_len = min(m->size(), sizeof(me.exception));
      memcpy(me.exception, m->ptr, me.exception_len);
    }
    return fail(exception_err(ex->getType()));
  }
  if (c.result < 0) return fail(transport_error(c.result));
  // Records follow the payload (kernel guarantees they fit the buffer;
  // checked anyway so a bad CQE cannot make us read past it).
  uint32_t caps = (c.flags & abi::CQE_F_CAPS) ? c.cap_count : 0;
  size_t payload = static_cast<size_t>(c.result);
  if (payload + size_t{caps} * sizeof(abi::CapTransferRecord) > buf.size()) return fail(Err::Corrupt);
  for (uint32_t i = 0; i < caps; ++i) {
    abi::CapTransferRecord rec;
    memcpy(&rec, buf.data() + payload + i * sizeof(rec), sizeof(rec));
    if (i < out.size()) {
      out[i] = rec;
    } else {
      release_cap(rec.cap_id);  // more than the caller can hold: drop, never leak
    }
  }
  if (n_out) *n_out = min<uint32_t>(caps, static_cast<uint32_t>(out.size()));
  return resp.complete(payload);
}

}  // namespace

StrView call_exception() { return StrView(self().exception, self().exception_len); }

Status call_with_caps(uint32_t cap, uint64_t interface_id, uint16_t method_id,
                      const capnp::MessageBuilder& params, capnp::Response& resp,
                      Span<const abi::CapTransferDesc> xfer, Span<abi::CapTransferRecord> out,
                      uint32_t* n_out) {
  if (xfer.size() > abi::XFER_MAX) return fail(Err::LimitExceeded);
  uint8_t* scratch = self().params;
  size_t n = CAPOS_TRY(params.write_stream(MutBytes(scratch, abi::IPC_MESSAGE_MAX)));
  abi::CapSqe s = call_sqe(cap, interface_id, method_id, Bytes(scratch, n), resp.buffer());
  s.xfer_addr = reinterpret_cast<uint64_t>(xfer.data());
  s.xfer_count = static_cast<uint16_t>(xfer.size());
  return finish(ring().call(s), resp, out, n_out);
}

Status submit_call(AsyncCall& c, uint32_t cap, uint64_t interface_id, uint16_t method_id,
                   const capnp::MessageBuilder& params, MutBytes result) {
  if (c.pending) return fail(Err::Busy);
  size_t n = CAPOS_TRY(params.write_stream(MutBytes(c.params, sizeof(c.params))));
  abi::CapSqe s = call_sqe(cap, interface_id, method_id, Bytes(c.params, n), result);
  // The SQ holds 16; let the kernel drain it if it is full.
  while (!ring().push(s)) {
    if (auto r = ring().enter(0, abi::CAP_ENTER_NO_WAIT); !r) return fail(r.error());
  }
  c.user_data = s.user_data;
  c.result = result;
  c.pending = true;
  // Hand it to the kernel now, so the call starts without waiting for our
  // next blocking operation.
  (void)ring().enter(0, abi::CAP_ENTER_NO_WAIT);
  return ok_status();
}

bool poll_call(AsyncCall& c) {
  if (!c.pending) return false;
  if (!ring().try_take(c.user_data, &c.cqe)) return false;
  c.pending = false;
  return true;
}

Result<uint32_t> wait_any(Span<AsyncCall* const> calls) {
  for (;;) {
    bool any = false;
    uint64_t mark = ring().stash_mark();
    for (size_t i = 0; i < calls.size(); ++i) {
      if (!calls[i] || !calls[i]->pending) continue;
      any = true;
      if (poll_call(*calls[i])) return static_cast<uint32_t>(i);
    }
    if (!any) return fail(Err::NotFound);
    // Polling call i may have stashed the answer of a call before it: wait
    // only if nothing was stashed meanwhile.
    CAPOS_TRY(ring().wait_new(mark));
  }
}

Status finish_call(const AsyncCall& c, capnp::Response& resp, Span<abi::CapTransferRecord> out,
                   uint32_t* n_out) {
  if (c.pending) return fail(Err::Busy);
  return finish(c.cqe, resp, out, n_out);
}

void release_cap(uint32_t cap) {
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_RELEASE;
  s.cap_id = cap;
  s.user_data = ring().next_user_data();
  (void)ring().call(s);
}

}  // namespace capos::rt
