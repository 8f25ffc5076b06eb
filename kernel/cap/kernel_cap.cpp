#include "kernel/cap/kernel_cap.h"

#include "kernel/proc/process.h"

namespace capos {

Status CallContext::reserve_results(uint32_t n) {
  if (result_slots.size() + n > MAX_RESULT_CAPS) return fail(Err::LimitExceeded);
  for (uint32_t i = 0; i < n; ++i) {
    auto r = caller.caps().reserve();
    // A full table is a bounded resource exhausted, like the CapSlots
    // quota: the caller sees overloaded either way.
    if (!r) return fail(r.error() == Err::OutOfRange ? Err::Overloaded : r.error());  // reserved slots roll back
    if (!result_slots.push_back(move(*r))) __builtin_trap();
  }
  return {};
}

Result<uint32_t> CallContext::add_result(Ref<KObject> obj, uint64_t iface, uint8_t flags) {
  if (!obj || result_caps.size() >= result_slots.size()) return fail(Err::LimitExceeded);
  uint32_t index = static_cast<uint32_t>(result_caps.size());
  ResultCap rc;
  rc.object = move(obj);
  rc.interface_id = iface;
  rc.flags = flags;
  if (!result_caps.push_back(move(rc))) __builtin_trap();
  return index;
}

}  // namespace capos
