// Failed-login rate limit of the SessionManager: pure logic, host-tested.
// Each failure doubles the delay the next check must wait for (1 s, 2 s,
// 4 s, ... at most 16 s), counted across all users so guessing different
// names gains nothing; a success resets it.
#pragma once

#include <stdint.h>

namespace capos::identity {

class LoginRateLimit {
 public:
  static constexpr uint64_t kFirstDelayNs = 1'000'000'000;
  static constexpr uint64_t kMaxDelayNs = 16'000'000'000;

  // How long a check arriving at `now` must wait first (0 = at once).
  uint64_t wait_before_check(uint64_t now) const { return now < next_allowed_ ? next_allowed_ - now : 0; }
  // A failed check finished at `now`: returns the delay now imposed.
  uint64_t failure(uint64_t now) {
    uint64_t d = kFirstDelayNs;
    for (uint32_t i = 0; i < failures_ && d < kMaxDelayNs; ++i) d *= 2;
    if (d > kMaxDelayNs) d = kMaxDelayNs;
    if (failures_ < 64) ++failures_;
    next_allowed_ = now + d;
    return d;
  }
  void success() {
    failures_ = 0;
    next_allowed_ = 0;
  }
  uint32_t failures() const { return failures_; }

 private:
  uint32_t failures_ = 0;
  uint64_t next_allowed_ = 0;
};

}  // namespace capos::identity
