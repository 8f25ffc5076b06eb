// The CapSet page: a read-only page at CAPSET_VADDR naming the capabilities
// a process was started with (the manifest's grants). The runtime looks
// caps up by name and checks the interface id (ABI: docs/abi.md).
#pragma once

#include <stdint.h>

namespace capos::abi {

constexpr uint32_t CAPSET_MAGIC = 0x54455343;  // "CSET"
constexpr uint32_t CAPSET_VERSION = 1;
constexpr uint32_t CAPSET_NAME_MAX = 32;       // bytes incl. NUL padding

struct CapSetEntry {
  char name[CAPSET_NAME_MAX];  // NUL-padded, not necessarily NUL-terminated at 32
  uint32_t cap_id;
  uint32_t reserved;
  uint64_t interface_id;
};
static_assert(sizeof(CapSetEntry) == 48);

struct CapSetHeader {
  uint32_t magic;
  uint32_t version;
  uint32_t count;
  uint32_t reserved;
};
static_assert(sizeof(CapSetHeader) == 16);

constexpr uint32_t CAPSET_MAX_ENTRIES = (4096 - sizeof(CapSetHeader)) / sizeof(CapSetEntry);

}  // namespace capos::abi
