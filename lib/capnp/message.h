// Whole messages: readers over a segment table or a framed byte stream,
// and builders over a fixed buffer or an allocator.
#pragma once

#include "lib/capnp/builder.h"

namespace capos::capnp {

// Reads a message whose segments the caller already has. Holds the
// traversal budget, so the root and everything derived from it must not
// outlive this object. Not copyable (readers point into it).
class MessageReader {
 public:
  MessageReader(Span<const Segment> segments, ReaderOptions opts = {})
      : ctx_(segments.data(), static_cast<uint32_t>(segments.size()), opts) {}
  MessageReader(const MessageReader&) = delete;
  MessageReader& operator=(const MessageReader&) = delete;

  PointerReader root_pointer() {
    const Segment* s0 = ctx_.segment(0);
    if (s0 == nullptr || s0->words == 0) return PointerReader(&ctx_, s0, nullptr, ctx_.nesting_limit());
    return PointerReader(&ctx_, s0, s0->start, ctx_.nesting_limit());
  }
  // A missing root (empty first segment) fails; a null root is an empty struct.
  Result<StructReader> root() {
    const Segment* s0 = ctx_.segment(0);
    if (s0 == nullptr || s0->words == 0) return fail(Err::Truncated);
    // Inline: a non-null, near struct root inside segment 0 (every reply a
    // call reads). The same checks as PointerReader::get_struct, which
    // answers every other case (null, far, out of bounds, over budget:
    // a failed charge leaves the budget exhausted, so it fails there too).
    WirePtr p{load<uint64_t>(s0->start)};
    if (!p.is_null() && p.kind() == PointerKind::Struct && ctx_.nesting_limit() > 0) {
      int64_t word = 1 + p.offset();
      uint64_t dw = p.data_words(), pc = p.ptr_count();
      if (in_bounds(s0, word, dw + pc) && ctx_.charge(dw + pc)) {
        const uint8_t* data = s0->start + word * kBytesPerWord;
        return StructReader(&ctx_, s0, data, data + dw * kBytesPerWord, static_cast<uint32_t>(dw * kBitsPerWord),
                            static_cast<uint16_t>(pc), ctx_.nesting_limit() - 1);
      }
    }
    return root_pointer().get_struct();
  }
  ReadContext& context() { return ctx_; }

 protected:
  ReadContext ctx_;
};

// One null pointer word: the segment of the empty params message
// (StreamReader::init_params).
alignas(8) inline constexpr uint8_t kNullRootWord[kBytesPerWord] = {};

// Zero-copy reader of the standard stream framing; the segment table
// lives inline (N entries), so nothing is allocated.
template <uint32_t N = 16> class StreamReader : public MessageReader {
 public:
  StreamReader() : MessageReader(Span<const Segment>()) {}
  // Parse `bytes`; on failure the reader stays empty and root() fails.
  Status init(Bytes bytes, ReaderOptions opts = {}) {
    ctx_ = ReadContext();
    // One segment (every fixed-buffer message: each kernel and runtime
    // call) is read inline; the same checks as parse_stream's general case.
    if (bytes.size() >= kBytesPerWord && load<uint32_t>(bytes.data()) == 0) {
      uint32_t words = load<uint32_t>(bytes.data() + 4);
      if (uint64_t{words} * kBytesPerWord > bytes.size() - kBytesPerWord) return fail(Err::Truncated);
      store_.segs[0] = Segment{bytes.data() + kBytesPerWord, words, words};
      ctx_ = ReadContext(store_.segs, 1, opts);
      consumed_ = kBytesPerWord + size_t{words} * kBytesPerWord;
      return ok_status();
    }
    StreamInfo info = CAPOS_TRY(parse_stream(bytes, Span<Segment>(store_.segs, N)));
    ctx_ = ReadContext(store_.segs, info.segment_count, opts);
    consumed_ = info.bytes_consumed;
    return ok_status();
  }
  // A call's params (docs/abi.md "Empty params"): zero bytes are the
  // message whose root pointer is null, i.e. the default struct (every
  // field reads as its default, Cap'n Proto's rule for a null struct
  // pointer), so a caller may send no params message at all. Anything
  // else is parsed as init() does (a truncated or malformed non-empty
  // message still fails).
  Status init_params(Bytes bytes, ReaderOptions opts = {}) {
    if (bytes.empty()) {
      store_.segs[0] = Segment{kNullRootWord, 1, 1};
      ctx_ = ReadContext(store_.segs, 1, opts);
      consumed_ = 0;
      return ok_status();
    }
    return init(bytes, opts);
  }
  size_t bytes_consumed() const { return consumed_; }

 private:
  // Not cleared on construction (a reader is built on every call): only
  // the first segment_count entries are ever read, and init writes them.
  union Storage {
    Storage() {}
    Segment segs[N];
  } store_;
  size_t consumed_ = 0;
};

class MessageBuilder {
 public:
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;

