// libcapos's C entry points over the C++ runtime (user/rt): CapSet lookup,
// the generic CALL, release, process identity and exit.
#include "capos/capos.h"
#include "lib/abi/ipc.h"
#include "lib/abi/ring.h"
#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"
#include "user/libcapos/c_call.h"
#include "user/rt/caps_call.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

namespace capos::libcapos {

namespace {
// The exception text of the last raw capos_call, and whether the last
// failing call was raw (generated wrappers go through rt::transport()).
char g_raw_exception[128];
size_t g_raw_exception_len = 0;
bool g_last_was_raw = false;
alignas(8) uint8_t g_raw_params[abi::IPC_MESSAGE_MAX];

Status raw_call(uint32_t cap, uint64_t iface, uint16_t method, Bytes params, capos_buf* result) {
  g_last_was_raw = true;
  g_raw_exception_len = 0;
  if (result == nullptr || result->data == nullptr) return fail(Err::InvalidArgument);
  if (params.size() > sizeof(g_raw_params)) return fail(Err::LimitExceeded);
  // The kernel reads params when it consumes the SQE: keep our own copy.
  memcpy(g_raw_params, params.data(), params.size());
  size_t cap_len = result->cap > abi::IPC_MESSAGE_MAX ? abi::IPC_MESSAGE_MAX : result->cap;
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_CALL;
  s.cap_id = cap;
  s.method_id = method;
  s.interface_id = iface;
  s.params_addr = reinterpret_cast<uint64_t>(g_raw_params);
  s.params_len = static_cast<uint32_t>(params.size());
  s.result_addr = reinterpret_cast<uint64_t>(result->data);
  s.result_len = static_cast<uint32_t>(cap_len);
  s.user_data = rt::ring().next_user_data();
  abi::CapCqe c = rt::ring().call(s);
  result->len = 0;
  if (c.result >= 0) {
    result->len = static_cast<size_t>(c.result);
    return ok_status();
  }
  if (c.result != abi::CAP_ERR_APPLICATION_EXCEPTION) return fail(rt::transport_error(c.result));
  capnp::StreamReader<2> r;
  if (!r.init(Bytes(static_cast<const uint8_t*>(result->data), cap_len))) return fail(Err::Failed);
  auto ex = schema::wire::CapException::readRoot(r);
  if (!ex) return fail(Err::Failed);
  if (auto m = ex->getMessage()) {
    g_raw_exception_len = min(m->size(), sizeof(g_raw_exception));
    memcpy(g_raw_exception, m->ptr, g_raw_exception_len);
  }
  return fail(wire_enums::exception_err(ex->getType()));
}
}  // namespace

// Every generated wrapper fetches its transport per call, so this is
// where capos_last_exception learns that a typed call came last.
capnp::Transport* transport() {
  g_last_was_raw = false;
  return &rt::transport();
}

}  // namespace capos::libcapos

using namespace capos;

extern "C" capos_err_t capos_capset_find(const char* name, uint64_t interface_id, capos_cap_t* out) {
  if (name == nullptr || out == nullptr) return CAPOS_E_INVALID_ARGUMENT;
  auto r = rt::capset_find_id(StrView(name), interface_id);
  if (!r) return static_cast<capos_err_t>(r.error());
  *out = *r;
  return CAPOS_OK;
}

extern "C" uint32_t capos_capset_count(void) { return rt::capset_count(); }

extern "C" capos_err_t capos_capset_entry(uint32_t index, capos_capset_info* out) {
  const abi::CapSetEntry* e = rt::capset_entry(index);
  if (e == nullptr || out == nullptr) return CAPOS_E_OUT_OF_RANGE;
  StrView n = rt::capset_name(*e);
  out->name = capos_str{n.ptr, n.len};
  out->cap = e->cap_id;
  out->interface_id = e->interface_id;
  return CAPOS_OK;
}

extern "C" capos_err_t capos_call(capos_cap_t cap, uint64_t interface_id, uint16_t method_id, capos_bytes params,
                                  capos_buf* result) {
  return libcapos::to_c_err(libcapos::raw_call(cap, interface_id, method_id, libcapos::bytes_view(params), result));
}

extern "C" capos_str capos_last_exception(void) {
  StrView m = libcapos::g_last_was_raw ? StrView(libcapos::g_raw_exception, libcapos::g_raw_exception_len)
                                       : rt::transport().last_exception();
  return capos_str{m.ptr, m.len};
}

extern "C" void capos_release(capos_cap_t cap) { rt::release_cap(cap); }
extern "C" uint32_t capos_pid(void) { return rt::pid(); }
extern "C" void capos_exit(int64_t status) { rt::exit(status); }
extern "C" void* capos_alloc(size_t n) { return rt::malloc(n); }
extern "C" void capos_free(void* p) { rt::free(p); }
