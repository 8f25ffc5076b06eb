#include "kernel/caps/revoker_cap.h"

#include "kernel/caps/kernel_server.h"

namespace capos {

Ref<Revocable> Revocable::create(Ref<KObject> target, Ref<RevokerCap> scope) {
  void* m = heap::alloc(sizeof(Revocable));
  if (!m) return {};
  auto* r = new (m) Revocable();
  r->target_ = move(target);
  r->scope_ = move(scope);
  return Ref<Revocable>::adopt(r);
}

void Revocable::destroy() {
  this->~Revocable();
  heap::free(this);
}

void RevokerCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status RevokerCap::wrap(R::WrapParams::Reader p, R::WrapResults::Builder r) {
  CallContext& ctx = current_call();
  if (is_revoked()) return fail(Err::Disconnected);
  uint32_t idx = CAPOS_TRY(p.getTarget().get_capability());
  uint64_t iface = 0;
  KObject* held = ctx.xfer ? ctx.xfer->peek(idx, &iface) : nullptr;
  if (!held) return fail(Err::InvalidArgument);
  // A wrapper is never wrapped again: unwrapping would let a holder launder
  // a cap out of its scope, and chains would make CALL dispatch O(depth).
  if (held->type() == ObjType::Revocable) return fail(Err::InvalidArgument);
  CAPOS_TRY_STATUS(ctx.reserve_results(1));  // before anything is taken or made
  Ref<KObject> target = ctx.xfer->take(idx);
  Ref<Revocable> w = Revocable::create(move(target), Ref<RevokerCap>::share(this));
  if (!w) return fail(Err::Overloaded);
  uint32_t out = CAPOS_TRY(ctx.add_result(Ref<KObject>(move(w)), iface));
  r.getWrapped().set_capability(out);
  return {};
}

Status RevokerCap::revoke(R::RevokeParams::Reader, R::RevokeResults::Builder) {
  __atomic_store_n(&revoked_, true, __ATOMIC_RELEASE);
  return {};
}

Status RevokerCap::revoked(R::RevokedParams::Reader, R::RevokedResults::Builder r) {
  r.setRevoked(is_revoked());
  return {};
}

}  // namespace capos
