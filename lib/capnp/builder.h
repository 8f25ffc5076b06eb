// Builders: typed-by-offset writers into a BuilderArena. Objects are
// allocated next to the pointer that references them when that segment
// has room; otherwise in another segment behind a far pointer + landing
// pad, exactly as the reference implementation lays them out (so equal
// build sequences give byte-identical messages).
//
// Overwriting a pointer abandons the old object's words (they stay in the
// message, as the sender's own bytes); nothing is freed.
#pragma once

#include "lib/capnp/arena.h"
#include "lib/capnp/reader.h"

namespace capos::capnp {

class StructBuilder;
class ListBuilder;

class PointerBuilder {
 public:
  PointerBuilder() = default;
  PointerBuilder(BuilderArena* arena, uint32_t seg, uint8_t* ref) : arena_(arena), seg_(seg), ref_(ref) {}

  bool is_null() const { return ref_ == nullptr || load<uint64_t>(ref_) == 0; }
  void clear() const {
    if (ref_) store<uint64_t>(ref_, 0);
  }

  Result<StructBuilder> init_struct(uint16_t data_words, uint16_t ptr_count) const;
  // Existing struct, else a copy of `deflt` (a one-segment message whose
  // root pointer is the value), else a fresh zeroed struct.
  Result<StructBuilder> get_struct(uint16_t data_words, uint16_t ptr_count,
                                   const Segment* deflt = nullptr) const;

  // `es` must not be InlineComposite (use init_struct_list).
  Result<ListBuilder> init_list(ElementSize es, uint32_t count) const;
  Result<ListBuilder> init_struct_list(uint32_t count, uint16_t data_words, uint16_t ptr_count) const;
  // Existing list (null: a copy of `deflt`, else an empty list).
  Result<ListBuilder> get_list(ElementSize expected, const Segment* deflt = nullptr) const;

  Status set_text(StrView text) const;
  // Writable text of `size` bytes (the NUL terminator is added).
  Result<MutBytes> init_text(uint32_t size) const;
  Status set_data(Bytes data) const;
  Result<MutBytes> init_data(uint32_t size) const;
  Result<StrView> get_text() const;
  Result<MutBytes> get_data() const;
  void set_capability(uint32_t index) const {
    if (ref_) store<uint64_t>(ref_, make_cap_ptr(index));
  }

  // Deep copies from any reader (another message, a default, ourselves).
  Status set_struct(const StructReader& src) const;
  Status set_list(const ListReader& src) const;
  Status copy_from(const PointerReader& src) const;

  PointerReader as_reader() const;
  BuilderArena* arena() const { return arena_; }
  uint32_t segment_index() const { return seg_; }
  uint8_t* location() const { return ref_; }

 private:
  Result<Allocation> allocate(uint32_t words, uint64_t tag) const;
  Result<Allocation> allocate_far(uint32_t words, uint64_t tag) const;
  BuilderArena* arena_ = nullptr;
  uint32_t seg_ = 0;
  uint8_t* ref_ = nullptr;
};

class StructBuilder {
 public:
  StructBuilder() = default;
  StructBuilder(BuilderArena* arena, uint32_t seg, uint8_t* data, uint8_t* ptrs, uint32_t data_bits,
                uint16_t ptr_count)
      : arena_(arena), seg_(seg), data_(data), ptrs_(ptrs), data_bits_(data_bits), ptr_count_(ptr_count) {}

