#include "lib/capnp/arena.h"

#include "lib/core/cstring.h"

namespace capos::capnp {

Result<Allocation> BuilderArena::allocate_new_segment(uint32_t words) {
  Allocation a;
  if (alloc_ == nullptr) return fail(Err::OutOfMemory);
  if (count_ >= table_.size()) return fail(Err::LimitExceeded);
  uint64_t want = total_words_ > kMinNewSegmentWords ? total_words_ : kMinNewSegmentWords;
  if (want < words) want = words;
  if (want > kMaxSegmentWords) want = kMaxSegmentWords;
  if (words > want) return fail(Err::LimitExceeded);
  MutBytes mem = alloc_->allocate_segment(words, static_cast<uint32_t>(want));
  if (mem.size() / kBytesPerWord < words) return fail(Err::OutOfMemory);
  CAPOS_TRY_STATUS(add_segment(mem));
  if (!try_allocate_in(count_ - 1, words, &a)) return fail(Err::OutOfMemory);
  return a;
}

}  // namespace capos::capnp
