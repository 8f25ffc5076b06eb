// The runtime's threads and locks for the C pthread layer (os/pthread.c):
// rt::Thread (ThreadSpawner/ThreadControl grants) and rt::Mutex/CondVar
// over PARK, on caller-owned 4-byte words (pthread_mutex_t and
// pthread_cond_t are one uint32_t in newlib, and so are these classes).
#include "user/rt/sync.h"
#include "user/rt/thread.h"

static_assert(sizeof(capos::rt::Mutex) == 4 && alignof(capos::rt::Mutex) == 4);
static_assert(sizeof(capos::rt::CondVar) == 4 && alignof(capos::rt::CondVar) == 4);

namespace {
capos::rt::Mutex* mutex_at(uint32_t* w) { return reinterpret_cast<capos::rt::Mutex*>(w); }
capos::rt::CondVar* cond_at(uint32_t* w) { return reinterpret_cast<capos::rt::CondVar*>(w); }
}  // namespace

// 0 and an opaque handle, or the capos::Err of the failure (NotFound
// without the grants, QuotaExceeded at the Threads quota).
extern "C" int capos_libc_thread_start(int64_t (*fn)(void*), void* arg, void** handle) {
  auto t = capos::rt::Thread::start(fn, arg);
  if (!t) return static_cast<int>(t.error());
  auto* h = new capos::rt::Thread(static_cast<capos::rt::Thread&&>(*t));
  *handle = h;
  return 0;
}

// Joins and frees the handle; 0 or the capos::Err.
extern "C" int capos_libc_thread_join(void* handle) {
  auto* t = static_cast<capos::rt::Thread*>(handle);
  auto r = t->join();
  delete t;
  return r ? 0 : static_cast<int>(r.error());
}

// Frees the handle without joining (the thread's memory is reclaimed when it ends).
extern "C" void capos_libc_thread_detach(void* handle) { delete static_cast<capos::rt::Thread*>(handle); }

extern "C" [[noreturn]] void capos_libc_thread_exit(void) { capos::rt::exit_thread(0); }

extern "C" void capos_libc_mutex_lock(uint32_t* w) { mutex_at(w)->lock(); }
extern "C" bool capos_libc_mutex_trylock(uint32_t* w) { return mutex_at(w)->try_lock(); }
extern "C" void capos_libc_mutex_unlock(uint32_t* w) { mutex_at(w)->unlock(); }
extern "C" void capos_libc_cond_wait(uint32_t* c, uint32_t* m) { cond_at(c)->wait(*mutex_at(m)); }
extern "C" void capos_libc_cond_signal(uint32_t* c) { cond_at(c)->signal(); }
extern "C" void capos_libc_cond_broadcast(uint32_t* c) { cond_at(c)->broadcast(); }
