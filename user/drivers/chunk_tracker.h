// Device commands per BlockDevice slot (block_server.h): a bulk request is
// split into several device commands; its slot finishes when the last one
// does, with the first failure among them. A completion for a slot with
// nothing outstanding is the device breaking the protocol. Freestanding
// and host-testable (tests/host/drivers). docs/devices.md.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::drivers {

// One finished slot (`done` false: none), with its outcome (a failure's
// code carries a static detail for the caller).
struct SlotReaped {
  bool done = false;
  uint32_t slot = 0;
  Result<void, DetailedErr> outcome;
};

class ChunkTracker {
 public:
  static constexpr uint32_t MAX_SLOTS = 16;
  static constexpr uint32_t MAX_COMMANDS = 255;

  // `slot` now has `commands` (1..MAX_COMMANDS) outstanding. InvalidArgument
  // for a bad slot or count, or a slot that still has commands out.
  Status begin(uint32_t slot, uint32_t commands) {
    if (slot >= MAX_SLOTS || commands == 0 || commands > MAX_COMMANDS || pending_[slot] != 0)
      return fail(Err::InvalidArgument);
    pending_[slot] = static_cast<uint8_t>(commands);
    outcome_[slot] = {};
    return {};
  }
  // One command of `slot` ended with `o`: done when it was the slot's last.
  // Corrupt when the slot had none outstanding.
  Result<SlotReaped> end(uint32_t slot, Result<void, DetailedErr> o) {
    if (slot >= MAX_SLOTS || pending_[slot] == 0) return fail(Err::Corrupt);
    if (!o && outcome_[slot]) outcome_[slot] = o;
    SlotReaped r;
    if (--pending_[slot] == 0) {
      r.done = true;
      r.slot = slot;
      r.outcome = outcome_[slot];
    }
    return r;
  }
  // Forgets `slot`'s commands (none of them reached the device).
  void cancel(uint32_t slot) {
    if (slot < MAX_SLOTS) pending_[slot] = 0;
  }
  uint32_t pending(uint32_t slot) const { return slot < MAX_SLOTS ? pending_[slot] : 0; }

 private:
  uint8_t pending_[MAX_SLOTS] = {};
  Result<void, DetailedErr> outcome_[MAX_SLOTS];
};

}  // namespace capos::drivers
