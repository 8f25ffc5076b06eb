// Kernel heap: SlabHeap over direct-mapped frames, IRQ-safe.
#pragma once

#include <stddef.h>

#include "lib/alloc/slab_heap.h"

namespace capos::heap {

void* alloc(size_t size);  // nullptr when memory is exhausted
void free(void* p);        // panics on a pointer the heap never returned
SlabHeap::Stats stats();

// Allocation that callers must check: returns nullptr on exhaustion.
template <class T, class... Args> T* make(Args&&... args) {
  void* p = alloc(sizeof(T));
  return p ? new (p) T(forward<Args>(args)...) : nullptr;
}
template <class T> void destroy(T* p) {
  if (!p) return;
  p->~T();
  free(p);
}

}  // namespace capos::heap
