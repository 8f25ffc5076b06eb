#include "tools/mkmanifest/interface_names.h"

#include <cstring>

namespace capos::mkmanifest {

const char* interface_name(uint64_t id) {
  for (size_t i = 0; i < kInterfaceNameCount; ++i)
    if (kInterfaceNames[i].id == id) return kInterfaceNames[i].name;
  return nullptr;
}

bool interface_id(const char* name, uint64_t* id) {
  for (size_t i = 0; i < kInterfaceNameCount; ++i) {
    if (std::strcmp(kInterfaceNames[i].name, name) == 0) {
      *id = kInterfaceNames[i].id;
      return true;
    }
  }
  return false;
}

}  // namespace capos::mkmanifest
