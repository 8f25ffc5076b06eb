#include "user/rt/ring.h"

#include "lib/abi/cap_err.h"

#include "user/rt/rt.h"
#include "user/rt/syscall.h"

namespace capos::rt {


Result<uint32_t> Ring::enter(uint32_t min_complete, uint64_t timeout_ns) {
  int64_t r = cap_enter(min_complete, timeout_ns);
  if (r < 0) return fail(abi::cap_err_to_err(static_cast<int32_t>(r)));
  return static_cast<uint32_t>(r);
}

bool Ring::take_stashed(uint64_t user_data, abi::CapCqe* out) {
  for (uint32_t i = 0; i < stashed_; ++i) {
    if (stash_[i].user_data != user_data) continue;
    *out = stash_[i];
    stash_[i] = stash_[--stashed_];
    return true;
  }
  return false;
}

void Ring::stash(const abi::CapCqe& c) {
  ++stash_total_;
  // More completions set aside than the CQ holds means the program keeps
  // operations in flight it never collects: dropping one would lose a
  // completion (and its result caps) silently, so the program stops here.
  if (stashed_ == STASH) panic("ring: more than 32 uncollected completions stashed (a lost completion otherwise)");
  stash_[stashed_++] = c;
}

Result<uint32_t> Ring::wait_new(uint64_t mark, uint64_t timeout_ns) {
  if (stash_total_ != mark) return 0u;
  return enter(1, timeout_ns);
}

bool Ring::try_take(uint64_t user_data, abi::CapCqe* out) {
  if (take_stashed(user_data, out)) return true;
  abi::CapCqe c;
  while (pop(&c)) {
    if (c.user_data == user_data) {
      *out = c;
      return true;
    }
    stash(c);
  }
  return false;
}

// Both out of line, each with the wait loop inlined: call() is on every
// typed call's and PARK's path, await() on the in-place one.
abi::CapCqe Ring::call(const abi::CapSqe& sqe) {
  while (!push(sqe)) (void)enter(0, abi::CAP_ENTER_NO_WAIT);
  return wait_for(sqe.user_data);
}

abi::CapCqe Ring::await(uint64_t user_data) { return wait_for(user_data); }

[[gnu::always_inline]] inline abi::CapCqe Ring::wait_for(uint64_t user_data) {
  // Enter first: the kernel consumes this thread's SQ only inside this
  // thread's cap_enter, so before it nothing in the stash or the CQ can
  // be this SQE's completion (looking would cost every call a pass).
  for (;;) {
    // The raw syscall: a refusal becomes this call's CQE result, the code
    // itself (CAP_ERR_*), which the caller maps like any other.
    int64_t r = cap_enter(1, abi::CAP_ENTER_FOREVER);
    abi::CapCqe c;
    if (r < 0) {
      c = abi::CapCqe{};
      c.user_data = user_data;
      c.result = static_cast<int32_t>(r);
      return c;
    }
    if (take_stashed(user_data, &c)) return c;
    while (pop(&c)) {
      if (c.user_data == user_data) return c;
      stash(c);  // someone else's completion
    }
  }
}

}  // namespace capos::rt
