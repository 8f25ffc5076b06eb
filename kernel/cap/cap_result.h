// The outcome of a capability operation in the kernel: CapResult =
// Result<Completion, CapError>.
//   Completion  Done (the CQE result is `bytes`) or Pending (a CQ slot is
//               reserved; the completion is posted later). No in-band
//               sentinel: a pending operation is a different value.
//   CapError    a transport error (abi::CapErr, lib/abi/errors.h) with a
//               static detail string saying which check failed; it points
//               at a constant made per failure site (CAPOS_CAP_FAIL), so it
//               is one word.
// Both fit a register, so a CapResult is returned in two (lib/core/result.h)
// and the typed hot path costs what the bare int32_t did. Portable: the
// host tests use it as the kernel does.
#pragma once

#include <stdint.h>

#include "lib/abi/errors.h"
#include "lib/core/result.h"

namespace capos {

class Completion {
 public:
  static constexpr Completion done(uint32_t bytes = 0) { return Completion(bytes); }
  static constexpr Completion pending() { return Completion(-1); }
  constexpr bool is_pending() const { return v_ < 0; }
  constexpr uint32_t bytes() const { return static_cast<uint32_t>(v_); }

 private:
  // One word, pending as its sign: telling the two apart is one test on
  // the ring's hot path.
  constexpr explicit Completion(int64_t v) : v_(v) {}
  int64_t v_;
};

struct CapErrorInfo {
  abi::CapErr code;
  const char* detail;
};

namespace detail {
inline constexpr CapErrorInfo kNoCapError = {abi::CapErr::INVOKE_FAILED, "no error (Result::error() of a success)"};
}  // namespace detail

class CapError {
 public:
  constexpr CapError() : info_(&detail::kNoCapError) {}
  constexpr explicit CapError(const CapErrorInfo* info) : info_(info) {}
  constexpr abi::CapErr code() const { return info_->code; }
  constexpr const char* detail() const { return info_->detail; }
  // The negative CQE result.
  constexpr int32_t cqe_result() const { return static_cast<int32_t>(info_->code); }

 private:
  const CapErrorInfo* info_;
};

[[gnu::cold, gnu::noinline]] CapError cap_error(const CapErrorInfo* info);

// Returned in registers (lib/core/result.h).
template <> inline constexpr bool trivial_result<Completion, CapError> = true;
template <> inline constexpr bool trivial_result<uint32_t, CapError> = true;

using CapResult = Result<Completion, CapError>;
using CapStatus = Result<void, CapError>;

// A cap-table lookup that failed: a stale generation (or a slot pinned
// for a move) or no capability at all. The one Err -> CapError mapping of
// the ring paths.
inline CapError lookup_error(Err e) {
  static constexpr CapErrorInfo stale{abi::CapErr::STALE_CAP, "the cap id's generation does not match its slot"};
  static constexpr CapErrorInfo invalid{abi::CapErr::INVALID_CAP, "no capability at this cap id"};
  return CapError(e == Err::Stale ? &stale : &invalid);
}

// The CQE result of a finished operation (never of a pending one).
inline int32_t cqe_result(const Result<uint32_t, CapError>& r) {
  return r ? static_cast<int32_t>(*r) : r.error().cqe_result();
}

}  // namespace capos

// `return CAPOS_CAP_FAIL(INVALID_PARAMS_BUFFER, "params longer than IPC_MESSAGE_MAX");`
// A failure of code abi::CapErr::<code> whose detail says why; the pair is
// one constant per site. CAPOS_CAP_ERROR is the CapError itself.
// The CapError is made by a cold out-of-line call, so a failure site is a
// cold branch and the compiler never hoists its constant into the success
// path (measured: merged error constants cost the hot ring paths up to 30
// instructions, perf.budgets).
#define CAPOS_CAP_ERROR(code, text)                                                       \
  ({                                                                                      \
    static constexpr ::capos::CapErrorInfo _capos_info{::capos::abi::CapErr::code, text}; \
    ::capos::cap_error(&_capos_info);                                                     \
  })
#define CAPOS_CAP_FAIL(code, text) ::capos::fail(CAPOS_CAP_ERROR(code, text))
