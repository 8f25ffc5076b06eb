// Cap'n Proto wire-level vocabulary: element sizes, the 64-bit pointer
// encoding and little-endian loads/stores. Everything here is inline and
// branch-light because every reader and builder operation goes through it.
// Encoding reference: https://capnproto.org/encoding.html
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos::capnp {

constexpr uint32_t kBytesPerWord = 8;
constexpr uint32_t kBitsPerWord = 64;

enum class ElementSize : uint8_t {
  Void = 0,
  Bit = 1,
  Byte = 2,
  TwoBytes = 3,
  FourBytes = 4,
  EightBytes = 5,
  Pointer = 6,
  InlineComposite = 7,
};

enum class PointerKind : uint8_t { Struct = 0, List = 1, Far = 2, Other = 3 };

constexpr uint32_t data_bits_per_element(ElementSize s) {
  constexpr uint8_t kBits[8] = {0, 1, 8, 16, 32, 64, 0, 0};
  return kBits[static_cast<uint8_t>(s) & 7];
}
constexpr uint32_t pointers_per_element(ElementSize s) {
  return s == ElementSize::Pointer ? 1 : 0;
}

// Unaligned-safe, aliasing-safe accessors. Messages arrive in caller
// buffers of unknown alignment; on x86_64 these compile to plain moves.
template <class T> inline T load(const void* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof(T));
  return v;
}
template <class T> inline void store(void* p, T v) { __builtin_memcpy(p, &v, sizeof(T)); }

// A decoded pointer word. Reading the word once into this value (instead
// of re-reading memory) keeps every check consistent with what is used.
struct WirePtr {
  uint64_t raw = 0;

  constexpr bool is_null() const { return raw == 0; }
  constexpr PointerKind kind() const { return static_cast<PointerKind>(raw & 3); }
  // Signed 30-bit word offset from the end of the pointer (struct/list).
  constexpr int32_t offset() const { return static_cast<int32_t>(static_cast<uint32_t>(raw)) >> 2; }
  // Struct pointers.
  constexpr uint16_t data_words() const { return static_cast<uint16_t>(raw >> 32); }
  constexpr uint16_t ptr_count() const { return static_cast<uint16_t>(raw >> 48); }
  // List pointers.
  constexpr ElementSize elem_size() const { return static_cast<ElementSize>((raw >> 32) & 7); }
  constexpr uint32_t elem_count() const { return static_cast<uint32_t>(raw >> 35); }
  // Far pointers.
  constexpr bool is_double_far() const { return (raw >> 2) & 1; }
  constexpr uint32_t far_offset() const { return static_cast<uint32_t>(raw) >> 3; }
  constexpr uint32_t far_segment() const { return static_cast<uint32_t>(raw >> 32); }
  // "Other" pointers: only capabilities are defined (bits 2..31 zero).
  constexpr bool is_capability() const { return static_cast<uint32_t>(raw) == 3; }
  constexpr uint32_t cap_index() const { return static_cast<uint32_t>(raw >> 32); }
};

constexpr uint64_t encode_offset(int32_t off) {
  return static_cast<uint64_t>(static_cast<uint32_t>(off) << 2);
}
constexpr uint64_t make_struct_ptr(int32_t off, uint16_t data_words, uint16_t ptr_count) {
  return encode_offset(off) | (static_cast<uint64_t>(data_words) << 32) |
         (static_cast<uint64_t>(ptr_count) << 48);
}
constexpr uint64_t make_list_ptr(int32_t off, ElementSize es, uint32_t count_or_words) {
  return encode_offset(off) | 1 | (static_cast<uint64_t>(es) << 32) |
         (static_cast<uint64_t>(count_or_words) << 35);
}
constexpr uint64_t make_far_ptr(bool double_far, uint32_t pad_word, uint32_t segment) {
  return 2 | (double_far ? 4u : 0u) | (static_cast<uint64_t>(pad_word) << 3) |
         (static_cast<uint64_t>(segment) << 32);
}
constexpr uint64_t make_cap_ptr(uint32_t index) { return 3 | (static_cast<uint64_t>(index) << 32); }
// Replace the offset field of a struct/list pointer (tag) with `off`.
constexpr uint64_t with_offset(uint64_t tag, int32_t off) {
  return (tag & ~static_cast<uint64_t>(0xfffffffc)) | encode_offset(off);
}

// Limits of the encoding.
constexpr uint32_t kMaxListElements = (1u << 29) - 1;
constexpr uint32_t kMaxListWords = (1u << 29) - 1;
constexpr int32_t kMaxOffset = (1 << 29) - 1;
constexpr int32_t kMinOffset = -(1 << 29);

}  // namespace capos::capnp
