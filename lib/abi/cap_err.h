// CAP_ERR_* code <-> capos::Err, generated from the CAPOS_CAP_ERRORS
// X-macro so a new code cannot be added without choosing its Err. The
// mapping is one-to-one (host test tests/host/core/cap_err_test.cpp): a
// caller tells e.g. a stale cap from an interface mismatch by the Err in
// the Result alone. CAP_ERR_APPLICATION_EXCEPTION maps to Failed only when
// the exception cannot be decoded; a decoded CapException maps by its type
// (lib/wire/schema_enums.h exception_err).
#pragma once

#include <stdint.h>

#include "lib/abi/errors.h"
#include "lib/core/error.h"
#include "lib/core/result.h"

namespace capos::abi {

// Err for a negative CQE result; a code outside the ABI is InvalidArgument
// (never a success: a CQE result that is not a CAP_ERR_* is a kernel bug).
constexpr Err cap_err_to_err(int32_t code) {
  switch (code) {
#define CAPOS_X(name, value, err, text) \
  case value: return Err::err;
    CAPOS_CAP_ERRORS(CAPOS_X)
#undef CAPOS_X
  }
  return Err::InvalidArgument;
}

// The CAP_ERR_* code that maps to `e`; NotFound if `e` is not a transport
// error (e.g. OutOfMemory, which the kernel reports as QUOTA_EXCEEDED or an
// exception instead).
inline Result<int32_t> err_to_cap_err(Err e) {
#define CAPOS_X(name, value, err, text) \
  if (e == Err::err) return int32_t{value};
  CAPOS_CAP_ERRORS(CAPOS_X)
#undef CAPOS_X
  return fail(Err::NotFound);
}

}  // namespace capos::abi
