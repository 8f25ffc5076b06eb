// BootPackage: read-only access to the boot package — the manifest (with
// binary data stripped) in bounded chunks, and binaries by name.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/manifest.capnp.capos.h"

namespace capos {

class BootPackageCap final : public HeapKernelCap<BootPackageCap>, public schema::wire::BootPackage::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  using BP = schema::wire::BootPackage;
  Status manifestSize(BP::ManifestSizeParams::Reader, BP::ManifestSizeResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status readManifest(BP::ReadManifestParams::Reader p, BP::ReadManifestResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status findBinary(BP::FindBinaryParams::Reader p, BP::BinaryLookup::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status readBinary(BP::ReadBinaryParams::Reader p, BP::BinaryChunk::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status listBinaries(BP::ListBinariesParams::Reader p, BP::ListBinariesResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  BootPackageCap() : HeapKernelCap(ObjType::BootPackage) {}
  friend class HeapKernelCap<BootPackageCap>;
};

}  // namespace capos
