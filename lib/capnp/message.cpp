#include "lib/capnp/message.h"

#include "lib/core/cstring.h"

namespace capos::capnp {

Result<StructBuilder> MessageBuilder::init_root(uint16_t data_words, uint16_t ptr_count) {
  Allocation a;
  uint32_t words = 1 + uint32_t{data_words} + ptr_count;
  if (arena_.segment_count() == 1 && arena_.segment(0)->words == 0 && arena_.try_allocate_in(0, words, &a))
    return fresh_root(a.pos, data_words, ptr_count);
  PointerBuilder r = CAPOS_TRY(root_pointer());
  return r.init_struct(data_words, ptr_count);
}

Result<PointerBuilder> MessageBuilder::reserve_root_pointer() {
  Allocation a = CAPOS_TRY(arena_.allocate(1));
  if (a.seg != 0 || a.word != 0) return fail(Err::Corrupt);  // unreachable by construction
  return PointerBuilder(&arena_, 0, arena_.seg_start(0));
}

size_t MessageBuilder::stream_size() const {
  Span<const Segment> segs = segments();
  size_t n = stream_header_bytes(static_cast<uint32_t>(segs.size() ? segs.size() : 1));
  for (const Segment& s : segs) n += static_cast<size_t>(s.words) * kBytesPerWord;
  return n;
}

Result<size_t> MessageBuilder::write_stream(MutBytes out) const {
  Span<const Segment> segs = segments();
  uint32_t count = static_cast<uint32_t>(segs.size());
  if (count == 1) {  // every fixed-buffer message (each kernel and runtime call): header word + one copy
    size_t n = static_cast<size_t>(segs[0].words) * kBytesPerWord;
    if (out.size() < kBytesPerWord + n) return fail(Err::OutOfRange);
    uint8_t* p = out.data();
    store<uint32_t>(p, 0);
    store<uint32_t>(p + 4, segs[0].words);
    if (n > 0 && segs[0].start != p + kBytesPerWord) memmove(p + kBytesPerWord, segs[0].start, n);
    return kBytesPerWord + n;
  }
  size_t need = stream_size();
  if (out.size() < need) return fail(Err::OutOfRange);
  uint8_t* p = out.data();
  size_t header = stream_header_bytes(count ? count : 1);
  memset(p, 0, header);
  store<uint32_t>(p, count ? count - 1 : 0);
  for (uint32_t i = 0; i < count; ++i) store<uint32_t>(p + 4 + 4 * i, segs[i].words);
  size_t off = header;
  for (const Segment& s : segs) {
    size_t n = static_cast<size_t>(s.words) * kBytesPerWord;
    if (n > 0 && s.start != p + off) memmove(p + off, s.start, n);
    off += n;
  }
  return off;
}

}  // namespace capos::capnp
