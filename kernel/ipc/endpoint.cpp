#include "kernel/ipc/endpoint.h"

#include "kernel/dev/hwrng.h"
#include "kernel/ipc/ipc_internal.h"
#include "kernel/mm/heap.h"
#include "lib/crypto/siphash.h"

namespace capos {

Ref<EndpointCore> EndpointCore::create(uint64_t interface_id) {
  void* m = heap::alloc(sizeof(EndpointCore));
  if (!m) return {};
  auto* c = new (m) EndpointCore();
  c->interface_id_ = interface_id;
  c->scope_ = hwrng::best_effort64();
  return Ref<EndpointCore>::adopt(c);
}

void EndpointCore::compute_ref(uint64_t session_id) {
  capos::scoped_ref(hwrng::scoped_ref_key(), scope_, session_id, ref_);
  ref_session_ = session_id;
  ref_cached_ = true;
}

void EndpointCore::owner_released() {
  if (--owners_ == 0) kill();
}

void EndpointCore::kill() {
  if (dead_) return;
  dead_ = true;
  ++epoch_;
  ipc::fail_everything(*this);
}

void EndpointCore::destroy() { heap::destroy(this); }

Ref<EndpointOwner> EndpointOwner::create(Ref<EndpointCore> core) {
  if (!core) return {};
  EndpointCore* c = core.get();
  void* m = heap::alloc(sizeof(EndpointOwner));
  if (!m) return {};
  auto* o = new (m) EndpointOwner(move(core));
  c->owner_retained();
  return Ref<EndpointOwner>::adopt(o);
}

void EndpointOwner::destroy() {
  // Reached through a reference count, which the analysis cannot follow;
  // every release happens in kernel code holding the lock.
  g_kernel_lock.assert_held();
  core_->owner_released();
  heap::destroy(this);
}

Ref<ClientEndpoint> ClientEndpoint::create(Ref<EndpointCore> core) {
  if (!core) return {};
  void* m = heap::alloc(sizeof(ClientEndpoint));
  if (!m) return {};
  return Ref<ClientEndpoint>::adopt(new (m) ClientEndpoint(move(core)));
}

void ClientEndpoint::destroy() { heap::destroy(this); }

}  // namespace capos
