// Zero-allocation readers over untrusted segments.
//
// PointerReader names one pointer slot; following it (get_struct,
// get_list, ...) validates the pointer, bounds-checks the target against
// its segment, charges the traversal budget and decrements the nesting
// depth. Every failure is an Err; nothing here traps, loops unboundedly or
// reads outside a segment. Field access on StructReader/ListReader is
// inline and returns the default (zero) for fields past the encoded size,
// which is how schema evolution works on the wire.
//
// A reader with ctx == nullptr reads a trusted default value compiled into
// the program: still bounds-checked, but no far pointers and no budget.
#pragma once

#include "lib/capnp/segments.h"
#include "lib/core/cstring.h"

namespace capos::capnp {

class StructReader;
class ListReader;

class PointerReader {
 public:
  PointerReader() = default;
  PointerReader(ReadContext* ctx, const Segment* seg, const uint8_t* ref, int32_t nesting)
      : ctx_(ctx), seg_(seg), ref_(ref), nesting_(nesting) {}

  bool is_null() const { return ref_ == nullptr || load<uint64_t>(ref_) == 0; }
  // Kind of the (unresolved) pointer word; Far for far pointers.
  PointerKind raw_kind() const { return static_cast<PointerKind>(ref_ ? load<uint64_t>(ref_) & 3 : 0); }

  // Null reads as `deflt` (a one-segment message whose first word is the
  // root pointer), or as an empty struct/list when there is no default.
  Result<StructReader> get_struct(const Segment* deflt = nullptr) const;
  Result<ListReader> get_list(ElementSize expected, const Segment* deflt = nullptr) const;
  // Text excludes the NUL terminator that the wire format requires.
  Result<StrView> get_text(StrView deflt = StrView()) const;
  Result<Bytes> get_data(Bytes deflt = Bytes()) const;
  // Null capability pointers fail with NotFound.
  Result<uint32_t> get_capability() const;

  ReadContext* context() const { return ctx_; }
  const Segment* segment() const { return seg_; }
  const uint8_t* location() const { return ref_; }
  int32_t nesting() const { return nesting_; }

 private:
  ReadContext* ctx_ = nullptr;
  const Segment* seg_ = nullptr;
  const uint8_t* ref_ = nullptr;  // the pointer word; nullptr = absent
  int32_t nesting_ = 0;
};

class StructReader {
 public:
  StructReader() = default;
  StructReader(ReadContext* ctx, const Segment* seg, const uint8_t* data, const uint8_t* ptrs,
               uint32_t data_bits, uint16_t ptr_count, int32_t nesting)
      : ctx_(ctx), seg_(seg), data_(data), ptrs_(ptrs), data_bits_(data_bits),
        ptr_count_(ptr_count), nesting_(nesting) {}

  // Primitive field `index` counted in units of sizeof(T) (the schema's
  // offset); `mask` is the default value's bits (defaults are XOR-encoded).
  template <class T> T get(uint32_t index, T mask = T(0)) const {
    if ((static_cast<uint64_t>(index) + 1) * sizeof(T) * 8 > data_bits_) return mask;
    return static_cast<T>(load<T>(data_ + static_cast<size_t>(index) * sizeof(T)) ^ mask);
  }
  bool get_bool(uint32_t bit, bool deflt = false) const {
    if (bit >= data_bits_) return deflt;
    return (((data_[bit / 8] >> (bit % 8)) & 1) != 0) != deflt;
  }
  PointerReader pointer(uint16_t index) const {
    if (index >= ptr_count_) return PointerReader(ctx_, seg_, nullptr, nesting_);
    return PointerReader(ctx_, seg_, ptrs_ + static_cast<size_t>(index) * kBytesPerWord, nesting_);
  }

  uint32_t data_bits() const { return data_bits_; }
  uint16_t pointer_count() const { return ptr_count_; }
  Bytes data_section() const { return Bytes(data_, data_bits_ / 8); }
  ReadContext* context() const { return ctx_; }
  const Segment* segment() const { return seg_; }
  const uint8_t* data() const { return data_; }
  const uint8_t* pointers() const { return ptrs_; }
  int32_t nesting() const { return nesting_; }