  // Writes past the allocated data section are dropped (the field does not
  // exist in this struct's layout); generated code never does that.
  template <class T> void set(uint32_t index, T v, T mask = T(0)) const {
    if ((static_cast<uint64_t>(index) + 1) * sizeof(T) * 8 > data_bits_) return;
    store<T>(data_ + static_cast<size_t>(index) * sizeof(T), static_cast<T>(v ^ mask));
  }
  template <class T> T get(uint32_t index, T mask = T(0)) const {
    if ((static_cast<uint64_t>(index) + 1) * sizeof(T) * 8 > data_bits_) return mask;
    return static_cast<T>(load<T>(data_ + static_cast<size_t>(index) * sizeof(T)) ^ mask);
  }
  void set_bool(uint32_t bit, bool v, bool deflt = false) const {
    if (bit >= data_bits_) return;
    uint8_t m = static_cast<uint8_t>(1u << (bit % 8));
    data_[bit / 8] = static_cast<uint8_t>((v != deflt) ? (data_[bit / 8] | m) : (data_[bit / 8] & ~m));
  }
  bool get_bool(uint32_t bit, bool deflt = false) const {
    if (bit >= data_bits_) return deflt;
    return (((data_[bit / 8] >> (bit % 8)) & 1) != 0) != deflt;
  }
  PointerBuilder pointer(uint16_t index) const {
    if (index >= ptr_count_) return PointerBuilder(arena_, seg_, nullptr);
    return PointerBuilder(arena_, seg_, ptrs_ + static_cast<size_t>(index) * kBytesPerWord);
  }

  StructReader as_reader() const;
  uint32_t data_bits() const { return data_bits_; }
  uint16_t pointer_count() const { return ptr_count_; }
  MutBytes data_section() const { return MutBytes(data_, data_bits_ / 8); }
  BuilderArena* arena() const { return arena_; }

 private:
  BuilderArena* arena_ = nullptr;
  uint32_t seg_ = 0;
  uint8_t* data_ = nullptr;
  uint8_t* ptrs_ = nullptr;
  uint32_t data_bits_ = 0;
  uint16_t ptr_count_ = 0;
};

// Same uniform element shape as ListReader.
class ListBuilder {
 public:
  ListBuilder() = default;
  ListBuilder(BuilderArena* arena, uint32_t seg, uint8_t* ptr, uint32_t count, uint32_t step_bits,
              uint32_t struct_data_bits, uint16_t struct_ptr_count, ElementSize es)
      : arena_(arena), seg_(seg), ptr_(ptr), count_(count), step_bits_(step_bits),
        struct_data_bits_(struct_data_bits), struct_ptr_count_(struct_ptr_count), es_(es) {}

  uint32_t size() const { return count_; }
  ElementSize element_size() const { return es_; }

  template <class T> void set(uint32_t i, T v) const {
    if (i >= count_ || sizeof(T) * 8 > struct_data_bits_) return;
    store<T>(ptr_ + static_cast<uint64_t>(i) * step_bits_ / 8, v);
  }
  template <class T> T get(uint32_t i) const {
    if (i >= count_ || sizeof(T) * 8 > struct_data_bits_) return T(0);
    return load<T>(ptr_ + static_cast<uint64_t>(i) * step_bits_ / 8);
  }
  void set_bool(uint32_t i, bool v) const {
    if (i >= count_ || struct_data_bits_ == 0) return;
    uint64_t bit = static_cast<uint64_t>(i) * step_bits_;
    uint8_t m = static_cast<uint8_t>(1u << (bit % 8));
    ptr_[bit / 8] = static_cast<uint8_t>(v ? (ptr_[bit / 8] | m) : (ptr_[bit / 8] & ~m));
  }
  bool get_bool(uint32_t i) const {
    if (i >= count_ || struct_data_bits_ == 0) return false;
    uint64_t bit = static_cast<uint64_t>(i) * step_bits_;
    return (ptr_[bit / 8] >> (bit % 8)) & 1;
  }
  StructBuilder get_struct(uint32_t i) const {
    if (i >= count_) return StructBuilder(arena_, seg_, nullptr, nullptr, 0, 0);
    uint8_t* data = ptr_ + static_cast<uint64_t>(i) * step_bits_ / 8;
    return StructBuilder(arena_, seg_, data, data + struct_data_bits_ / 8, struct_data_bits_,
                         struct_ptr_count_);
  }
  PointerBuilder get_pointer(uint32_t i) const {
    if (i >= count_ || struct_ptr_count_ == 0) return PointerBuilder(arena_, seg_, nullptr);
    return PointerBuilder(arena_, seg_,
                          ptr_ + static_cast<uint64_t>(i) * step_bits_ / 8 + struct_data_bits_ / 8);
  }
  MutBytes raw_bytes() const {
    return MutBytes(ptr_, static_cast<size_t>(static_cast<uint64_t>(count_) * step_bits_ / 8));
  }
  ListReader as_reader() const;

