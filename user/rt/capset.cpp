#include "user/rt/capset.h"

namespace capos::rt {

namespace {
const abi::CapSetHeader* g_capset = nullptr;

bool valid() {
  return g_capset && g_capset->magic == abi::CAPSET_MAGIC && g_capset->version == abi::CAPSET_VERSION &&
         g_capset->count <= abi::CAPSET_MAX_ENTRIES;
}
}  // namespace

void capset_attach(const abi::CapSetHeader* page) { g_capset = page; }

uint32_t capset_count() { return valid() ? g_capset->count : 0; }

const abi::CapSetEntry* capset_entry(uint32_t i) {
  if (i >= capset_count()) return nullptr;
  return reinterpret_cast<const abi::CapSetEntry*>(g_capset + 1) + i;
}

StrView capset_name(const abi::CapSetEntry& e) { return StrView(e.name, strnlen(e.name, abi::CAPSET_NAME_MAX)); }

Result<uint32_t> capset_find_id(StrView name, uint64_t interface_id) {
  for (uint32_t i = 0; i < capset_count(); ++i) {
    const abi::CapSetEntry* e = capset_entry(i);
    if (!(capset_name(*e) == name)) continue;
    if (interface_id && e->interface_id != interface_id) return fail(Err::InterfaceMismatch);
    return e->cap_id;
  }
  return fail(Err::NotFound);
}

Result<uint64_t> capset_interface_of(uint32_t id) {
  for (uint32_t i = 0; i < capset_count(); ++i) {
    const abi::CapSetEntry* e = capset_entry(i);
    if (e->cap_id == id) return e->interface_id;
  }
  return fail(Err::NotFound);
}

}  // namespace capos::rt
