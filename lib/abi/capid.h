// CapId: a process-local capability name = slot index | generation.
// Low 16 bits index the capability table; high 16 bits hold the slot's
// generation, bumped on every release so stale ids are rejected.
#pragma once

#include <stdint.h>

namespace capos::abi {

constexpr uint32_t CAPID_INDEX_BITS = 16;
constexpr uint32_t CAPID_INDEX_MASK = (1u << CAPID_INDEX_BITS) - 1;
constexpr uint32_t CAP_TABLE_MAX_SLOTS = 1024;  // hard upper bound per process
constexpr uint32_t CAPID_INVALID = 0xFFFFFFFFu;

constexpr uint32_t capid_make(uint32_t index, uint16_t generation) {
  return (static_cast<uint32_t>(generation) << CAPID_INDEX_BITS) | (index & CAPID_INDEX_MASK);
}
constexpr uint32_t capid_index(uint32_t id) { return id & CAPID_INDEX_MASK; }
constexpr uint16_t capid_generation(uint32_t id) { return static_cast<uint16_t>(id >> CAPID_INDEX_BITS); }

}  // namespace capos::abi
