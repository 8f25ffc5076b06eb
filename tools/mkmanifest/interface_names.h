// Interface name <-> id table generated from schema/*.capnp at build time
// (iface_names_plugin.cpp), sorted by name.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::mkmanifest {

struct InterfaceName {
  const char* name;
  uint64_t id;
};

extern const InterfaceName kInterfaceNames[];
extern const size_t kInterfaceNameCount;

// nullptr when the id is not a capOS interface.
const char* interface_name(uint64_t id);
// false when the name is unknown.
bool interface_id(const char* name, uint64_t* id);

}  // namespace capos::mkmanifest
