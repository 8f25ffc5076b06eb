// EntropySource: bytes from the kernel CSPRNG (kernel/dev/entropy.h),
// at most maxEntropyBytes per call; fails closed when unseeded.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class EntropyCap final : public KernelCap, public schema::wire::EntropySource::Server {
 public:
  static Ref<KObject> create();
  void invoke(CallContext& ctx) override;

  Status getBytes(schema::wire::EntropySource::GetBytesParams::Reader p,
                  schema::wire::EntropySource::GetBytesResults::Builder r) override;

 private:
  EntropyCap() : KernelCap(ObjType::EntropySource) {}
  void destroy() override;
};

}  // namespace capos
