// Waiting on several posted RECVs at once: the loop every server that
// owns more than one endpoint runs (rt::ServeSet, fsd's object table,
// tlsd). Each endpoint has at most one RECV posted; the caller keeps its
// user_data and hands the list in.
#pragma once

#include <stdint.h>

#include "lib/abi/ring.h"
#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::rt {

// Posts a RECV on endpoint `ep` into `buf` (waits for SQ room) and returns
// its user_data, never 0.
uint64_t post_recv(uint32_t ep, uint8_t* buf, uint32_t len);

// RECV failures that concern one call only; the endpoint stays usable.
// Any other failure means the endpoint is gone.
bool recv_error_is_per_call(int32_t result);

struct RecvDone {
  uint32_t index;    // which entry of `posted` completed
  abi::CapCqe cqe;   // its completion (result < 0: the RECV failed)
};

// Waits until one of the posted RECVs completes and takes its completion.
// posted[i] is entry i's RECV user_data, 0 for an entry with none posted
// (at least one must be posted). Fails only when the ring refuses to wait
// (cap_enter's error).
Result<RecvDone> wait_any_recv(Span<const uint64_t> posted);

}  // namespace capos::rt
