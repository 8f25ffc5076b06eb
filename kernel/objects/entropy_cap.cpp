#include "kernel/objects/entropy_cap.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/dev/entropy.h"
#include "kernel/mm/heap.h"

namespace capos {

namespace wire = schema::wire;

void EntropyCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status EntropyCap::getBytes(wire::EntropySource::GetBytesParams::Reader p,
                            wire::EntropySource::GetBytesResults::Builder r) {
  uint32_t n = p.getCount();
  if (n == 0 || n > wire::MAX_ENTROPY_BYTES) return fail(Err::InvalidArgument);
  // Fail closed before building anything: no seed, no bytes.
  if (!entropy::seeded()) return fail(Err::Failed);
  MutBytes out = CAPOS_TRY(r.initData(n));
  if (!entropy::get(out)) return fail(Err::Failed);
  return {};
}

}  // namespace capos
