// Revoker and the wrappers it makes (docs/identity.md, schema/ipc.capnp).
// A Revocable is what a wrapped cap slot names: the CALL dispatcher
// (kernel/ring/dispatch.cpp) forwards through it to the wrapped object
// while its scope is live and answers CAP_ERR_DISCONNECTED after revoke.
// Copies and transfers share the one Revocable, so revoking reaches caps
// a session handed to its children too.
//
// Payer: a Revocable is kernel heap charged to nobody beyond the cap slot
// the wrap result takes (like an endpoint client facet); it lives while a
// slot names it and keeps its target alive that long (a stale wrapper
// still pins the target object, never its authority).
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/ipc.capnp.capos.h"

namespace capos {

class RevokerCap final : public HeapKernelCap<RevokerCap>, public schema::wire::Revoker::Server {
 public:
  using R = schema::wire::Revoker;
  static bool holds_type(ObjType t) { return t == ObjType::Revoker; }
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status wrap(R::WrapParams::Reader p, R::WrapResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status revoke(R::RevokeParams::Reader, R::RevokeResults::Builder) CAPOS_REQUIRES(g_kernel_lock) override;
  Status revoked(R::RevokedParams::Reader, R::RevokedResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  bool is_revoked() const { return __atomic_load_n(&revoked_, __ATOMIC_ACQUIRE); }

 private:
  RevokerCap() : HeapKernelCap(ObjType::Revoker) {}
  friend class HeapKernelCap<RevokerCap>;
  bool revoked_ = false;
};

class Revocable final : public KObject {
 public:
  static bool holds_type(ObjType t) { return t == ObjType::Revocable; }
  // A wrapper of `target` in `scope`; null when the kernel heap is exhausted.
  static Ref<Revocable> create(Ref<KObject> target, Ref<RevokerCap> scope);
  // The object CALLs go to, or null once the scope is revoked.
  KObject* target() const { return scope_->is_revoked() ? nullptr : target_.get(); }
  const KObject* call_target() const override { return target(); }

 private:
  Revocable() : KObject(ObjType::Revocable) {}
  void destroy() override;
  Ref<KObject> target_;
  Ref<RevokerCap> scope_;
};

}  // namespace capos
