#include "user/rt/thread.h"

#include "lib/capnp/message.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/rt.h"
#include "user/rt/sync.h"
#include "user/rt/thread_state.h"
#include "user/rt/tls.h"
#include "user/rt/transport.h"

extern "C" void capos_rt_thread_entry();  // start.S

namespace capos::rt {

namespace wire = schema::wire;

struct Thread::Block {
  ThreadState state;
  RingTransport transport;
  Fn fn = nullptr;
  void* arg = nullptr;
  Block* next_detached = nullptr;
  Cap<wire::ThreadHandle> handle;
};

namespace {

struct Call {
  alignas(8) uint8_t pbuf[128];
  alignas(8) uint8_t rbuf[256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

// The first cap of an interface in the CapSet (programs name grants as
// they like; the runtime only needs one of each).
template <class Iface> Result<Cap<Iface>> first_of() {
  for (uint32_t i = 0; i < capset_count(); ++i) {
    const abi::CapSetEntry* e = capset_entry(i);
    if (e && e->interface_id == Iface::kInterfaceId) return Cap<Iface>::unchecked(e->cap_id);
  }
  return fail(Err::NotFound);
}

// Detached threads whose memory waits until they have ended.
Mutex g_detached_lock;
Thread::Block* g_detached = nullptr;

bool finished(Cap<wire::ThreadHandle> h) {
  Call c;
  (void)wire::ThreadHandle::Client::infoParams(c.params);
  auto r = wire::ThreadHandle::Client(&transport(), h).info(c.params, c.resp);
  return r && !r->getRunning();
}

}  // namespace

// Frees the memory of detached threads that have ended (bounded by the
// thread quota; run at each start).
static void reap_detached() {
  LockGuard g(g_detached_lock);
  Thread::Block** link = &g_detached;
  while (Thread::Block* b = *link) {
    if (finished(b->handle)) {
      *link = b->next_detached;
      release_cap(b->handle.id());
      b->~Block();
      free(b);
    } else {
      link = &b->next_detached;
    }
  }
}

Result<Thread> Thread::start(Fn fn, void* arg, size_t stack_bytes) {
  auto spawner = CAPOS_TRY(first_of<wire::ThreadSpawner>());
  CAPOS_TRY(first_of<wire::ThreadControl>());  // the thread could not end without it
  reap_detached();
  stack_bytes = (stack_bytes + 15) & ~size_t{15};
  size_t total = sizeof(Block) + tls::block_bytes() + stack_bytes + 16;
  void* mem = malloc(total);
  if (!mem) return fail(Err::OutOfMemory);
  Block* b = new (mem) Block();
  b->fn = fn;
  b->arg = arg;
  uint64_t tp = tls::build(static_cast<uint8_t*>(mem) + sizeof(Block));
  uint64_t stack_top = (reinterpret_cast<uint64_t>(mem) + total) & ~uint64_t{15};

  Call c;
  auto p = CAPOS_TRY(wire::ThreadSpawner::Client::spawnParams(c.params));
  p.setEntry(reinterpret_cast<uint64_t>(&capos_rt_thread_entry));
  p.setStackTop(stack_top);
  p.setArg(reinterpret_cast<uint64_t>(b));
  p.setFsBase(tp);
  auto h = call_for_cap<wire::ThreadHandle>(spawner, 0, c.params, c.resp);
  if (!h) {
    b->~Block();
    free(mem);
    return fail(h.error());
  }
  auto res = wire::ThreadSpawner::SpawnResults::Reader(CAPOS_TRY(c.resp.root()));
  Thread t;
  t.handle_ = *h;
  t.tid_ = res.getThreadId();
  t.block_ = b;
  b->handle = *h;
  return t;
}

Thread::Thread(Thread&& o) : handle_(o.handle_), tid_(o.tid_), block_(o.block_) { o.block_ = nullptr; }

Thread& Thread::operator=(Thread&& o) {
  if (this != &o) {
    this->~Thread();
    handle_ = o.handle_;
    tid_ = o.tid_;
    block_ = o.block_;
    o.block_ = nullptr;
  }
  return *this;
}

Thread::~Thread() {
  if (!block_) return;
  // Detach: the thread runs on; its memory is freed once it has ended.
  LockGuard g(g_detached_lock);
  block_->next_detached = g_detached;
  g_detached = block_;
  block_ = nullptr;
}

Result<int64_t> Thread::join() {
  if (!block_) return fail(Err::InvalidArgument);
  Call c;
  (void)wire::ThreadHandle::Client::joinParams(c.params);
  auto r = wire::ThreadHandle::Client(&transport(), handle_).join(c.params, c.resp);
  if (!r) return fail(r.error());
  int64_t code = r->getExitCode();
  release_cap(handle_.id());
  block_->~Block();
  free(block_);
  block_ = nullptr;
  return code;
}

void exit_thread(int64_t code) {
  auto ctl = first_of<wire::ThreadControl>();
  if (ctl) {
    Call c;
    auto p = wire::ThreadControl::Client::exitThreadParams(c.params);
    if (p) {
      p->setCode(code);
      (void)wire::ThreadControl::Client(&transport(), *ctl).exitThread(c.params, c.resp);
    }
  }
  exit(code);  // no ThreadControl (or the call failed): the program ends
}

Result<uint32_t> thread_id() {
  ThreadState& me = self();
  if (me.tid) return me.tid;
  auto ctl = CAPOS_TRY(first_of<wire::ThreadControl>());
  Call c;
  (void)wire::ThreadControl::Client::currentThreadParams(c.params);
  auto r = CAPOS_TRY(wire::ThreadControl::Client(&transport(), ctl).currentThread(c.params, c.resp));
  me.tid = r.getThreadId();
  return me.tid;
}

}  // namespace capos::rt

// First C++ code of a new thread (start.S): rdi = its Block, rsi = its
// ring, rdx = its thread id (docs/abi.md).
extern "C" [[noreturn]] void capos_rt_thread_main(capos::rt::Thread::Block* b, uint64_t ring_addr, uint64_t tid) {
  using namespace capos;
  b->state.ring.attach(reinterpret_cast<abi::RingPage*>(ring_addr));
  b->state.tid = static_cast<uint32_t>(tid);
  rt::bind_thread_state(&b->state, &b->transport);
  rt::exit_thread(b->fn(b->arg));
}