 private:
  ReadContext* ctx_ = nullptr;
  const Segment* seg_ = nullptr;
  const uint8_t* data_ = nullptr;
  const uint8_t* ptrs_ = nullptr;
  uint32_t data_bits_ = 0;
  uint16_t ptr_count_ = 0;
  int32_t nesting_ = 0;
};

// One shape for every list encoding: element i starts at bit i*step; each
// element is seen as a struct with `struct_data_bits` of data followed by
// `struct_ptr_count` pointers. Primitive lists and struct lists are then
// read by the same code, which also gives the spec's list "upgrades".
class ListReader {
 public:
  ListReader() = default;
  ListReader(ReadContext* ctx, const Segment* seg, const uint8_t* ptr, uint32_t count,
             uint32_t step_bits, uint32_t struct_data_bits, uint16_t struct_ptr_count,
             ElementSize es, int32_t nesting)
      : ctx_(ctx), seg_(seg), ptr_(ptr), count_(count), step_bits_(step_bits),
        struct_data_bits_(struct_data_bits), struct_ptr_count_(struct_ptr_count), es_(es),
        nesting_(nesting) {}

  uint32_t size() const { return count_; }
  // Encoding found on the wire (not the one asked for).
  ElementSize element_size() const { return es_; }
  uint32_t step_bits() const { return step_bits_; }
  uint32_t struct_data_bits() const { return struct_data_bits_; }
  uint16_t struct_pointer_count() const { return struct_ptr_count_; }

  // Out-of-range indexes read as zero/empty (never out of bounds).
  template <class T> T get(uint32_t i) const {
    if (i >= count_ || sizeof(T) * 8 > struct_data_bits_) return T(0);
    return load<T>(ptr_ + static_cast<uint64_t>(i) * step_bits_ / 8);
  }
  bool get_bool(uint32_t i) const {
    if (i >= count_ || struct_data_bits_ == 0) return false;
    uint64_t bit = static_cast<uint64_t>(i) * step_bits_;
    return (ptr_[bit / 8] >> (bit % 8)) & 1;
  }
  StructReader get_struct(uint32_t i) const {
    if (i >= count_) return StructReader(ctx_, seg_, nullptr, nullptr, 0, 0, nesting_);
    const uint8_t* data = ptr_ + static_cast<uint64_t>(i) * step_bits_ / 8;
    return StructReader(ctx_, seg_, data, data + struct_data_bits_ / 8, struct_data_bits_,
                        struct_ptr_count_, nesting_);
  }
  PointerReader get_pointer(uint32_t i) const {
    if (i >= count_ || struct_ptr_count_ == 0) return PointerReader(ctx_, seg_, nullptr, nesting_);
    return PointerReader(ctx_, seg_,
                         ptr_ + static_cast<uint64_t>(i) * step_bits_ / 8 + struct_data_bits_ / 8,
                         nesting_);
  }
  // Raw bytes of a byte-aligned primitive list (Data/Text use this).
  Bytes raw_bytes() const {
    return Bytes(ptr_, static_cast<size_t>(static_cast<uint64_t>(count_) * step_bits_ / 8));
  }
  ReadContext* context() const { return ctx_; }
  const Segment* segment() const { return seg_; }
  const uint8_t* data() const { return ptr_; }
  int32_t nesting() const { return nesting_; }

 private:
  ReadContext* ctx_ = nullptr;
  const Segment* seg_ = nullptr;
  const uint8_t* ptr_ = nullptr;
  uint32_t count_ = 0;
  uint32_t step_bits_ = 0;
  uint32_t struct_data_bits_ = 0;
  uint16_t struct_ptr_count_ = 0;
  ElementSize es_ = ElementSize::Void;
  int32_t nesting_ = 0;
};

// A resolved pointer: the struct/list pointer (or far tag) that describes
// the object, and the object's position as a word index into `seg`.
// Exposed for the builder, which resolves its own pointers the same way.
struct ResolvedPointer {
  WirePtr ptr;
  const Segment* seg;
  int64_t word;  // may be out of range; callers bounds-check with the size
};
Result<ResolvedPointer> resolve_far(ReadContext* ctx, WirePtr p);
inline Result<ResolvedPointer> resolve_pointer(ReadContext* ctx, const Segment* seg, const uint8_t* ref) {
  WirePtr p{load<uint64_t>(ref)};
  if (p.kind() != PointerKind::Far)  // the common case stays inline
    return ResolvedPointer{p, seg, static_cast<int64_t>((ref - seg->start) / kBytesPerWord) + 1 + p.offset()};
  return resolve_far(ctx, p);
}

inline bool in_bounds(const Segment* seg, int64_t word, uint64_t words) {
  return word >= 0 && static_cast<uint64_t>(word) <= seg->words &&
         words <= seg->words - static_cast<uint64_t>(word);
}

}  // namespace capos::capnp
