// The parts of libcapos's C binding that do not touch the ring (built for
// capOS and for host tests): call scratch, result copies, error names.
#include "lib/abi/ipc.h"
#include "lib/core/cstring.h"
#include "lib/core/error.h"
#include "user/libcapos/c_call.h"

namespace capos::libcapos {

static_assert(CAPOS_E_INVALID_ARGUMENT == static_cast<int>(Err::InvalidArgument));
static_assert(CAPOS_E_NOT_FOUND == static_cast<int>(Err::NotFound));
static_assert(CAPOS_E_FAILED == static_cast<int>(Err::Failed));
static_assert(CAPOS_E_INTERFACE_MISMATCH == static_cast<int>(Err::InterfaceMismatch));
static_assert(CAPOS_E_TIMED_OUT == static_cast<int>(Err::TimedOut));
static_assert(CAPOS_E_VALUE_CHANGED == static_cast<int>(Err::ValueChanged), "C error codes follow capos::Err");

namespace {
alignas(8) uint8_t g_params[abi::IPC_MESSAGE_MAX];
alignas(8) uint8_t g_result[abi::IPC_MESSAGE_MAX];

Status copy_bytes(const void* p, size_t n, capos_buf* out) {
  if (out == nullptr || (n > 0 && out->data == nullptr)) return fail(Err::InvalidArgument);
  if (n > out->cap) return fail(Err::OutOfRange);
  if (n) memcpy(out->data, p, n);
  out->len = n;
  return ok_status();
}
}  // namespace

MutBytes CallBuffers::params() { return MutBytes(g_params, sizeof(g_params)); }
MutBytes CallBuffers::result() { return MutBytes(g_result, sizeof(g_result)); }

Status copy_out(StrView v, capos_buf* out) { return copy_bytes(v.ptr, v.len, out); }
Status copy_out(Bytes v, capos_buf* out) { return copy_bytes(v.data(), v.size(), out); }

}  // namespace capos::libcapos

extern "C" const char* capos_err_name(capos_err_t e) {
  if (e == CAPOS_OK) return "ok";
  if (e < CAPOS_E_INVALID_ARGUMENT || e > CAPOS_E_VALUE_CHANGED) return "unknown-error";
  return capos::err_name(static_cast<capos::Err>(e));
}
