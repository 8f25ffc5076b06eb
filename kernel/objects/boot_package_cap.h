// BootPackage: read-only access to the boot package — the manifest (with
// binary data stripped) in bounded chunks, and binaries by name. The
// kernel-made BootPackage (init's) may narrow; a narrowed one reads every
// program and data binary plus at most one secret (BinaryKind.secret) and
// cannot narrow again. No BootPackage reads a secret it was not narrowed
// to, so a key in the package reaches exactly the service the manifest
// names (docs/identity.md).
#pragma once

#include "kernel/boot/boot_package.h"
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
  Status narrow(BP::NarrowParams::Reader p, BP::NarrowResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  static constexpr uint32_t kNoSecret = ~0u;
  BootPackageCap() : HeapKernelCap(ObjType::BootPackage) {}
  // Whether binary `index` may be read through this cap.
  bool readable(uint32_t index) const { return !boot_package::is_secret(index) || index == secret_; }
  bool may_narrow_ = true;     // only the kernel-made cap; immutable after creation
  uint32_t secret_ = kNoSecret;  // the one secret a narrowed cap reads
  friend class HeapKernelCap<BootPackageCap>;
};

}  // namespace capos
