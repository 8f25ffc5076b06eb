#include "kernel/objects/boot_package_cap.h"

#include "kernel/boot/boot_package.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/mm/heap.h"

namespace capos {

namespace wire = schema::wire;
using BP = wire::BootPackage;

namespace {
// A chunk request [offset, offset+max) clipped to `size`.
Result<Bytes> chunk(Bytes all, uint64_t offset, uint32_t max) {
  if (max > wire::MAX_BOOT_PACKAGE_CHUNK) return fail(Err::InvalidArgument);
  if (offset > all.size()) return fail(Err::OutOfRange);
  return all.subspan(offset, min(uint64_t{max}, all.size() - offset));
}
}  // namespace

void BootPackageCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status BootPackageCap::manifestSize(BP::ManifestSizeParams::Reader, BP::ManifestSizeResults::Builder r) {
  r.setSize(boot_package::metadata().size());
  return {};
}

Status BootPackageCap::readManifest(BP::ReadManifestParams::Reader p, BP::ReadManifestResults::Builder r) {
  Bytes c = CAPOS_TRY(chunk(boot_package::metadata(), p.getOffset(), p.getMaxBytes()));
  return r.setData(c);
}

Status BootPackageCap::findBinary(BP::FindBinaryParams::Reader p, BP::BinaryLookup::Builder r) {
  StrView name = CAPOS_TRY(p.getName());
  for (uint32_t i = 0; i < boot_package::binary_count(); ++i) {
    if (!(boot_package::binary_name(i) == name) || !readable(i)) continue;
    auto f = r.initFound();
    f.setSize(boot_package::find_binary(name).size());
    f.setIndex(i);
    return {};
  }
  r.setNotFound();
  return {};
}

Status BootPackageCap::readBinary(BP::ReadBinaryParams::Reader p, BP::BinaryChunk::Builder r) {
  StrView name = CAPOS_TRY(p.getName());
  Bytes bin = boot_package::find_binary(name);
  auto secret = boot_package::find_secret(name);
  if (bin.empty() || (secret && !readable(*secret))) {
    r.setNotFound();
    return {};
  }
  Bytes c = CAPOS_TRY(chunk(bin, p.getOffset(), p.getMaxBytes()));
  return r.setData(c);
}

Status BootPackageCap::listBinaries(BP::ListBinariesParams::Reader p, BP::ListBinariesResults::Builder r) {
  uint32_t total = boot_package::binary_count();
  uint32_t off = min(p.getOffset(), total);
  uint32_t n = min(p.getMaxEntries(), total - off);
  auto names = CAPOS_TRY(r.initNames(n));
  for (uint32_t i = 0; i < n; ++i) CAPOS_TRY_STATUS(names.set(i, boot_package::binary_name(off + i)));
  r.setTotal(total);
  return {};
}

Status BootPackageCap::narrow(BP::NarrowParams::Reader p, BP::NarrowResults::Builder r) {
  if (!may_narrow_) return fail(Err::PermissionDenied);  // authority only shrinks, once
  StrView name = CAPOS_TRY(p.getSecret());
  uint32_t secret = kNoSecret;
  if (!name.empty()) {
    auto found = boot_package::find_secret(name);
    if (!found) return fail(Err::InvalidArgument);  // no such binary, or not a secret
    secret = *found;
  }
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  Ref<BootPackageCap> obj = BootPackageCap::create();
  if (!obj) return fail(Err::Overloaded);
  obj->may_narrow_ = false;
  obj->secret_ = secret;
  r.setPackage(CAPOS_TRY(ctx.add_result(move(obj), BP::kInterfaceId)));
  return {};
}

}  // namespace capos
