// PARK / UNPARK: the futex-like ring operations every blocking primitive
// of the runtime is built on (semantics: docs/threads.md).
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::rt {

constexpr uint64_t PARK_FOREVER = ~0ull;
constexpr uint32_t UNPARK_ALL = 4096;  // the kernel's UNPARK_MAX: every waiter

// Sleeps while *word == expected, until an UNPARK on `word`, the timeout
// or the word's page going away. Err::ValueChanged at once if the word
// already differs; TimedOut; Cancelled.
Status park(const uint32_t* word, uint32_t expected, uint64_t timeout_ns = PARK_FOREVER);
// Wakes up to `count` threads parked on `word`; how many were woken.
Result<uint32_t> unpark(const uint32_t* word, uint32_t count);

}  // namespace capos::rt
