// Typed helpers for Namespace calls (tests, programs granted a
// Namespace): one call at a time through static message buffers; an
// application error's message is kept in last_error().
#pragma once

#include "lib/abi/ipc.h"
#include "lib/core/cstring.h"
#include "schema/storage.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::nsc {

using Ns = rt::Cap<schema::wire::Namespace>;

// The message of the last failed call (empty if it carried none).
StrView last_error();

// Binds `name` to the directory or file at `path` (names below the
// Namespace's scope), or to a blob by its 32-byte key.
Status bind_path(Ns ns, StrView name, schema::wire::BindingKind kind, const StrView* path, uint32_t depth,
                 bool writable);
Status bind_blob(Ns ns, StrView name, Bytes key);
Status unbind(Ns ns, StrView name);
Result<Ns> sub(Ns ns, StrView prefix, bool writable);
Status close(Ns ns);

// What resolve answered: the binding, and for a directory or file the
// transfer record of its capability (type it with rt::record_cap).
struct Resolved {
  schema::wire::BindingKind kind;
  bool writable;
  uint32_t depth;
  uint8_t key[32];
  bool has_cap;
  abi::CapTransferRecord cap;
};
Result<Resolved> resolve(Ns ns, StrView name);

// One list page, the names joined by single spaces into `out`.
struct NamesPage {
  size_t len;
  uint32_t count;
  uint64_t next;
  bool more;
};
Result<NamesPage> list(Ns ns, uint64_t cursor, uint32_t max, MutBytes out);

}  // namespace capos::nsc
