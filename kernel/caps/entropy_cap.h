// EntropySource: bytes from the kernel CSPRNG (kernel/dev/entropy.h),
// at most maxEntropyBytes per call; fails closed when unseeded.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class EntropyCap final : public HeapKernelCap<EntropyCap>, public schema::wire::EntropySource::Server {
 public:
  void invoke(CallContext& ctx) override;

  Status getBytes(schema::wire::EntropySource::GetBytesParams::Reader p,
                  schema::wire::EntropySource::GetBytesResults::Builder r) override;

 private:
  EntropyCap() : HeapKernelCap(ObjType::EntropySource) {}
  friend class HeapKernelCap<EntropyCap>;
};

}  // namespace capos
