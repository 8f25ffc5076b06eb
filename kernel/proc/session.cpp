#include "kernel/proc/session.h"

#include "kernel/mm/heap.h"

namespace capos {

Ref<Session> Session::create(uint32_t owner_pid, uint64_t id) {
  void* m = heap::alloc(sizeof(Session));
  if (!m) return {};
  auto* s = new (m) Session();
  s->id_ = id;
  s->owner_pid_ = owner_pid;
  return Ref<Session>::adopt(s);
}

void Session::destroy() { heap::destroy(this); }

}  // namespace capos
