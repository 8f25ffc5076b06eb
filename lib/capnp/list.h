// Typed list views used by generated code: capnp::List<T>::Reader/Builder
// for T = integer, float, enum, bool, Void, Text, Data, AnyPointer,
// Capability, a generated struct type, or another List<...>.
// Floats go through their bit patterns in inline templates only, so
// kernel code (no SSE) never instantiates them unless it uses them.
#pragma once

#include "lib/capnp/builder.h"

namespace capos::capnp {

// Element kind markers.
struct Void {};
struct Text {};
struct Data {};
struct AnyPointer {};
struct Capability {};

template <class T> concept GeneratedStruct = requires {
  T::kDataWords;
  T::kPointerCount;
  typename T::Reader;
  typename T::Builder;
};
template <class T> concept Primitive = (__is_integral(T) || __is_enum(T) || __is_floating_point(T)) &&
                                       !is_same_v<T, bool>;

// Bit-level representation of a primitive: integers as is, enums as
// their 16-bit underlying value, floats via bit_cast.
template <class T> struct Repr {
  using Bits = T;
  static constexpr T decode(Bits b) { return b; }
  static constexpr Bits encode(T v) { return v; }
};
template <class T> requires __is_enum(T) struct Repr<T> {
  using Bits = __underlying_type(T);
  static constexpr T decode(Bits b) { return static_cast<T>(b); }
  static constexpr Bits encode(T v) { return static_cast<Bits>(v); }
};
template <> struct Repr<float> {
  using Bits = uint32_t;
  static float decode(Bits b) { return __builtin_bit_cast(float, b); }
  static Bits encode(float v) { return __builtin_bit_cast(Bits, v); }
};
template <> struct Repr<double> {
  using Bits = uint64_t;
  static double decode(Bits b) { return __builtin_bit_cast(double, b); }
  static Bits encode(double v) { return __builtin_bit_cast(Bits, v); }
};

template <size_t Bytes> constexpr ElementSize size_for_bytes() {
  if constexpr (Bytes == 1) return ElementSize::Byte;
  else if constexpr (Bytes == 2) return ElementSize::TwoBytes;
  else if constexpr (Bytes == 4) return ElementSize::FourBytes;
  else return ElementSize::EightBytes;
}

// Index-based iterator for any list view with size() and operator[].
template <class L> class ListIterator {
 public:
  ListIterator(const L* l, uint32_t i) : l_(l), i_(i) {}
  decltype(auto) operator*() const { return (*l_)[i_]; }
  ListIterator& operator++() { ++i_; return *this; }
  bool operator!=(const ListIterator& o) const { return i_ != o.i_; }
  bool operator==(const ListIterator& o) const { return i_ == o.i_; }
 private:
  const L* l_;
  uint32_t i_;
};

// Shared plumbing: wraps the untyped view, knows the expected encoding.
template <class Derived, ElementSize ES> struct ListBase {
  static constexpr ElementSize kElementSize = ES;
  class ReaderBase {
   public:
    ReaderBase() = default;
    explicit ReaderBase(ListReader l) : l_(l) {}
    uint32_t size() const { return l_.size(); }
    const ListReader& raw() const { return l_;}
   protected:
    ListReader l_;
  };
  class BuilderBase {
   public:
    BuilderBase() = default;
    explicit BuilderBase(ListBuilder l) : l_(l) {}
    uint32_t size() const { return l_.size(); }
    const ListBuilder& raw() const { return l_; }
   protected:
    ListBuilder l_;
  };
};

template <class T> struct List;

#define CAPOS_CAPNP_LIST_COMMON(ES)                                                          \
  static Result<Reader> read(const PointerReader& p, const Segment* deflt = nullptr) {       \
    return Reader(CAPOS_TRY(p.get_list(ES, deflt)));                                          \
  }                                                                                           \
  static Result<Builder> get(PointerBuilder p, const Segment* deflt = nullptr) {             \
    return Builder(CAPOS_TRY(p.get_list(ES, deflt)));                                         \
  }

template <class T> requires Primitive<T> struct List<T> {
  using R = Repr<T>;
  static constexpr ElementSize kElementSize = size_for_bytes<sizeof(T)>();
  class Reader : public ListBase<List, kElementSize>::ReaderBase {
   public:
    using ListBase<List, kElementSize>::ReaderBase::ReaderBase;
    T operator[](uint32_t i) const { return R::decode(this->l_.template get<typename R::Bits>(i)); }
    ListIterator<Reader> begin() const { return {this, 0}; }
    ListIterator<Reader> end() const { return {this, this->size()}; }
  };
  class Builder : public ListBase<List, kElementSize>::BuilderBase {
   public:
    using ListBase<List, kElementSize>::BuilderBase::BuilderBase;
    T operator[](uint32_t i) const { return R::decode(this->l_.template get<typename R::Bits>(i)); }
    void set(uint32_t i, T v) { this->l_.template set<typename R::Bits>(i, R::encode(v)); }
    Reader as_reader() const { return Reader(this->l_.as_reader()); }
  };
  static Result<Builder> init(PointerBuilder p, uint32_t n) { return Builder(CAPOS_TRY(p.init_list(kElementSize, n))); }
  CAPOS_CAPNP_LIST_COMMON(kElementSize)
};

template <> struct List<bool> {
  static constexpr ElementSize kElementSize = ElementSize::Bit;
  class Reader : public ListBase<List, kElementSize>::ReaderBase {
   public:
    using ListBase<List, kElementSize>::ReaderBase::ReaderBase;
    bool operator[](uint32_t i) const { return l_.get_bool(i); }
    ListIterator<Reader> begin() const { return {this, 0}; }
    ListIterator<Reader> end() const { return {this, size()}; }
  };
  class Builder : public ListBase<List, kElementSize>::BuilderBase {
   public:
    using ListBase<List, kElementSize>::BuilderBase::BuilderBase;
    bool operator[](uint32_t i) const { return l_.get_bool(i); }
    void set(uint32_t i, bool v) { l_.set_bool(i, v); }
    Reader as_reader() const { return Reader(l_.as_reader()); }
  };
  static Result<Builder> init(PointerBuilder p, uint32_t n) { return Builder(CAPOS_TRY(p.init_list(kElementSize, n))); }
  CAPOS_CAPNP_LIST_COMMON(kElementSize)
};

template <> struct List<Void> {
  static constexpr ElementSize kElementSize = ElementSize::Void;
  using Reader = ListBase<List, kElementSize>::ReaderBase;
  class Builder : public ListBase<List, kElementSize>::BuilderBase {
   public:
    using ListBase<List, kElementSize>::BuilderBase::BuilderBase;
    Reader as_reader() const { return Reader(l_.as_reader()); }
  };
  static Result<Builder> init(PointerBuilder p, uint32_t n) { return Builder(CAPOS_TRY(p.init_list(kElementSize, n))); }
  CAPOS_CAPNP_LIST_COMMON(kElementSize)
};

template <class S> requires GeneratedStruct<S> struct List<S> {
  static constexpr ElementSize kElementSize = ElementSize::InlineComposite;
  class Reader : public ListBase<List, kElementSize>::ReaderBase {
   public:
    using ListBase<List, kElementSize>::ReaderBase::ReaderBase;
    typename S::Reader operator[](uint32_t i) const { return typename S::Reader(this->l_.get_struct(i)); }
    ListIterator<Reader> begin() const { return {this, 0}; }
    ListIterator<Reader> end() const { return {this, this->size()}; }
  };
  class Builder : public ListBase<List, kElementSize>::BuilderBase {
   public:
    using ListBase<List, kElementSize>::BuilderBase::BuilderBase;
    typename S::Builder operator[](uint32_t i) const { return typename S::Builder(this->l_.get_struct(i)); }
    Reader as_reader() const { return Reader(this->l_.as_reader()); }
  };
  static Result<Builder> init(PointerBuilder p, uint32_t n) {
    return Builder(CAPOS_TRY(p.init_struct_list(n, S::kDataWords, S::kPointerCount)));
  }
  CAPOS_CAPNP_LIST_COMMON(kElementSize)
};

// Lists whose elements are pointers: Text, Data, AnyPointer, Capability
// and nested lists. Element reads can fail, so they return Result.
template <class E> struct PointerElement;
template <> struct PointerElement<Text> {
  using ReadT = StrView;
  static Result<StrView> read(const PointerReader& p) { return p.get_text(); }
};
template <> struct PointerElement<Data> {
  using ReadT = Bytes;
  static Result<Bytes> read(const PointerReader& p) { return p.get_data(); }
};
template <> struct PointerElement<Capability> {
  using ReadT = uint32_t;
  static Result<uint32_t> read(const PointerReader& p) { return p.get_capability(); }
};
template <class T> struct PointerElement<List<T>> {
  using ReadT = typename List<T>::Reader;
  static Result<ReadT> read(const PointerReader& p) { return List<T>::read(p); }
};

template <class E> requires(is_same_v<E, Text> || is_same_v<E, Data> || is_same_v<E, AnyPointer> ||
                            is_same_v<E, Capability>) struct List<E> {
  static constexpr ElementSize kElementSize = ElementSize::Pointer;
  class Reader : public ListBase<List, kElementSize>::ReaderBase {
   public:
    using ListBase<List, kElementSize>::ReaderBase::ReaderBase;
    PointerReader pointer(uint32_t i) const { return this->l_.get_pointer(i); }
    auto operator[](uint32_t i) const {
      if constexpr (is_same_v<E, AnyPointer>) return this->l_.get_pointer(i);
      else return PointerElement<E>::read(this->l_.get_pointer(i));
    }
    ListIterator<Reader> begin() const { return {this, 0}; }
    ListIterator<Reader> end() const { return {this, this->size()}; }
  };
  class Builder : public ListBase<List, kElementSize>::BuilderBase {
   public:
    using ListBase<List, kElementSize>::BuilderBase::BuilderBase;
    PointerBuilder pointer(uint32_t i) const { return this->l_.get_pointer(i); }
    Status set(uint32_t i, StrView v) requires is_same_v<E, Text> { return pointer(i).set_text(v); }
    Status set(uint32_t i, Bytes v) requires is_same_v<E, Data> { return pointer(i).set_data(v); }
    void set(uint32_t i, uint32_t cap) requires is_same_v<E, Capability> { pointer(i).set_capability(cap); }
    Reader as_reader() const { return Reader(this->l_.as_reader()); }
  };
  static Result<Builder> init(PointerBuilder p, uint32_t n) { return Builder(CAPOS_TRY(p.init_list(kElementSize, n))); }
  CAPOS_CAPNP_LIST_COMMON(kElementSize)
};

template <class T> struct List<List<T>> {
  static constexpr ElementSize kElementSize = ElementSize::Pointer;
  class Reader : public ListBase<List, kElementSize>::ReaderBase {
   public:
    using ListBase<List, kElementSize>::ReaderBase::ReaderBase;
    Result<typename List<T>::Reader> operator[](uint32_t i) const { return List<T>::read(this->l_.get_pointer(i)); }
    ListIterator<Reader> begin() const { return {this, 0}; }
    ListIterator<Reader> end() const { return {this, this->size()}; }
  };
  class Builder : public ListBase<List, kElementSize>::BuilderBase {
   public:
    using ListBase<List, kElementSize>::BuilderBase::BuilderBase;
    Result<typename List<T>::Builder> init(uint32_t i, uint32_t n) const { return List<T>::init(this->l_.get_pointer(i), n); }
    Result<typename List<T>::Builder> operator[](uint32_t i) const { return List<T>::get(this->l_.get_pointer(i)); }
    Reader as_reader() const { return Reader(this->l_.as_reader()); }
  };
  static Result<Builder> init(PointerBuilder p, uint32_t n) { return Builder(CAPOS_TRY(p.init_list(kElementSize, n))); }
  CAPOS_CAPNP_LIST_COMMON(kElementSize)
};

#undef CAPOS_CAPNP_LIST_COMMON

}  // namespace capos::capnp
