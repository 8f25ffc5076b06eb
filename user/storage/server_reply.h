// How fsd's servers (fs_servers, store_server, ns_server) answer a call:
// a refusal carries an error category and a static message naming the
// rule, a filesystem error becomes its own code and detail, and a new
// object's capability is moved to the caller through a result field. One
// place, so every interface fsd serves refuses and hands out alike.
#pragma once

#include "lib/fs/volume.h"
#include "user/rt/server.h"
#include "user/storage/objects.h"

namespace capos::storage {

inline Failure<Err> refuse(Err e, StrView why) {
  rt::set_error_message(why);
  return fail(e);
}
inline Failure<Err> refuse(const fs::FsError& e) { return refuse(e.code, e.detail); }

// Unwraps an FsResult inside a server method, or answers the call with its
// error and detail.
#define STORAGE_TRY(expr)                                              \
  ({                                                                   \
    auto _storage_r = (expr);                                          \
    if (!_storage_r.ok()) return ::capos::storage::refuse(_storage_r.error()); \
    ::capos::move(_storage_r).value();                                 \
  })
#define STORAGE_TRY_STATUS(expr)                                       \
  do {                                                                 \
    auto _storage_r = (expr);                                          \
    if (!_storage_r.ok()) return ::capos::storage::refuse(_storage_r.error()); \
  } while (0)

// Refuses a change through a read-only object, naming what it is.
inline Status need_writable(const Object& o, StrView what) {
  if (!o.writable) return refuse(Err::PermissionDenied, what);
  return {};
}

// Makes a new object and moves its client capability to the caller
// through `set` (a result field setter taking the cap index). On failure
// the object table undoes the object and its facet.
template <class SetFn>
Status hand_out(ObjectTable& objects, ObjKind kind, bool writable, fs::NodeRef node, SetFn set) {
  uint32_t client = CAPOS_TRY(objects.create(kind, writable, node));
  set(CAPOS_TRY(rt::add_result_cap(client, abi::XFER_MOVE)));
  return {};
}

}  // namespace capos::storage
