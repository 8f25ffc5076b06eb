#include "user/shell/names.h"

#include "user/rt/caps_call.h"
#include "user/rt/capset.h"

namespace capos::shell::names {

namespace {

Entry g_entries[kMax];
size_t g_n = 0;

Status add(StrView name, uint32_t cap, uint64_t iface, bool session) {
  if (name.empty() || name.size() > 32) return fail(Err::InvalidArgument);
  if (g_n == kMax) return fail(Err::LimitExceeded);
  Entry& e = g_entries[g_n++];
  memcpy(e.name, name.ptr, name.size());
  e.len = static_cast<uint8_t>(name.size());
  e.cap = cap;
  e.interface_id = iface;
  e.session = session;
  return {};
}

}  // namespace

void init_from_capset() {
  g_n = 0;
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    if (e) (void)add(rt::capset_name(*e), e->cap_id, e->interface_id, false);
  }
}

const Entry* lookup(StrView name) {
  const Entry* found = nullptr;
  for (size_t i = 0; i < g_n; ++i)
    if (g_entries[i].view() == name && (!found || g_entries[i].session)) found = &g_entries[i];
  return found;
}

Result<uint32_t> find(StrView name, uint64_t interface_id) {
  const Entry* e = lookup(name);
  if (!e) return fail(Err::NotFound);
  if (interface_id && e->interface_id != interface_id) return fail(Err::InterfaceMismatch);
  return e->cap;
}

size_t count() { return g_n; }
const Entry& at(size_t i) { return g_entries[i]; }

Status add_session(StrView name, uint32_t cap, uint64_t interface_id) {
  Status st = add(name, cap, interface_id, true);
  if (!st) rt::release_cap(cap);
  return st;
}

void drop_session() {
  size_t k = 0;
  for (size_t i = 0; i < g_n; ++i) {
    if (g_entries[i].session) {
      rt::release_cap(g_entries[i].cap);
      continue;
    }
    g_entries[k++] = g_entries[i];
  }
  g_n = k;
}

}  // namespace capos::shell::names
