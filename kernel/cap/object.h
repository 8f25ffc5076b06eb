// KObject: the one refcounted base of every kernel object a capability can
// name. A type tag replaces RTTI for the few places that must downcast
// (e.g. RECV needs an Endpoint): down_cast<T> checks the tag, and is the
// only way to go from KObject to a derived type. Ref<Derived> converts
// to Ref<Base>. Portable: host tests use it directly.
#pragma once

#include <stdint.h>

namespace capos {

enum class ObjType : uint8_t {
  Test,  // host tests
  Console,
  Timer,
  Endpoint,        // owner facet
  EndpointCore,
  ClientEndpoint,
  ProcessHandle,
  ProcessSpawner,
  BootPackage,
  VirtualMemory,
  FrameAllocator,
  MemoryObject,
  EntropySource,
  SystemControl,
  SystemStatus,
  LogSink,
  EndpointFactory,
  LogReader,
  Session,
  DeviceManager,
  DeviceMmio,
  Interrupt,
  DmaPool,
  ThreadHandle,
  ThreadSpawner,
  ThreadControl,
  Revoker,
  SchedulingContext,
  Revocable,  // a wrapped cap (kernel/objects/revoker_cap.h); CALLs forward through it
};

class KObject {
 public:
  explicit KObject(ObjType type) : type_(type) {}
  KObject(const KObject&) = delete;
  KObject& operator=(const KObject&) = delete;

  ObjType type() const { return type_; }
  void retain() { __atomic_add_fetch(&refs_, 1, __ATOMIC_RELAXED); }
  // Drops one reference; the last one destroys the object.
  void release() {
    if (__atomic_sub_fetch(&refs_, 1, __ATOMIC_ACQ_REL) == 0) destroy();
  }
  uint32_t refs() const { return __atomic_load_n(&refs_, __ATOMIC_RELAXED); }
  // The object a CALL on this one reaches: itself, or for a wrapper
  // (Revocable) its target, null once revoked.
  virtual const KObject* call_target() const { return this; }

 protected:
  virtual ~KObject() = default;
  // Called once when the last reference goes; frees the object.
  virtual void destroy() = 0;

 private:
  ObjType type_;
  uint32_t refs_ = 1;  // the creator's reference
};

// Whether CALLs on `o` are answered by a process (an endpoint's client
// facet, directly or through wrappers) rather than by the kernel: the
// interface id such an object carries is whatever its maker chose.
// The walk through wrappers, out of line: the common answers (a client
// facet itself, or an object that is no wrapper) are the inline test's.
[[gnu::noinline]] inline bool served_through_wrappers(const KObject* o) {
  for (int depth = 0; o && depth < 16; ++depth) {
    ObjType t = o->type();
    if (t == ObjType::ClientEndpoint) return true;
    if (t != ObjType::Revocable) return false;  // only wrappers forward CALLs elsewhere
    o = o->call_target();
  }
  return o != nullptr;  // wrappers nested deeper than any real use: count as served
}
inline bool served_by_process(const KObject* o) {
  if (!o) return false;
  ObjType t = o->type();
  if (t == ObjType::ClientEndpoint) return true;
  if (t != ObjType::Revocable) return false;
  return served_through_wrappers(o);
}

// Owning reference (retain on copy, release on destruction).
template <class T> class Ref {
 public:
  Ref() = default;
  // Adopts an existing reference (e.g. a freshly created object).
  static Ref adopt(T* p) {
    Ref r;
    r.p_ = p;
    return r;
  }
  static Ref share(T* p) {
    if (p) p->retain();
    return adopt(p);
  }
  Ref(const Ref& o) : p_(o.p_) {
    if (p_) p_->retain();
  }
  Ref(Ref&& o) : p_(o.p_) { o.p_ = nullptr; }
  Ref& operator=(Ref o) {
    T* t = p_;
    p_ = o.p_;
    o.p_ = t;
    return *this;
  }
  ~Ref() { reset(); }
  void reset() {
    if (p_) p_->release();
    p_ = nullptr;
  }
  // A reference to a derived object is a reference to its base.
  template <class U>
    requires __is_convertible_to(U*, T*)
  Ref(Ref<U>&& o) : p_(o.leak()) {}
  template <class U>
    requires __is_convertible_to(U*, T*)
  Ref(const Ref<U>& o) : p_(o.get()) {
    if (p_) p_->retain();
  }

  // Gives up ownership without releasing.
  T* leak() {
    T* t = p_;
    p_ = nullptr;
    return t;
  }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

// The object as a T when its type tag says it is one, else null. T names
// the tags it accepts with `static bool holds_type(ObjType)`.
template <class T> T* down_cast(KObject* o) {
  return o && T::holds_type(o->type()) ? static_cast<T*>(o) : nullptr;
}
template <class T> const T* down_cast(const KObject* o) {
  return o && T::holds_type(o->type()) ? static_cast<const T*>(o) : nullptr;
}

}  // namespace capos
