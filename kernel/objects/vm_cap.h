// VirtualMemory: anonymous memory in one process's address space (the
// process it was created for; ObjType::VirtualMemory). Calls from any
// other process are refused (invalidArgument), so a leaked or transferred
// VirtualMemory grants nothing. The work is AddressSpace::vm_*.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/memory.capnp.capos.h"

namespace capos {

class AddressSpace;

// Protection struct -> mm::kProt* bits (read implied by write/execute).
uint8_t decode_prot(schema::wire::Protection::Reader p);
template <class P> Result<uint8_t> prot_of(P p) {
  if (!p.hasProt()) return uint8_t{0};  // absent: no access
  return decode_prot(CAPOS_TRY(p.getProt()));
}

class VmCap final : public HeapKernelCap<VmCap>, public schema::wire::VirtualMemory::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;

  using VM = schema::wire::VirtualMemory;
  Status map(VM::MapParams::Reader p, VM::MapResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status unmap(VM::UnmapParams::Reader p, VM::UnmapResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status protect(VM::ProtectParams::Reader p, VM::ProtectResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status reserve(VM::ReserveParams::Reader p, VM::ReserveResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status commit(VM::CommitParams::Reader p, VM::CommitResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status decommit(VM::DecommitParams::Reader p, VM::DecommitResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  explicit VmCap(uint32_t pid) : HeapKernelCap(ObjType::VirtualMemory), pid_(pid) {}
  friend class HeapKernelCap<VmCap>;
  Result<AddressSpace*> space();
  uint32_t pid_;
};

}  // namespace capos
