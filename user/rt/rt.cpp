#include "user/rt/rt.h"

#include "lib/abi/layout.h"
#include "lib/alloc/arena_pages.h"
#include "lib/alloc/slab_heap.h"
#include "user/rt/console.h"
#include "user/rt/sync.h"
#include "user/rt/thread_state.h"
#include "user/rt/tls.h"

namespace capos::rt {

namespace {

uint32_t g_pid = 0;

// Until VirtualMemory is granted to every process, the heap is a static
// arena carved into pages by a bitmap.
constexpr size_t ARENA_PAGES = 256;  // 1 MiB
alignas(4096) uint8_t g_arena[ARENA_PAGES * 4096];


ArenaPages<ARENA_PAGES> g_pages(g_arena);
SlabHeap g_heap(g_pages);
Mutex g_heap_lock;  // every thread of the program allocates from the one heap

}  // namespace

uint32_t pid() { return g_pid; }

void* malloc(size_t n) {
  LockGuard g(g_heap_lock);
  return g_heap.alloc(n);
}
void free(void* p) {
  bool ok;
  {
    LockGuard g(g_heap_lock);
    ok = g_heap.free(p);
  }
  if (!ok) panic("free: invalid pointer");
}

void panic(StrView msg) {
  printf("panic: {}\n", msg);
  exit(PANIC_EXIT_STATUS);
}

}  // namespace capos::rt

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

extern "C" [[noreturn]] void capos_rt_start(uint64_t ring_addr, uint64_t pid, uint64_t capset_addr) {
  using namespace capos;
  rt::g_pid = static_cast<uint32_t>(pid);
  rt::ring().attach(reinterpret_cast<abi::RingPage*>(ring_addr));
  rt::capset_attach(reinterpret_cast<const abi::CapSetHeader*>(capset_addr));
  // The loader built this thread's TLS from PT_TLS; new threads' blocks
  // are built from the linker's view of the same image: they must agree.
  if (!rt::tls::initial_matches()) rt::panic("TLS layout differs from the loader's");
  for (auto** f = __init_array_start; f != __init_array_end; ++f) (*f)();
  rt::exit(main());
}

void* operator new(size_t n) {
  void* p = capos::rt::malloc(n);
  if (!p) capos::rt::panic("out of memory");
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { capos::rt::free(p); }
void operator delete(void* p, size_t) noexcept { capos::rt::free(p); }
void operator delete[](void* p) noexcept { capos::rt::free(p); }
void operator delete[](void* p, size_t) noexcept { capos::rt::free(p); }