  // The root struct; out of line for sizes known only at run time.
  Result<StructBuilder> init_root(uint16_t data_words, uint16_t ptr_count);
  // The same for sizes known at compile time (every generated initRoot):
  // a fresh one-segment builder -- every call's params and reply -- gets
  // its root pointer and struct in one allocation, inline, zeroed word by
  // word; anything else takes init_root(dw, pc). Byte-identical layouts.
  template <uint16_t DW, uint16_t PC> [[gnu::always_inline]] Result<StructBuilder> init_root() {
    Allocation a;
    if (arena_.segment_count() == 1 && arena_.segment(0)->words == 0 && arena_.try_allocate_in(0, 1 + DW + PC, &a))
      return fresh_root(a.pos, DW, PC);
    return init_root(DW, PC);
  }
  Result<StructBuilder> get_root(uint16_t data_words, uint16_t ptr_count) {
    PointerBuilder r = CAPOS_TRY(root_pointer());
    return r.get_struct(data_words, ptr_count);
  }
  // The root pointer is the first word of segment 0, reserved on first use
  // (out of line); once reserved it is answered inline.
  Result<PointerBuilder> root_pointer() {
    if (arena_.segment_count() != 0 && arena_.segment(0)->words != 0)
      return PointerBuilder(&arena_, 0, arena_.seg_start(0));
    return reserve_root_pointer();
  }

  Span<const Segment> segments() const { return arena_.segments(); }
  // Total framed size, and the framing itself written into `out`.
  size_t stream_size() const;
  Result<size_t> write_stream(MutBytes out) const;
  BuilderArena& arena() { return arena_; }

 protected:
  MessageBuilder(Span<Segment> table, SegmentAllocator* alloc) : arena_(table, alloc) {}
  // The root pointer at `pos` (segment 0, word 0) and its struct right
  // behind it, already zeroed; a zero-sized struct is the canonical
  // pointer with offset -1 and nothing allocated past it.
  StructBuilder fresh_root(uint8_t* pos, uint16_t dw, uint16_t pc) {
    if (dw == 0 && pc == 0) {
      store<uint64_t>(pos, make_struct_ptr(-1, 0, 0));
      return StructBuilder(&arena_, 0, pos, pos, 0, 0);
    }
    store<uint64_t>(pos, make_struct_ptr(0, dw, pc));
    uint8_t* data = pos + kBytesPerWord;
    return StructBuilder(&arena_, 0, data, data + size_t{dw} * kBytesPerWord, uint32_t{dw} * kBitsPerWord, pc);
  }
  Result<PointerBuilder> reserve_root_pointer();
  BuilderArena arena_;
};

// Single segment in a caller buffer, with the first 8 bytes reserved for
// the framing header so framed() is the ready-to-send message (no copy).
class FixedMessageBuilder : public MessageBuilder {
 public:
  // Inline, like framed(): one is built for every call's params and reply.
  explicit FixedMessageBuilder(MutBytes buffer)
      : MessageBuilder(Span<Segment>(seg_, 1), nullptr), base_(buffer.data()) {
    if (buffer.size() >= 2 * kBytesPerWord)
      (void)arena_.add_segment(MutBytes(buffer.data() + kBytesPerWord, buffer.size() - kBytesPerWord));
  }
  // Header + segment, contiguous in the caller's buffer.
  Bytes framed() {
    if (arena_.segment_count() == 0) return Bytes();
    uint32_t words = arena_.segment(0)->words;
    store<uint32_t>(base_, 0);
    store<uint32_t>(base_ + 4, words);
    return Bytes(base_, kBytesPerWord + static_cast<size_t>(words) * kBytesPerWord);
  }

 private:
  Segment seg_[1];
  uint8_t* base_;
};

// Grows through `alloc`; optional `first` is used as segment 0.
template <uint32_t N = 32> class GrowableMessageBuilder : public MessageBuilder {
 public:
  explicit GrowableMessageBuilder(SegmentAllocator* alloc, MutBytes first = MutBytes())
      : MessageBuilder(Span<Segment>(segs_, N), alloc) {
    if (first.size() >= kBytesPerWord) (void)arena_.add_segment(first);
  }

 private:
  Segment segs_[N];
};

}  // namespace capos::capnp
