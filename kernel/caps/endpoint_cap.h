// EndpointFactory: creates endpoints owned by the caller (the owner facet
// and a first client facet). Needs no authority beyond quota: the two
// result caps take cap slots, the endpoint itself lives as long as a facet.
// The Endpoint owner facet's own methods (info, mintClient) live in
// endpoint_cap.cpp too.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/ipc.capnp.capos.h"

namespace capos {

class EndpointFactoryCap final : public HeapKernelCap<EndpointFactoryCap>,
                                 public schema::wire::EndpointFactory::Server {
 public:
  using EF = schema::wire::EndpointFactory;
  // (EndpointFactory.create hides HeapKernelCap::create.)
  static Ref<KObject> make() { return HeapKernelCap<EndpointFactoryCap>::create(); }
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status create(EF::CreateParams::Reader p, EF::CreateResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status createRevoker(EF::CreateRevokerParams::Reader, EF::CreateRevokerResults::Builder r)
      CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  EndpointFactoryCap() : HeapKernelCap(ObjType::EndpointFactory) {}
  friend class HeapKernelCap<EndpointFactoryCap>;
};

}  // namespace capos
