#include "kernel/objects/kernel_server.h"

#include "kernel/debug/measure.h"
#include "kernel/debug/panic.h"
#include "lib/core/format.h"
#include "kernel/sched/scheduler.h"
#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"

namespace capos {

namespace wire = schema::wire;

using wire_enums::exception_type;

CallContext& current_call() {
  Thread* t = sched::current();
  if (!t || !t->call_ctx) panic("current_call() outside a kernel-cap dispatch");
  return *static_cast<CallContext*>(t->call_ctx);
}

void write_exception(CallContext& ctx, Err e, StrView message) {
  ctx.exception = true;
  ctx.result_size = 0;
  capnp::FixedMessageBuilder mb(ctx.results);
  auto ex = wire::CapException::initRoot(mb);
  if (!ex) return;  // scratch too small for even an exception: empty payload
  ex->setType(exception_type(e));
  ex->setInterfaceId(ctx.interface_id);
  ex->setMethodId(ctx.method_id);
  if (message.empty()) message = err_name(e);
  (void)ex->setMessage(message);
  ctx.result_size = mb.framed().size();
}

Status preflight_address_change(UserAddr at, uint64_t len) {
  uint64_t addr = at.raw();
  CallContext& ctx = current_call();
  // The methods that use this answer an empty struct, already framed in
  // full when they run: its size now is the size of the reply.
  if (!ctx.reply || ctx.reply->stream_size() > ctx.result.len) {
    format_to(ctx.fail_message, sizeof ctx.fail_message, "the result buffer cannot hold the reply; nothing was changed");
    return fail(Err::InvalidArgument);
  }
  uint64_t end = addr + len < addr ? ~0ull : addr + len;  // saturate: overlap stays decidable
  uint64_t rstart = ctx.result.addr.raw();
  uint64_t rend = rstart + ctx.result.len;  // checked user range: no wrap
  if (ctx.result.len && addr < rend && rstart < end) {
    format_to(ctx.fail_message, sizeof ctx.fail_message, "the range holds this call's result buffer; nothing was changed");
    return fail(Err::InvalidArgument);
  }
  return {};
}

namespace {

// Decodes a non-empty params message with the kernel's reader limits and
// runs the method on its root (out of line: a call without params never
// builds the reader).
[[gnu::noinline]] Status dispatch_with_params(capnp::Server& server, CallContext& ctx,
                                              capnp::MessageBuilder& results) {
  capnp::StreamReader<4> params;
  capnp::ReaderOptions opts{KERNEL_PARAMS_TRAVERSAL_WORDS, KERNEL_PARAMS_NESTING};
  if (Status st = params.init(ctx.params, opts); !st) {
    format_to(ctx.fail_message, sizeof ctx.fail_message, "params are not a valid Cap'n Proto message");
    return fail(Err::InvalidArgument);
  }
  auto root = params.root();
  if (!root) {
    format_to(ctx.fail_message, sizeof ctx.fail_message, "params message has no root struct");
    return fail(Err::InvalidArgument);
  }
  CAPOS_MEASURE_SEG(Body);
  return server.dispatch(ctx.interface_id, ctx.method_id, *root, results);
}

}  // namespace

void dispatch_kernel_server(capnp::Server& server, CallContext& ctx) {
  Thread* t = sched::current();
  void* saved = t->call_ctx;
  t->call_ctx = &ctx;
  capnp::FixedMessageBuilder results(ctx.results);
  ctx.reply = &results;
  Status st;
  if (ctx.params.empty()) {
    // No params message (params_len = 0) is the default struct, as
    // StreamReader::init_params reads zero bytes (docs/abi.md "Empty
    // params"): a reader with no data and no pointers, nothing to parse.
    CAPOS_MEASURE_SEG(Body);
    st = server.dispatch(ctx.interface_id, ctx.method_id, capnp::StructReader(), results);
  } else {
    st = dispatch_with_params(server, ctx, results);
  }
  CAPOS_MEASURE_SEG(Encode);
  ctx.reply = nullptr;
  t->call_ctx = saved;
  if (!st) {
    write_exception(ctx, st.error(), StrView(ctx.fail_message));
    return;
  }
  ctx.result_size = results.framed().size();
}

}  // namespace capos
