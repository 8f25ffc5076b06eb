// Capabilities implemented inside the kernel (Console, Timer, ...). The
// ring dispatcher copies params into kernel scratch, calls invoke(), and
// copies the produced result (or serialized CapException) back out.
#pragma once

#include "kernel/cap/object.h"
#include "lib/core/span.h"

namespace capos {

class Process;

struct CallContext {
  Process& caller;
  uint64_t interface_id;  // of the capability slot being called
  uint16_t method_id;
  Bytes params;           // kernel copy of the caller's params message
  MutBytes results;       // kernel scratch for the reply message
  size_t result_size = 0;
  bool exception = false;  // results hold a serialized CapException
};

class KernelCap : public KObject {
 public:
  using KObject::KObject;
  virtual void invoke(CallContext& ctx) = 0;
};

}  // namespace capos
