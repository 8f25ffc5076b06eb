// Mapping a MemoryObject into this process read-write, for memory shared
// with a server (frame rings, socket buffers, bulk I/O areas).
#pragma once

#include "lib/core/result.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::rt {

// Maps `mo` read-write after checking it holds at least `min_bytes`
// (InvalidArgument when smaller). Undone by unmap_memory.
Result<void*> map_memory(Cap<schema::wire::MemoryObject> mo, size_t min_bytes);
Status unmap_memory(Cap<schema::wire::MemoryObject> mo, void* at);

}  // namespace capos::rt
