// MemoryObject: a fixed set of zeroed frames, mappable into the caller's
// address space and shareable by passing the capability. Lifetime rule:
// every capability reference and every mapping holds a reference; the
// frames are freed when the last of either goes (so releasing the cap
// while mapped never leaves a dangling mapping). The frames are charged
// (FramePages) to one payer at a time: the allocating process, and when a
// payer exits while the object lives on, a process that still holds or
// maps it (FrameCharge; docs/memory.md).
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "kernel/proc/address_space.h"
#include "schema/memory.capnp.capos.h"

namespace capos {

class MemoryObjectCap final : public KernelCap, public schema::wire::MemoryObject::Server {
 public:
  // Largest object (pages); the per-process FramePages quota is the real bound.
  static constexpr uint32_t MAX_PAGES = 16384;
  // `pages` fresh zeroed frames; OutOfMemory if the frames or the kernel
  // heap run out (nothing is kept then). Not yet charged to anyone.
  static Result<Ref<MemoryObjectCap>> create(uint32_t pages);
  static bool holds_type(ObjType t) { return t == ObjType::MemoryObject; }
  // Charges the frames to `payer` (already committed to its ledger).
  void set_payer(AddressSpace& payer) CAPOS_REQUIRES(g_kernel_lock) { payer.attach_charge(charge_, this, pages_); }
  // The space currently charged for the frames (null once unpaid).
  const AddressSpace* payer() const { return charge_.payer; }
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Span<const uint64_t> frames() const { return Span<const uint64_t>(frames_, pages_); }

  using MO = schema::wire::MemoryObject;
  Status info(MO::InfoParams::Reader p, MO::InfoResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status map(MO::MapParams::Reader p, MO::MapResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status unmap(MO::UnmapParams::Reader p, MO::UnmapResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

  // Objects alive now (tests check for leaks).
  static uint32_t live_count();

 private:
  explicit MemoryObjectCap(uint32_t pages, uint64_t* frames)
      : KernelCap(ObjType::MemoryObject), pages_(pages), frames_(frames) {}
  void destroy() CAPOS_REQUIRES(g_kernel_lock) override;
  uint32_t pages_;
  uint64_t* frames_;  // physical addresses, heap array of pages_
  FrameCharge charge_;
};

}  // namespace capos
