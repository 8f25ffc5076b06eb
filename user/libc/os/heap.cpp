// malloc's memory: capos::SlabHeap (lib/alloc, host-tested) over pages
// mapped from the process's VirtualMemory cap (grant name "vm"), so the
// heap grows with the process's quota instead of the runtime's fixed
// 1 MiB arena. Page runs are mapped on demand and unmapped when freed.
// The C names and errno are in os/malloc.c.
#include "lib/alloc/slab_heap.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/sync.h"
#include "user/rt/transport.h"

namespace {

namespace wire = capos::schema::wire;

class VmPages final : public capos::PageSource {
 public:
  void* alloc_pages(size_t count) override {
    if (!attach()) return nullptr;
    alignas(8) uint8_t pbuf[128], rbuf[128];
    capos::capnp::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    auto p = wire::VirtualMemory::Client::mapParams(params);
    if (!p) return nullptr;
    p->setHint(0);
    p->setSize(count * capos::SlabHeap::PAGE);
    auto prot = p->initProt();
    if (!prot) return nullptr;
    prot->setRead(true);
    prot->setWrite(true);
    capos::capnp::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    auto r = vm_.map(params, resp);
    if (!r) return nullptr;
    return reinterpret_cast<void*>(r->getAddr());
  }
  void free_pages(void* p, size_t count) override {
    alignas(8) uint8_t pbuf[128], rbuf[128];
    capos::capnp::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    auto u = wire::VirtualMemory::Client::unmapParams(params);
    if (!u) return;
    u->setAddr(reinterpret_cast<uint64_t>(p));
    u->setSize(count * capos::SlabHeap::PAGE);
    capos::capnp::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    // A failed unmap leaves the pages mapped (and charged): nothing the
    // heap could do differently, and the memory is not reused.
    (void)vm_.unmap(params, resp);
  }

 private:
  bool attach() {
    if (!looked_) {
      looked_ = true;
      if (auto cap = capos::rt::capset_find<wire::VirtualMemory>("vm"))
        vm_ = wire::VirtualMemory::Client(&capos::rt::transport(), *cap);
      else
        return false;
      ok_ = true;
    }
    return ok_;
  }
  bool looked_ = false, ok_ = false;
  wire::VirtualMemory::Client vm_;
};

// The heap and its page source are shared by every thread (pthreads):
// one lock, g_heap_lock, guards both.
capos::rt::Mutex g_heap_lock;
VmPages g_pages;
capos::SlabHeap g_heap(g_pages);

}  // namespace

extern "C" void* capos_libc_heap_alloc(size_t n) {
  capos::rt::LockGuard guard(g_heap_lock);
  return g_heap.alloc(n == 0 ? 1 : n);
}
// False for a pointer the heap never handed out.
extern "C" bool capos_libc_heap_free(void* p) {
  capos::rt::LockGuard guard(g_heap_lock);
  return g_heap.free(p);
}
// The usable size of a live block, 0 for a foreign pointer.
extern "C" size_t capos_libc_heap_size(const void* p) {
  capos::rt::LockGuard guard(g_heap_lock);
  return g_heap.block_size(p).value_or(0);
}
