// The shell's cap namespace: its manifest CapSet plus the caps of the
// current session's bundle (SessionManager, docs/identity.md). Commands
// and the launch grammar's `@name` resolve here; a session cap shadows a
// CapSet entry of the same name. Ending a session releases its caps.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"
#include "lib/core/result.h"

namespace capos::shell::names {

struct Entry {
  char name[33];
  uint8_t len;
  uint32_t cap;
  uint64_t interface_id;
  bool session;  // from the session bundle (revocable), else the CapSet
  StrView view() const { return StrView(name, len); }
};

constexpr size_t kMax = 48;

void init_from_capset();
// The cap id named `name` (with `interface_id`, unless 0).
// NotFound, or InterfaceMismatch when the name exists with another interface.
Result<uint32_t> find(StrView name, uint64_t interface_id);
const Entry* lookup(StrView name);
size_t count();
const Entry& at(size_t i);
// Adds a session cap (the namespace takes ownership of `cap`).
Status add_session(StrView name, uint32_t cap, uint64_t interface_id);
// Releases every session cap.
void drop_session();

}  // namespace capos::shell::names
