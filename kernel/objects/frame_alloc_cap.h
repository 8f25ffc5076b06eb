// FrameAllocator: hands out frames only as MemoryObject result
// capabilities (never physical addresses), charged to the caller.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/memory.capnp.capos.h"

namespace capos {

class FrameAllocCap final : public HeapKernelCap<FrameAllocCap>, public schema::wire::FrameAllocator::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;

  Status allocate(schema::wire::FrameAllocator::AllocateParams::Reader p,
                  schema::wire::FrameAllocator::AllocateResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  FrameAllocCap() : HeapKernelCap(ObjType::FrameAllocator) {}
  friend class HeapKernelCap<FrameAllocCap>;
};

}  // namespace capos
