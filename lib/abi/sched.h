// SchedulingContext's contract (schema/process.capnp), shared by the
// kernel (SchedulingContext.mint) and the manifest validator (a service's
// `schedule` is minted by init from its root context, so mkmanifest refuses
// what mint would refuse).
#pragma once

#include <stdint.h>

namespace capos::abi {

// Depth of a minted chain (a root context is depth 0); bounds every walk.
constexpr uint32_t BUDGET_MAX_DEPTH = 8;
constexpr uint32_t SCHED_WEIGHT_ROOT = 1024;

// SchedulingContext.mint's rules (schema/process.capnp): why a child with
// weight `w` and `b` us per `per` us may not be minted from a parent with
// `pw`, `pb` per `pp` at depth `pdepth`, or null when it may. A child never
// gets a higher weight or a larger share than its parent.
constexpr uint32_t PERIOD_MIN_US = 10'000, PERIOD_MAX_US = 1'000'000, BUDGET_MIN_US = 1'000;
constexpr const char* mint_refusal(uint32_t pw, uint32_t pb, uint32_t pp, uint32_t pdepth, uint32_t w, uint32_t b,
                                   uint32_t per) {
  if (w < 1 || w > 1024) return "weight must be 1..1024";
  if (w > pw) return "a minted context cannot have a higher weight than its parent";
  if (b == 0 && per != 0) return "a context without a budget has period 0";
  if (b != 0 && (per < PERIOD_MIN_US || per > PERIOD_MAX_US)) return "periodUs must be 10000..1000000";
  if (b != 0 && (b < BUDGET_MIN_US || b > per)) return "budgetUs must be 1000..periodUs";
  if (pb && (b == 0 || uint64_t{b} * pp > uint64_t{pb} * per))
    return "a minted context cannot have a larger CPU share than its parent";
  if (pdepth + 1 >= BUDGET_MAX_DEPTH) return "contexts nest at most 8 deep";
  return nullptr;
}

}  // namespace capos::abi
