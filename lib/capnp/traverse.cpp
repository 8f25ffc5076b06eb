#include "lib/capnp/traverse.h"

namespace capos::capnp {

Result<uint64_t> total_words(const StructReader& s) {
  uint64_t total = (static_cast<uint64_t>(s.data_bits()) + 63) / 64 + s.pointer_count();
  for (uint16_t i = 0; i < s.pointer_count(); ++i) total += CAPOS_TRY(total_words(s.pointer(i)));
  return total;
}

static Result<uint64_t> list_words(const ListReader& l) {
  uint64_t n = l.size();
  uint64_t total = (n * l.step_bits() + 63) / 64;
  if (l.element_size() == ElementSize::InlineComposite) ++total;  // the tag
  if (l.struct_pointer_count() == 0) return total;
  for (uint32_t i = 0; i < l.size(); ++i) {
    StructReader e = l.get_struct(i);
    for (uint16_t j = 0; j < e.pointer_count(); ++j) total += CAPOS_TRY(total_words(e.pointer(j)));
  }
  return total;
}

Result<uint64_t> total_words(const PointerReader& p) {
  if (p.is_null()) return uint64_t{0};
  ResolvedPointer r = CAPOS_TRY(resolve_pointer(p.context(), p.segment(), p.location()));
  switch (r.ptr.kind()) {
    case PointerKind::Struct:
      return total_words(CAPOS_TRY(p.get_struct()));
    case PointerKind::List:
      return list_words(CAPOS_TRY(p.get_list(ElementSize::Void)));
    case PointerKind::Other:
      CAPOS_TRY(p.get_capability());
      return uint64_t{0};
    case PointerKind::Far:
      break;
  }
  return fail(Err::Corrupt);
}

}  // namespace capos::capnp