 private:
  BuilderArena* arena_ = nullptr;
  uint32_t seg_ = 0;
  uint8_t* ptr_ = nullptr;
  uint32_t count_ = 0;
  uint32_t step_bits_ = 0;
  uint32_t struct_data_bits_ = 0;
  uint16_t struct_ptr_count_ = 0;
  ElementSize es_ = ElementSize::Void;
};


// ---- hot paths, inline (allocation next to the pointer, text/data) ----

inline Result<Allocation> PointerBuilder::allocate(uint32_t words, uint64_t tag) const {
  if (ref_ == nullptr) return fail(Err::OutOfRange);  // no such pointer slot
  Allocation a;
  if (arena_->try_allocate_in(seg_, words, &a)) {
    int64_t ref_word = (ref_ - arena_->seg_start(seg_)) / kBytesPerWord;
    store<uint64_t>(ref_, with_offset(tag, static_cast<int32_t>(a.word - ref_word - 1)));
    return a;
  }
  return allocate_far(words, tag);
}

inline Result<StructBuilder> PointerBuilder::init_struct(uint16_t dw, uint16_t pc) const {
  if (ref_ == nullptr) return fail(Err::OutOfRange);
  if (dw == 0 && pc == 0) {
    // Canonical empty struct: offset -1, nothing allocated.
    store<uint64_t>(ref_, make_struct_ptr(-1, 0, 0));
    return StructBuilder(arena_, seg_, ref_, ref_, 0, 0);
  }
  Allocation a = CAPOS_TRY(allocate(static_cast<uint32_t>(dw) + pc, make_struct_ptr(0, dw, pc)));
  return StructBuilder(arena_, a.seg, a.pos, a.pos + static_cast<size_t>(dw) * kBytesPerWord,
                       static_cast<uint32_t>(dw) * kBitsPerWord, pc);
}

inline Result<ListBuilder> PointerBuilder::init_list(ElementSize es, uint32_t count) const {
  if (es == ElementSize::InlineComposite || count > kMaxListElements) return fail(Err::InvalidArgument);
  uint32_t data_bits = data_bits_per_element(es);
  uint32_t step = data_bits + pointers_per_element(es) * kBitsPerWord;
  uint64_t words = (static_cast<uint64_t>(count) * step + 63) / 64;
  if (words > BuilderArena::kMaxSegmentWords) return fail(Err::LimitExceeded);
  Allocation a = CAPOS_TRY(allocate(static_cast<uint32_t>(words), make_list_ptr(0, es, count)));
  return ListBuilder(arena_, a.seg, a.pos, count, step, data_bits,
                     static_cast<uint16_t>(pointers_per_element(es)), es);
}

inline Result<MutBytes> PointerBuilder::init_text(uint32_t size) const {
  if (size >= kMaxListElements) return fail(Err::LimitExceeded);
  ListBuilder l = CAPOS_TRY(init_list(ElementSize::Byte, size + 1));
  return MutBytes(l.raw_bytes().data(), size);
}

inline Status PointerBuilder::set_text(StrView text) const {
  if (text.size() >= kMaxListElements) return fail(Err::LimitExceeded);
  MutBytes b = CAPOS_TRY(init_text(static_cast<uint32_t>(text.size())));
  if (text.size() > 0) memcpy(b.data(), text.ptr, text.size());
  return ok_status();
}

inline Result<MutBytes> PointerBuilder::init_data(uint32_t size) const {
  ListBuilder l = CAPOS_TRY(init_list(ElementSize::Byte, size));
  return l.raw_bytes();
}

inline Status PointerBuilder::set_data(Bytes data) const {
  if (data.size() > kMaxListElements) return fail(Err::LimitExceeded);
  MutBytes b = CAPOS_TRY(init_data(static_cast<uint32_t>(data.size())));
  if (data.size() > 0) memcpy(b.data(), data.data(), data.size());
  return ok_status();
}

}  // namespace capos::capnp
