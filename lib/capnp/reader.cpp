// Pointer following for readers: far-pointer resolution, bounds checks,
// traversal/nesting limits and list element-size compatibility rules
// (mirroring capnp/layout.c++ WireHelpers::read*Pointer).
#include "lib/capnp/reader.h"

namespace capos::capnp {

Result<ResolvedPointer> resolve_far(ReadContext* ctx, WirePtr p) {
  // Default values are single-segment: a far pointer there is corrupt.
  if (ctx == nullptr) return fail(Err::Corrupt);
  const Segment* pad_seg = ctx->segment(p.far_segment());
  if (pad_seg == nullptr) return fail(Err::Corrupt);
  uint32_t pad_words = p.is_double_far() ? 2 : 1;
  if (!in_bounds(pad_seg, p.far_offset(), pad_words)) return fail(Err::OutOfRange);
  const uint8_t* pad = pad_seg->start + static_cast<size_t>(p.far_offset()) * kBytesPerWord;
  WirePtr pad0{load<uint64_t>(pad)};

  if (!p.is_double_far()) {
    // The landing pad is an ordinary pointer; a second hop is not allowed,
    // which also rules out far-pointer cycles.
    if (pad0.kind() == PointerKind::Far) return fail(Err::Corrupt);
    return ResolvedPointer{pad0, pad_seg, static_cast<int64_t>(p.far_offset()) + 1 + pad0.offset()};
  }
  // Double-far: pad[0] is a single far pointer to the object's start,
  // pad[1] is the tag describing it (its offset is ignored).
  if (pad0.kind() != PointerKind::Far || pad0.is_double_far()) return fail(Err::Corrupt);
  const Segment* obj_seg = ctx->segment(pad0.far_segment());
  if (obj_seg == nullptr) return fail(Err::Corrupt);
  WirePtr tag{load<uint64_t>(pad + kBytesPerWord)};
  if (tag.kind() == PointerKind::Far) return fail(Err::Corrupt);
  return ResolvedPointer{tag, obj_seg, static_cast<int64_t>(pad0.far_offset())};
}

static Status charge(ReadContext* ctx, uint64_t words) {
  if (ctx != nullptr && !ctx->charge(words)) return fail(Err::LimitExceeded);
  return ok_status();
}

Result<StructReader> PointerReader::get_struct(const Segment* deflt) const {
  if (is_null()) {
    if (deflt != nullptr && deflt->words > 0 && load<uint64_t>(deflt->start) != 0)
      return PointerReader(nullptr, deflt, deflt->start, nesting_).get_struct();
    return StructReader(ctx_, seg_, nullptr, nullptr, 0, 0, nesting_);
  }
  if (nesting_ <= 0) return fail(Err::LimitExceeded);
  ResolvedPointer r = CAPOS_TRY(resolve_pointer(ctx_, seg_, ref_));
  if (r.ptr.kind() != PointerKind::Struct) return fail(Err::Corrupt);
  uint64_t dw = r.ptr.data_words(), pc = r.ptr.ptr_count();
  if (!in_bounds(r.seg, r.word, dw + pc)) return fail(Err::OutOfRange);
  CAPOS_TRY_STATUS(charge(ctx_, dw + pc));
  const uint8_t* data = r.seg->start + r.word * kBytesPerWord;
  return StructReader(ctx_, r.seg, data, data + dw * kBytesPerWord,
                      static_cast<uint32_t>(dw * kBitsPerWord), static_cast<uint16_t>(pc),
                      nesting_ - 1);
}

Result<ListReader> PointerReader::get_list(ElementSize expected, const Segment* deflt) const {
  if (is_null()) {
    if (deflt != nullptr && deflt->words > 0 && load<uint64_t>(deflt->start) != 0)
      return PointerReader(nullptr, deflt, deflt->start, nesting_).get_list(expected);
    return ListReader(ctx_, seg_, nullptr, 0, 0, 0, 0, expected, nesting_);
  }
  if (nesting_ <= 0) return fail(Err::LimitExceeded);
  ResolvedPointer r = CAPOS_TRY(resolve_pointer(ctx_, seg_, ref_));
  if (r.ptr.kind() != PointerKind::List) return fail(Err::Corrupt);
  ElementSize es = r.ptr.elem_size();

  if (es == ElementSize::InlineComposite) {
    uint64_t words = r.ptr.elem_count();  // excludes the tag word
    if (!in_bounds(r.seg, r.word, words + 1)) return fail(Err::OutOfRange);
    const uint8_t* tag_pos = r.seg->start + r.word * kBytesPerWord;
    WirePtr tag{load<uint64_t>(tag_pos)};
    // The tag's offset field holds the element count.
    if (tag.kind() != PointerKind::Struct) return fail(Err::Corrupt);
    if (tag.offset() < 0) return fail(Err::Corrupt);
    uint64_t count = static_cast<uint32_t>(tag.offset());
    uint64_t dw = tag.data_words(), pc = tag.ptr_count();
    uint64_t per = dw + pc;
    if (per * count > words) return fail(Err::Corrupt);
    // Zero-sized elements cost nothing on the wire; charge one word each so
    // a tiny message cannot claim billions of elements (amplification).
    CAPOS_TRY_STATUS(charge(ctx_, per == 0 ? count : words + 1));
    switch (expected) {
      case ElementSize::Void:
      case ElementSize::InlineComposite:
        break;
      case ElementSize::Bit:
        return fail(Err::Corrupt);  // struct list where a bit list was expected
      case ElementSize::Pointer:
        if (pc == 0) return fail(Err::Corrupt);
        break;
      default:
        if (dw == 0) return fail(Err::Corrupt);
        break;
    }
    return ListReader(ctx_, r.seg, tag_pos + kBytesPerWord, static_cast<uint32_t>(count),
                      static_cast<uint32_t>(per * kBitsPerWord),
                      static_cast<uint32_t>(dw * kBitsPerWord), static_cast<uint16_t>(pc), es,
                      nesting_ - 1);
  }

  uint32_t data_bits = data_bits_per_element(es);
  uint32_t ptrs = pointers_per_element(es);
  uint32_t step = data_bits + ptrs * kBitsPerWord;
  uint64_t count = r.ptr.elem_count();
  uint64_t words = (count * step + 63) / 64;
  if (!in_bounds(r.seg, r.word, words)) return fail(Err::OutOfRange);
  CAPOS_TRY_STATUS(charge(ctx_, es == ElementSize::Void ? count : words));
  if (es == ElementSize::Bit && expected != ElementSize::Bit && expected != ElementSize::Void)
    return fail(Err::Corrupt);  // bool lists never upgrade to anything else
  if (data_bits_per_element(expected) > data_bits || pointers_per_element(expected) > ptrs)
    return fail(Err::Corrupt);
  return ListReader(ctx_, r.seg, r.seg->start + r.word * kBytesPerWord,
                    static_cast<uint32_t>(count), step, data_bits, static_cast<uint16_t>(ptrs), es,
                    nesting_ - 1);
}

// Text and Data must be genuine byte lists (no upgrades).
static Result<Bytes> get_byte_list(ReadContext* ctx, const Segment* seg, const uint8_t* ref) {
  ResolvedPointer r = CAPOS_TRY(resolve_pointer(ctx, seg, ref));
  if ((r.ptr.raw & 3) != 1 || r.ptr.elem_size() != ElementSize::Byte) return fail(Err::Corrupt);
  uint64_t count = r.ptr.elem_count();
  uint64_t words = (count + 7) / 8;
  if (!in_bounds(r.seg, r.word, words)) return fail(Err::OutOfRange);
  CAPOS_TRY_STATUS(charge(ctx, words));
  return Bytes(r.seg->start + r.word * kBytesPerWord, static_cast<size_t>(count));
}

Result<StrView> PointerReader::get_text(StrView deflt) const {
  if (is_null()) return deflt;
  Bytes b = CAPOS_TRY(get_byte_list(ctx_, seg_, ref_));
  if (b.size() == 0 || b.data()[b.size() - 1] != 0) return fail(Err::Corrupt);  // must be NUL-terminated
  return StrView(reinterpret_cast<const char*>(b.data()), b.size() - 1);
}

Result<Bytes> PointerReader::get_data(Bytes deflt) const {
  if (is_null()) return deflt;
  return get_byte_list(ctx_, seg_, ref_);
}

Result<uint32_t> PointerReader::get_capability() const {
  if (is_null()) return fail(Err::NotFound);
  WirePtr p{load<uint64_t>(ref_)};
  if (!p.is_capability()) return fail(Err::Corrupt);
  return p.cap_index();
}

}  // namespace capos::capnp
