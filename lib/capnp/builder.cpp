// Builder-side pointer writing: allocation next to the referencing pointer
// or behind a far pointer + landing pad (as the reference does), and
// resolution of existing pointers for get_* on builders.
#include "lib/capnp/builder.h"

#include "lib/core/cstring.h"

namespace capos::capnp {

constexpr int32_t kBuilderNesting = 64;

Result<Allocation> PointerBuilder::allocate_far(uint32_t words, uint64_t tag) const {
  uint32_t with_pad;
  if (add_overflow(words, 1u, &with_pad)) return fail(Err::LimitExceeded);
  Allocation a = CAPOS_TRY(arena_->allocate(with_pad));
  // Landing pad first, object right after it; the slot becomes a far pointer.
  store<uint64_t>(a.pos, with_offset(tag, 0));
  store<uint64_t>(ref_, make_far_ptr(false, a.word, a.seg));
  return Allocation{a.seg, a.word + 1, a.pos + kBytesPerWord};
}

static Status copy_struct_into(StructBuilder dst, const StructReader& src);

Result<StructBuilder> PointerBuilder::get_struct(uint16_t dw, uint16_t pc, const Segment* deflt) const {
  if (is_null()) {
    if (deflt == nullptr || deflt->words == 0 || load<uint64_t>(deflt->start) == 0)
      return init_struct(dw, pc);
    StructReader d = CAPOS_TRY(PointerReader(nullptr, deflt, deflt->start, kBuilderNesting).get_struct());
    uint16_t ddw = static_cast<uint16_t>((d.data_bits() + 63) / 64);
    StructBuilder sb = CAPOS_TRY(init_struct(max(dw, ddw), max(pc, d.pointer_count())));
    CAPOS_TRY_STATUS(copy_struct_into(sb, d));
    return sb;
  }
  ResolvedPointer r = CAPOS_TRY(resolve_pointer(arena_->read_context(), arena_->segment(seg_), ref_));
  if (r.ptr.kind() != PointerKind::Struct) return fail(Err::Corrupt);
  if (!in_bounds(r.seg, r.word, static_cast<uint64_t>(r.ptr.data_words()) + r.ptr.ptr_count()))
    return fail(Err::OutOfRange);
  // Growing a struct in place would need pointer relocation; our builders
  // always allocate the schema's size, so a smaller one is not ours.
  if (r.ptr.data_words() < dw || r.ptr.ptr_count() < pc) return fail(Err::Unsupported);
  uint8_t* data = const_cast<uint8_t*>(r.seg->start) + r.word * kBytesPerWord;
  return StructBuilder(arena_, arena_->index_of(r.seg), data,
                       data + static_cast<size_t>(r.ptr.data_words()) * kBytesPerWord,
                       static_cast<uint32_t>(r.ptr.data_words()) * kBitsPerWord, r.ptr.ptr_count());
}

Result<ListBuilder> PointerBuilder::init_struct_list(uint32_t count, uint16_t dw, uint16_t pc) const {
  if (count > kMaxListElements) return fail(Err::InvalidArgument);
  uint64_t per = static_cast<uint64_t>(dw) + pc;
  uint64_t words = per * count;
  if (words > kMaxListWords) return fail(Err::LimitExceeded);
  Allocation a = CAPOS_TRY(allocate(static_cast<uint32_t>(words) + 1,
                                    make_list_ptr(0, ElementSize::InlineComposite,
                                                  static_cast<uint32_t>(words))));
  // The tag is shaped like a struct pointer whose offset is the count.
  store<uint64_t>(a.pos, make_struct_ptr(static_cast<int32_t>(count), dw, pc));
  return ListBuilder(arena_, a.seg, a.pos + kBytesPerWord, count,
                     static_cast<uint32_t>(per * kBitsPerWord),
                     static_cast<uint32_t>(dw) * kBitsPerWord, pc, ElementSize::InlineComposite);
}

Result<ListBuilder> PointerBuilder::get_list(ElementSize expected, const Segment* deflt) const {
  if (is_null()) {
    if (deflt == nullptr || deflt->words == 0 || load<uint64_t>(deflt->start) == 0)
      return ListBuilder(arena_, seg_, nullptr, 0, 0, 0, 0, expected);
    ListReader d = CAPOS_TRY(PointerReader(nullptr, deflt, deflt->start, kBuilderNesting).get_list(expected));
    CAPOS_TRY_STATUS(set_list(d));
  }
  // Reuse the reader's validation, then widen to a mutable view.
  PointerReader pr(arena_->read_context(), arena_->segment(seg_), ref_, kBuilderNesting);
  ListReader l = CAPOS_TRY(pr.get_list(expected));
  return ListBuilder(arena_, arena_->index_of(l.segment()), const_cast<uint8_t*>(l.data()), l.size(),
                     l.step_bits(), l.struct_data_bits(), l.struct_pointer_count(), l.element_size());
}

Result<StrView> PointerBuilder::get_text() const { return as_reader().get_text(); }

Result<MutBytes> PointerBuilder::get_data() const {
  Bytes b = CAPOS_TRY(as_reader().get_data());
  return MutBytes(const_cast<uint8_t*>(b.data()), b.size());
}

PointerReader PointerBuilder::as_reader() const {
  return PointerReader(arena_->read_context(), arena_->segment(seg_), ref_, kBuilderNesting);
}

StructReader StructBuilder::as_reader() const {
  return StructReader(arena_->read_context(), arena_->segment(seg_), data_, ptrs_, data_bits_,
                      ptr_count_, kBuilderNesting);
}

ListReader ListBuilder::as_reader() const {
  if (arena_ == nullptr) return ListReader();
  return ListReader(arena_->read_context(), arena_->segment(seg_), ptr_, count_, step_bits_,
                    struct_data_bits_, struct_ptr_count_, es_, kBuilderNesting);
}

// ---- deep copy ----------------------------------------------------------

static Status copy_struct_into(StructBuilder dst, const StructReader& src) {
  size_t n = min(dst.data_bits(), src.data_bits()) / 8;
  if (n > 0) memcpy(dst.data_section().data(), src.data(), n);
  uint16_t pc = min(dst.pointer_count(), src.pointer_count());
  for (uint16_t i = 0; i < pc; ++i) CAPOS_TRY_STATUS(dst.pointer(i).copy_from(src.pointer(i)));
  return ok_status();
}

Status PointerBuilder::set_struct(const StructReader& src) const {
  uint16_t dw = static_cast<uint16_t>((src.data_bits() + 63) / 64);
  StructBuilder sb = CAPOS_TRY(init_struct(dw, src.pointer_count()));
  return copy_struct_into(sb, src);
}

Status PointerBuilder::set_list(const ListReader& src) const {
  ElementSize es = src.element_size();
  uint32_t n = src.size();
  if (es == ElementSize::InlineComposite) {
    uint16_t dw = static_cast<uint16_t>(src.struct_data_bits() / 64);
    ListBuilder lb = CAPOS_TRY(init_struct_list(n, dw, src.struct_pointer_count()));
    for (uint32_t i = 0; i < n; ++i) CAPOS_TRY_STATUS(copy_struct_into(lb.get_struct(i), src.get_struct(i)));
    return ok_status();
  }
  ListBuilder lb = CAPOS_TRY(init_list(es, n));
  if (es == ElementSize::Pointer) {
    for (uint32_t i = 0; i < n; ++i) CAPOS_TRY_STATUS(lb.get_pointer(i).copy_from(src.get_pointer(i)));
  } else if (es == ElementSize::Bit) {
    for (uint32_t i = 0; i < n; ++i) lb.set_bool(i, src.get_bool(i));  // drops stray padding bits
  } else if (es != ElementSize::Void && n > 0) {
    memcpy(lb.raw_bytes().data(), src.data(), lb.raw_bytes().size());
  }
  return ok_status();
}

Status PointerBuilder::copy_from(const PointerReader& src) const {
  if (ref_ == nullptr) return fail(Err::OutOfRange);
  if (src.is_null()) {
    clear();
    return ok_status();
  }
  ResolvedPointer r = CAPOS_TRY(resolve_pointer(src.context(), src.segment(), src.location()));
  switch (r.ptr.kind()) {
    case PointerKind::Struct:
      return set_struct(CAPOS_TRY(src.get_struct()));
    case PointerKind::List:
      return set_list(CAPOS_TRY(src.get_list(ElementSize::Void)));
    case PointerKind::Other:
      set_capability(CAPOS_TRY(src.get_capability()));
      return ok_status();
    case PointerKind::Far:
      break;
  }
  return fail(Err::Corrupt);
}

}  // namespace capos::capnp
