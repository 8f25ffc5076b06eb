// EntropySource: bytes from the kernel CSPRNG (kernel/dev/entropy.h),
// at most maxEntropyBytes per call; fails closed when unseeded.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class EntropyCap final : public HeapKernelCap<EntropyCap>, public schema::wire::EntropySource::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;

  Status getBytes(schema::wire::EntropySource::GetBytesParams::Reader p,
                  schema::wire::EntropySource::GetBytesResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  EntropyCap() : HeapKernelCap(ObjType::EntropySource) {}
  friend class HeapKernelCap<EntropyCap>;
};

}  // namespace capos
