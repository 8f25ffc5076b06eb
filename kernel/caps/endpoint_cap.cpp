#include "kernel/caps/endpoint_cap.h"

#include "kernel/caps/kernel_server.h"
#include "kernel/caps/revoker_cap.h"
#include "kernel/ipc/endpoint.h"

namespace capos {

namespace wire = schema::wire;

namespace {

// The interface id a client facet carries: the served interface, or
// ClientEndpoint's id for an untyped endpoint (schema/ipc.capnp).
uint64_t client_interface(const EndpointCore& core) {
  return core.interface_id() ? core.interface_id() : wire::ClientEndpoint::kInterfaceId;
}

}  // namespace

void EndpointOwner::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status EndpointOwner::info(wire::Endpoint::InfoParams::Reader, wire::Endpoint::InfoResults::Builder r) {
  EndpointCore& core = *core_.get();
  r.setServedInterfaceId(core.interface_id());
  r.setPendingCalls(static_cast<uint32_t>(core.queued.size()));
  r.setPendingReceives(static_cast<uint32_t>(core.recvs.size()));
  r.setInFlightCalls(core.inflight.size());
  return {};
}

Status EndpointOwner::mintClient(wire::Endpoint::MintClientParams::Reader,
                                 wire::Endpoint::MintClientResults::Builder r) {
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));  // the caller's cap-slot quota, before any object exists
  Ref<ClientEndpoint> facet = ClientEndpoint::create(core_);
  if (!facet) return fail(Err::Overloaded);
  uint32_t idx = CAPOS_TRY(ctx.add_result(Ref<KObject>(move(facet)), client_interface(*core_.get())));
  r.getClient().set_capability(idx);
  return {};
}

void EndpointFactoryCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status EndpointFactoryCap::create(EF::CreateParams::Reader p, EF::CreateResults::Builder r) {
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(2));
  Ref<EndpointCore> core = EndpointCore::create(p.getServedInterfaceId());
  if (!core) return fail(Err::Overloaded);
  Ref<ClientEndpoint> client = ClientEndpoint::create(core);
  Ref<EndpointOwner> owner = EndpointOwner::create(move(core));
  if (!client || !owner) return fail(Err::Overloaded);
  uint64_t client_iface = client_interface(*owner->core());
  uint32_t o = CAPOS_TRY(ctx.add_result(Ref<KObject>(move(owner)), wire::Endpoint::kInterfaceId));
  uint32_t c = CAPOS_TRY(ctx.add_result(Ref<KObject>(move(client)), client_iface));
  r.setOwner(o);
  r.getClient().set_capability(c);
  return {};
}

Status EndpointFactoryCap::createRevoker(EF::CreateRevokerParams::Reader, EF::CreateRevokerResults::Builder r) {
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  Ref<KObject> rv = RevokerCap::create();
  if (!rv) return fail(Err::Overloaded);
  r.setRevoker(CAPOS_TRY(ctx.add_result(move(rv), wire::Revoker::kInterfaceId)));
  return {};
}

}  // namespace capos
