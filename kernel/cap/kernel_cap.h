// Capabilities implemented inside the kernel (Console, Timer, ...). The
// ring dispatcher copies params into kernel scratch, calls invoke(), and
// copies the produced result (or serialized CapException) back out.
//
// Beyond plain bytes a handler may:
//  * take capabilities the caller sent beside the params (`xfer`; a
//    capability pointer in the params names descriptor i);
//  * return capabilities: reserve_results(n) first (before any side
//    effect: it preflights the caller's table), then add_result() for
//    each; capability pointers in the results name record i;
//  * defer: complete the CALL later (e.g. ProcessHandle.wait) without
//    blocking the caller's ring.
#pragma once

#include "kernel/cap/cap_table.h"
#include "kernel/cap/object.h"
#include "kernel/cap/transfer.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/user_addr.h"
#include "kernel/sched/kernel_lock.h"
#include "lib/core/cstring.h"
#include "lib/core/fixed_vector.h"
#include "lib/core/span.h"

namespace capos {

class Process;
struct IpcCall;
namespace capnp {
class MessageBuilder;
}

struct ResultCap {
  Ref<KObject> object;
  uint64_t interface_id = 0;
  uint8_t flags = 0;
};

struct CallContext {
  static constexpr uint32_t MAX_RESULT_CAPS = 16;

  CallContext(Process& c, uint64_t iface, uint16_t method, Bytes p, MutBytes r)
      : caller(c), interface_id(iface), method_id(method), params(p), results(r) {
    fail_message[0] = '\0';  // a C string: only its terminator needs setting (every CALL builds one)
  }

  Process& caller;
  uint64_t interface_id;  // of the capability slot being called
  uint16_t method_id;
  Bytes params;           // kernel copy of the caller's params message
  MutBytes results;       // kernel scratch for the reply message
  size_t result_size = 0;
  bool exception = false;  // results hold a serialized CapException
  TransferTxn* xfer = nullptr;  // caps sent beside the params (prepared, not committed)
  UserOut result;               // the caller's result buffer (result.len: its capacity)
  uint64_t user_data = 0;
  // The reply being built (set by dispatch_kernel_server while the method
  // runs), so a method can size its reply before a side effect.
  const capnp::MessageBuilder* reply = nullptr;

  // Result capabilities (reserved slots in the caller's table, then filled).
  FixedVector<SlotReservation, MAX_RESULT_CAPS> result_slots;
  FixedVector<ResultCap, MAX_RESULT_CAPS> result_caps;
  Status reserve_results(uint32_t n);
  // Index of the capability in the result message (its capability pointer).
  Result<uint32_t> add_result(Ref<KObject> obj, uint64_t interface_id, uint8_t flags = 0);

  // Deferred completion: the dispatcher posts nothing now; the handler's
  // object completes `deferred` later through ipc::complete_deferred().
  IpcCall* deferred = nullptr;

  // Optional one-line reason for a failing method, sent as the
  // CapException message (empty: the error's name). Written with format_to.
  char fail_message[96];
};

class KernelCap : public KObject {
 public:
  using KObject::KObject;
  // Every object a capability names is implemented by the kernel except
  // the client facet of an endpoint (its CALLs go to the serving process);
  // the owner facet is a kernel cap for its own methods (Endpoint.info,
  // mintClient). The endpoint core and sessions are never named by a cap.
  static bool holds_type(ObjType t) {
    return t != ObjType::ClientEndpoint && t != ObjType::EndpointCore && t != ObjType::Session &&
           t != ObjType::Revocable && t != ObjType::Test;
  }
  // Every kernel capability method runs under the kernel lock.
  virtual void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) = 0;
  // The kernel-cap fast path's per-object hook (kernel/objects/kernel_fast_call.h):
  // for a CALL without params on `method_id` of `interface_id` (the
  // slot's), when that method only reads state and answers data words,
  // frame into `out` exactly the reply the generic dispatch frames into
  // the scratch, and return its size. Any other method (or an object
  // without such methods): Unsupported, nothing changed; the generic
  // path answers the CALL.
  virtual Result<uint32_t> fast_reply(uint64_t interface_id, uint16_t method_id, MutBytes out)
      CAPOS_REQUIRES(g_kernel_lock) {
    (void)interface_id, (void)method_id, (void)out;
    return fail(Err::Unsupported);
  }
  // Room a fast reply may take (header, root pointer and data words).
  static constexpr uint32_t FAST_REPLY_MAX = 64;
};

// A kernel capability that lives on the kernel heap: T::create(args...)
// allocates it (a null Ref when memory is exhausted) and the last release
// frees it. T befriends HeapKernelCap<T> so its constructor stays private.
template <class T> class HeapKernelCap : public KernelCap {
 public:
  // A typed reference: it converts to Ref<KObject> where one is wanted,
  // and the creator can still set the object up without a cast.
  template <class... A> static Ref<T> create(A&&... args) {
    void* m = heap::alloc(sizeof(T));
    return m ? Ref<T>::adopt(new (m) T(forward<A>(args)...)) : Ref<T>();
  }

 protected:
  explicit HeapKernelCap(ObjType t) : KernelCap(t) {}

 private:
  void destroy() override {
    T* self = static_cast<T*>(this);
    self->~T();
    heap::free(self);
  }
};

}  // namespace capos
